// Sets of metric steps without one row per step.
//
// get-history-bulk-interval samples positions in the union of the steps that
// several runs logged for one metric. Reading every distinct step from the
// metrics index costs ~125 ms per million points; but training loops log
// steps as an arithmetic progression (0, 1, 2, ... or every 10th step), so
// each (run, metric) keeps a StepRange summary beside its latest value, and
// the union is built from those summaries as intervals on one lattice.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace plinth::tracking {

// The steps one run logged for one metric. `regular` means they are exactly
// first, first + stride, ..., last (stride 0 when first == last); otherwise
// only first and last are known and readers go to the metrics table.
struct StepRange {
  int64_t first = 0;
  int64_t last = 0;
  int64_t stride = 0;
  bool regular = true;

  bool operator==(const StepRange&) const = default;
};

// The summary of sorted, distinct, non-empty `steps`.
StepRange StepRangeOfSorted(const std::vector<int64_t>& steps);

// The summary of the union of two step sets. Never claims `regular` for a
// union that is not a progression (it may give up on one that is, e.g.
// {0, 2} then {1}: readers then take the slow, exact path).
StepRange MergeStepRanges(const StepRange& a, const StepRange& b);

// A sorted set of distinct steps stored as inclusive intervals of lattice
// indexes: step = origin + stride * index.
class SortedSteps {
 public:
  SortedSteps() = default;
  // Explicit steps, sorted and distinct (implicit so tests and callers can
  // pass a vector).
  SortedSteps(const std::vector<int64_t>& steps);  // NOLINT(google-explicit-constructor)

  // The union of regular ranges, or nullopt when they do not share one
  // lattice (different strides or offsets) or one is not regular.
  static std::optional<SortedSteps> UnionOf(const std::vector<StepRange>& ranges);

  int64_t size() const { return prefix_.empty() ? 0 : prefix_.back(); }
  bool empty() const { return size() == 0; }
  // The i-th smallest step, 0 <= i < size().
  int64_t at(int64_t i) const;
  // How many steps are < value (lower_bound) and <= value (upper_bound).
  int64_t LowerBound(int64_t value) const;
  int64_t UpperBound(int64_t value) const;

 private:
  SortedSteps(int64_t origin, int64_t stride, std::vector<std::pair<int64_t, int64_t>> intervals);
  // How many lattice indexes of the set are < index.
  int64_t CountBelow(__int128 index) const;

  int64_t origin_ = 0;
  int64_t stride_ = 1;
  std::vector<std::pair<int64_t, int64_t>> intervals_;
  // prefix_[k]: how many steps intervals_[0..k] hold together.
  std::vector<int64_t> prefix_;
};

}  // namespace plinth::tracking
