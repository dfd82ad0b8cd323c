#include "plinth/tracking/step_sampling.h"

#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::tracking {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using Steps = std::vector<int64_t>;

std::vector<int64_t> Range(int64_t begin, int64_t end, int64_t stride = 1) {
  std::vector<int64_t> out;
  for (int64_t s = begin; s < end; s += stride) out.push_back(s);
  return out;
}

// The cases of MLflow's tests/server/test_handlers.py
// (test_get_sampled_steps_from_steps).
TEST(SampleStepsFromStepsTest, MatchesMlflowExamples) {
  EXPECT_THAT(SampleStepsFromSteps(0, 10, 5, Range(0, 10)), ElementsAre(0, 2, 4, 6, 8, 9));
  EXPECT_THAT(SampleStepsFromSteps(4, 8, 5, Range(0, 10)), ElementsAre(4, 5, 6, 7, 8));
  EXPECT_THAT(SampleStepsFromSteps(0, 100, 5, Range(0, 101, 20)),
              ElementsAre(0, 20, 40, 60, 80, 100));
  EXPECT_THAT(SampleStepsFromSteps(0, 1000, 5, Range(0, 1001, 10)),
              ElementsAre(0, 200, 400, 600, 800, 1000));
}

TEST(SampleStepsFromStepsTest, EmptyAndInvertedRanges) {
  EXPECT_THAT(SampleStepsFromSteps(0, 10, 5, {}), IsEmpty());
  EXPECT_THAT(SampleStepsFromSteps(0, -1, 5, Steps{-3, -2}), IsEmpty());
  EXPECT_THAT(SampleStepsFromSteps(20, 30, 5, Range(0, 10)), IsEmpty());
}

// MLflow compares the absolute index with the in-range count; a range that
// starts late in the list keeps only the positions below that count.
TEST(SampleStepsFromStepsTest, KeepsMlflowsIndexBound) {
  EXPECT_THAT(SampleStepsFromSteps(1000, 1100, 50, Range(900, 1200)), ElementsAre(1000, 1100));
}

// tests/tracking/test_rest_tracking.py
// (test_get_metric_history_bulk_interval_respects_max_results).
TEST(ChooseBulkIntervalStepsTest, MatchesMlflowRestExamples) {
  EXPECT_THAT(ChooseBulkIntervalSteps(Range(0, 10), {{0, 9}}, std::nullopt, std::nullopt, 5),
              ElementsAre(0, 2, 4, 6, 8, 9));
  EXPECT_THAT(ChooseBulkIntervalSteps(Range(0, 10), {{0, 9}}, 0, 4, 5), ElementsAre(0, 1, 2, 3, 4));
  // Two runs: steps 0..9 and 0..19; run 1's last step 9 is kept.
  EXPECT_THAT(
      ChooseBulkIntervalSteps(Range(0, 20), {{0, 9}, {0, 19}}, std::nullopt, std::nullopt, 5),
      ElementsAre(0, 4, 8, 9, 12, 16, 19));
}

TEST(ChooseBulkIntervalStepsTest, DefaultRangeStartsAtZero) {
  EXPECT_THAT(
      ChooseBulkIntervalSteps(Steps{-5, -1, 0, 3}, {{-5, 3}}, std::nullopt, std::nullopt, 10),
      ElementsAre(0, 3));
  EXPECT_THAT(ChooseBulkIntervalSteps(Steps{-5, -1}, {{-5, -1}}, std::nullopt, std::nullopt, 10),
              IsEmpty());
  EXPECT_THAT(ChooseBulkIntervalSteps({}, {}, std::nullopt, std::nullopt, 10), IsEmpty());
}

TEST(ChooseBulkIntervalStepsTest, RunBoundsOutsideRangeAreDropped) {
  std::vector<int64_t> steps = Range(0, 100);
  EXPECT_THAT(ChooseBulkIntervalSteps(steps, {{0, 99}, {10, 50}}, 20, 60, 100),
              ElementsAreArray(Range(20, 61)));
  EXPECT_THAT(ChooseBulkIntervalSteps(steps, {{0, 99}, {10, 50}}, 20, 60, 2),
              ElementsAre(20, 40, 50, 60));
}

}  // namespace
}  // namespace plinth::tracking
