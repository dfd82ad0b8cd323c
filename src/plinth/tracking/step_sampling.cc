#include "plinth/tracking/step_sampling.h"

#include <algorithm>
#include <set>

namespace plinth::tracking {

std::vector<int64_t> SampleStepsFromSteps(int64_t start_step, int64_t end_step, int64_t max_results,
                                          const SortedSteps& all_steps) {
  int64_t start_idx = all_steps.LowerBound(start_step);
  int64_t end_idx = all_steps.UpperBound(end_step);
  if (end_idx - start_idx <= max_results) {
    std::vector<int64_t> out;
    for (int64_t i = start_idx; i < end_idx; ++i) out.push_back(all_steps.at(i));
    return out;
  }
  int64_t num_steps = end_idx - start_idx;
  double interval = static_cast<double>(num_steps) / static_cast<double>(max_results);
  std::set<int64_t> picked;
  for (int64_t i = 0; i < max_results; ++i) {
    int64_t idx = start_idx + static_cast<int64_t>(static_cast<double>(i) * interval);
    // MLflow compares the absolute index with the number of steps in range
    // (not with end_idx), so a range that starts late in the list keeps fewer
    // positions. Kept as is: the point is to return MLflow's exact steps.
    if (idx < num_steps) picked.insert(all_steps.at(idx));
  }
  picked.insert(all_steps.at(end_idx - 1));
  return std::vector<int64_t>(picked.begin(), picked.end());
}

std::vector<int64_t> ChooseBulkIntervalSteps(const SortedSteps& all_steps,
                                             const std::vector<StepRange>& runs,
                                             std::optional<int64_t> start_step,
                                             std::optional<int64_t> end_step, int64_t max_results) {
  int64_t start = 0;
  int64_t end = all_steps.empty() ? 0 : all_steps.at(all_steps.size() - 1);
  if (start_step && end_step) {
    start = *start_step;
    end = *end_step;
  }
  std::vector<int64_t> sampled = SampleStepsFromSteps(start, end, max_results, all_steps);
  std::set<int64_t> out(sampled.begin(), sampled.end());
  for (const StepRange& run : runs) {
    for (int64_t step : {run.first, run.last}) {
      if (start <= step && step <= end) out.insert(step);
    }
  }
  return std::vector<int64_t>(out.begin(), out.end());
}

}  // namespace plinth::tracking
