#include "plinth/tracking/step_set.h"

#include <algorithm>
#include <limits>

namespace plinth::tracking {
namespace {

using Wide = __int128;

bool FitsInt64(Wide v) {
  return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
}

StepRange Irregular(const StepRange& a, const StepRange& b) {
  return {std::min(a.first, b.first), std::max(a.last, b.last), 0, false};
}

Wide FloorDiv(Wide a, Wide b) {
  Wide q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

StepRange StepRangeOfSorted(const std::vector<int64_t>& steps) {
  StepRange r{steps.front(), steps.back(), 0, true};
  if (steps.size() == 1) return r;
  Wide stride = Wide{steps[1]} - steps[0];
  if (!FitsInt64(stride)) return {r.first, r.last, 0, false};
  for (size_t i = 2; i < steps.size(); ++i) {
    if (Wide{steps[i]} - steps[i - 1] != stride) return {r.first, r.last, 0, false};
  }
  r.stride = static_cast<int64_t>(stride);
  return r;
}

StepRange MergeStepRanges(const StepRange& a, const StepRange& b) {
  if (!a.regular || !b.regular) return Irregular(a, b);
  if (a.stride != 0 && b.stride != 0 && a.stride != b.stride) return Irregular(a, b);
  int64_t first = std::min(a.first, b.first), last = std::max(a.last, b.last);
  Wide stride = a.stride != 0 ? a.stride : b.stride;
  if (stride == 0) {  // two single steps
    if (a.first == b.first) return a;
    stride = Wide{last} - first;
    if (!FitsInt64(stride)) return Irregular(a, b);
    return {first, last, static_cast<int64_t>(stride), true};
  }
  // Same offset on the lattice, and no hole between the two progressions.
  bool aligned = (Wide{b.first} - a.first) % stride == 0;
  bool touching = Wide{b.first} <= Wide{a.last} + stride && Wide{a.first} <= Wide{b.last} + stride;
  if (!aligned || !touching) return Irregular(a, b);
  return {first, last, static_cast<int64_t>(stride), true};
}

SortedSteps::SortedSteps(const std::vector<int64_t>& steps) {
  std::vector<std::pair<int64_t, int64_t>> intervals;
  for (int64_t s : steps) {
    if (!intervals.empty() && Wide{intervals.back().second} + 1 == s) {
      intervals.back().second = s;
    } else {
      intervals.emplace_back(s, s);
    }
  }
  *this = SortedSteps(0, 1, std::move(intervals));
}

SortedSteps::SortedSteps(int64_t origin, int64_t stride,
                         std::vector<std::pair<int64_t, int64_t>> intervals)
    : origin_(origin), stride_(stride), intervals_(std::move(intervals)) {
  int64_t total = 0;
  prefix_.reserve(intervals_.size());
  for (const auto& [lo, hi] : intervals_) {
    total += hi - lo + 1;
    prefix_.push_back(total);
  }
}

std::optional<SortedSteps> SortedSteps::UnionOf(const std::vector<StepRange>& ranges) {
  int64_t stride = 0;
  for (const StepRange& r : ranges) {
    if (!r.regular) return std::nullopt;
    if (r.stride == 0) continue;
    if (stride != 0 && r.stride != stride) return std::nullopt;
    stride = r.stride;
  }
  if (stride == 0) {  // only single steps (or none)
    std::vector<int64_t> steps;
    for (const StepRange& r : ranges) steps.push_back(r.first);
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    return SortedSteps(steps);
  }
  int64_t origin = ranges.front().first;
  std::vector<std::pair<int64_t, int64_t>> intervals;
  for (const StepRange& r : ranges) {
    Wide lo = Wide{r.first} - origin, hi = Wide{r.last} - origin;
    if (lo % stride != 0) return std::nullopt;
    lo /= stride;
    hi /= stride;
    if (!FitsInt64(lo) || !FitsInt64(hi)) return std::nullopt;
    intervals.emplace_back(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
  }
  std::sort(intervals.begin(), intervals.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& [lo, hi] : intervals) {
    if (!merged.empty() && Wide{lo} <= Wide{merged.back().second} + 1) {
      merged.back().second = std::max(merged.back().second, hi);
    } else {
      merged.emplace_back(lo, hi);
    }
  }
  return SortedSteps(origin, stride, std::move(merged));
}

int64_t SortedSteps::at(int64_t i) const {
  size_t k = std::upper_bound(prefix_.begin(), prefix_.end(), i) - prefix_.begin();
  int64_t before = k == 0 ? 0 : prefix_[k - 1];
  Wide index = Wide{intervals_[k].first} + (i - before);
  return static_cast<int64_t>(Wide{origin_} + Wide{stride_} * index);
}

int64_t SortedSteps::CountBelow(Wide index) const {
  // The first interval that starts at or after `index`; the one before it
  // may hold part of the count.
  size_t k = std::lower_bound(
                 intervals_.begin(), intervals_.end(), index,
                 [](const std::pair<int64_t, int64_t>& iv, Wide v) { return Wide{iv.first} < v; }) -
             intervals_.begin();
  if (k == 0) return 0;
  const auto& [lo, hi] = intervals_[k - 1];
  int64_t before = k >= 2 ? prefix_[k - 2] : 0;
  Wide top = std::min(Wide{hi}, index - 1);
  return before + static_cast<int64_t>(top - lo + 1);
}

int64_t SortedSteps::LowerBound(int64_t value) const {
  // Steps < value are the indexes j < ceil((value - origin) / stride).
  Wide offset = Wide{value} - origin_;
  return CountBelow(-FloorDiv(-offset, stride_));
}

int64_t SortedSteps::UpperBound(int64_t value) const {
  Wide offset = Wide{value} - origin_;
  return CountBelow(FloorDiv(offset, stride_) + 1);
}

}  // namespace plinth::tracking
