// Which steps `metrics/get-history-bulk-interval` returns, chosen exactly as
// MLflow's server chooses them, so charts built from Plinth and from MLflow
// show the same points.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plinth/tracking/step_set.h"

namespace plinth::tracking {

// `all_steps`: the sorted, distinct steps logged by all requested runs
// together. Without a range, the range is [0, largest step] (MLflow's
// default, so negative steps are never returned). Inside the range: every
// step when there are at most `max_results`, else `max_results` evenly spaced
// positions of `all_steps` plus its last step in range; then each run's first
// and last step that fall in the range. Sorted ascending, distinct.
std::vector<int64_t> ChooseBulkIntervalSteps(const SortedSteps& all_steps,
                                             const std::vector<StepRange>& runs,
                                             std::optional<int64_t> start_step,
                                             std::optional<int64_t> end_step, int64_t max_results);

// The evenly spaced part alone (MLflow's _get_sampled_steps_from_steps):
// `all_steps` sorted and distinct, `max_results` >= 1.
std::vector<int64_t> SampleStepsFromSteps(int64_t start_step, int64_t end_step, int64_t max_results,
                                          const SortedSteps& all_steps);

}  // namespace plinth::tracking
