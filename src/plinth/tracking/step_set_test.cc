#include "plinth/tracking/step_set.h"

#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::tracking {
namespace {

StepRange Of(std::vector<int64_t> steps) {
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return StepRangeOfSorted(steps);
}

TEST(StepRangeTest, SummarizesProgressions) {
  EXPECT_EQ(Of({4}), (StepRange{4, 4, 0, true}));
  EXPECT_EQ(Of({0, 1, 2, 3}), (StepRange{0, 3, 1, true}));
  EXPECT_EQ(Of({10, 30, 20}), (StepRange{10, 30, 10, true}));
  EXPECT_EQ(Of({0, 1, 3}), (StepRange{0, 3, 0, false}));
  int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  EXPECT_FALSE(Of({lo, hi}).regular);  // the stride does not fit
}

TEST(StepRangeTest, MergesOnlyIntoProgressions) {
  StepRange r = Of({0});
  for (int64_t s = 1; s < 100; ++s) r = MergeStepRanges(r, Of({s}));
  EXPECT_EQ(r, (StepRange{0, 99, 1, true}));
  EXPECT_EQ(MergeStepRanges(r, Of({50})), r);               // a step logged twice
  EXPECT_EQ(MergeStepRanges(r, Of({-1})).first, -1);        // extends downwards
  EXPECT_FALSE(MergeStepRanges(r, Of({101})).regular);      // a hole at 100
  EXPECT_FALSE(MergeStepRanges(r, Of({0, 2, 4})).regular);  // another stride
  EXPECT_EQ(MergeStepRanges(Of({0, 10}), Of({20, 30})), (StepRange{0, 30, 10, true}));
  EXPECT_FALSE(MergeStepRanges(Of({0, 10}), Of({25})).regular);  // off the lattice
  EXPECT_FALSE(MergeStepRanges(Of({0, 10}), Of({40})).regular);  // a hole at 20, 30
  EXPECT_EQ(MergeStepRanges(Of({3}), Of({7})), (StepRange{3, 7, 4, true}));
  StepRange irregular = Of({0, 1, 3});
  EXPECT_FALSE(MergeStepRanges(irregular, Of({2})).regular);  // never recovers
  EXPECT_EQ(MergeStepRanges(irregular, Of({9})).last, 9);
}

// Merging random batches never claims a progression that is not one, and
// always knows the first and last step.
TEST(StepRangeTest, RandomBatchesNeverLie) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::set<int64_t> all;
    StepRange r;
    int batches = 1 + static_cast<int>(rng() % 4);
    for (int b = 0; b < batches; ++b) {
      std::vector<int64_t> batch;
      int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) batch.push_back(static_cast<int64_t>(rng() % 12) * 2);
      all.insert(batch.begin(), batch.end());
      r = b == 0 ? Of(batch) : MergeStepRanges(r, Of(batch));
    }
    std::vector<int64_t> steps(all.begin(), all.end());
    EXPECT_EQ(r.first, steps.front());
    EXPECT_EQ(r.last, steps.back());
    if (r.regular) EXPECT_EQ(r, StepRangeOfSorted(steps));
  }
}

std::vector<int64_t> Elements(const SortedSteps& s) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < s.size(); ++i) out.push_back(s.at(i));
  return out;
}

TEST(SortedStepsTest, ExplicitSteps) {
  SortedSteps s(std::vector<int64_t>{-3, 0, 1, 2, 7, 9, 10});
  EXPECT_EQ(s.size(), 7);
  EXPECT_THAT(Elements(s), ::testing::ElementsAre(-3, 0, 1, 2, 7, 9, 10));
  EXPECT_EQ(s.LowerBound(-10), 0);
  EXPECT_EQ(s.LowerBound(1), 2);
  EXPECT_EQ(s.UpperBound(1), 3);
  EXPECT_EQ(s.LowerBound(8), 5);
  EXPECT_EQ(s.UpperBound(100), 7);
}

TEST(SortedStepsTest, UnionOfProgressionsOnOneLattice) {
  auto u = SortedSteps::UnionOf({Of({0, 10, 20}), Of({40, 50}), Of({20, 30}), Of({100})});
  ASSERT_TRUE(u.has_value());
  EXPECT_THAT(Elements(*u), ::testing::ElementsAre(0, 10, 20, 30, 40, 50, 100));
  EXPECT_EQ(u->LowerBound(25), 3);
  EXPECT_EQ(u->UpperBound(30), 4);
  EXPECT_EQ(u->LowerBound(-5), 0);
  EXPECT_EQ(u->UpperBound(99), 6);
  EXPECT_FALSE(SortedSteps::UnionOf({Of({0, 10}), Of({5, 15})}).has_value());  // two offsets
  EXPECT_FALSE(SortedSteps::UnionOf({Of({0, 10}), Of({0, 2})}).has_value());   // two strides
  EXPECT_FALSE(SortedSteps::UnionOf({Of({0, 1, 3})}).has_value());             // irregular
  auto singles = SortedSteps::UnionOf({Of({5}), Of({2}), Of({5})});
  ASSERT_TRUE(singles.has_value());
  EXPECT_THAT(Elements(*singles), ::testing::ElementsAre(2, 5));
  EXPECT_TRUE(SortedSteps::UnionOf({})->empty());
}

TEST(SortedStepsTest, BoundsWithNegativeOrigins) {
  auto u = SortedSteps::UnionOf({Of({-7, -4, -1, 2})});
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->LowerBound(-4), 1);
  EXPECT_EQ(u->UpperBound(-4), 2);
  EXPECT_EQ(u->LowerBound(-3), 2);
  EXPECT_EQ(u->UpperBound(-2), 2);
  EXPECT_EQ(u->LowerBound(3), 4);
}

}  // namespace
}  // namespace plinth::tracking
