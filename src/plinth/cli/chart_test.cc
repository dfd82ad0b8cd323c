#include "plinth/cli/chart.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

using ::testing::ElementsAre;

TEST(SparklineTest, OneBlockPerValueScaledMinToMax) {
  EXPECT_EQ(Sparkline({1, 2, 3, 4, 5, 6, 7, 8}, 20), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({8, 1}, 20), "█▁");
}

TEST(SparklineTest, LongSeriesAreAveragedIntoBuckets) {
  // Pairs (0,0) (2,2) (4,4) (6,6): bucket means 0, 2, 4, 6.
  EXPECT_EQ(Sparkline({0, 0, 2, 2, 4, 4, 6, 6}, 4), "▁▃▆█");
}

TEST(SparklineTest, ConstantAndNonFiniteValues) {
  EXPECT_EQ(Sparkline({5, 5, 5}, 10), "▄▄▄");
  EXPECT_EQ(Sparkline({1, std::nan(""), 3}, 10), "▁ █");
  EXPECT_EQ(Sparkline({std::nan("")}, 10), "");
  EXPECT_EQ(Sparkline({}, 10), "");
}

TEST(SummarizeTest, SkipsNonFiniteValues) {
  SeriesStats s = Summarize({{0, 3}, {1, -1}, {2, std::nan("")}, {3, 2}, {4, INFINITY}});
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.min, -1);
  EXPECT_EQ(s.max, 3);
  EXPECT_EQ(s.last, 2);
}

TEST(LineChartTest, RampRisesFromBottomLeftToTopRight) {
  // Four points on a 2x1 cell canvas (4x4 dots): one dot per column, y = 3 - x.
  // Cell 0 holds dots (0,3)=0x40 and (1,2)=0x20 -> U+2860; cell 1 holds
  // (0,1)=0x02 and (1,0)=0x08 -> U+280A.
  std::vector<std::string> rows =
      LineChart({{0, 0}, {1, 1}, {2, 2}, {3, 3}}, {.width = 2, .height = 1});
  EXPECT_THAT(rows, ElementsAre("3 ┤⡠⠊", "  └──", "   0 3"));
}

TEST(LineChartTest, LabelsMaxMidMinAndStepRange) {
  std::vector<ChartPoint> points;
  for (int i = 0; i <= 100; ++i) points.push_back({static_cast<double>(i), i / 100.0});
  std::vector<std::string> rows = LineChart(points, {.width = 20, .height = 5});
  ASSERT_EQ(rows.size(), 7u);  // 5 plot rows, the x axis, the step labels
  EXPECT_EQ(rows[0].substr(0, rows[0].find(" ┤")), "  1");
  EXPECT_EQ(rows[2].substr(0, rows[2].find(" ┤")), "0.5");
  EXPECT_EQ(rows[4].substr(0, rows[4].find(" ┤")), "  0");
  EXPECT_EQ(rows[1].substr(0, rows[1].find(" │")), "   ");  // unlabelled rows
  EXPECT_EQ(rows[6], std::string(5, ' ') + "0" + std::string(16, ' ') + "100");
  // Rising line: the top row is lit at the right only, the bottom row at the left only.
  const std::string blank = "⠀";
  auto cell = [&](const std::string& row, size_t i) {
    size_t start = row.find("┤") + std::string("┤").size();
    return row.substr(start + 3 * i, 3);
  };
  EXPECT_EQ(cell(rows[0], 0), blank);
  EXPECT_NE(cell(rows[0], 19), blank);
  EXPECT_NE(cell(rows[4], 0), blank);
  EXPECT_EQ(cell(rows[4], 19), blank);
}

TEST(LineChartTest, ConstantSeriesIsAFlatLineInTheMiddle) {
  std::vector<std::string> rows = LineChart({{0, 2}, {9, 2}}, {.width = 3, .height = 2});
  // 8 dot rows (0..7): the middle, row 3, is the bottom dot row of the first text row.
  EXPECT_EQ(rows[0], "2 ┤⣀⣀⣀");
  EXPECT_EQ(rows[1], "2 ┤⠀⠀⠀");
}

TEST(LineChartTest, UnsortedStepsAreDrawnInStepOrder) {
  EXPECT_EQ(LineChart({{3, 3}, {0, 0}, {2, 2}, {1, 1}}, {.width = 2, .height = 1}),
            LineChart({{0, 0}, {1, 1}, {2, 2}, {3, 3}}, {.width = 2, .height = 1}));
}

TEST(LineChartTest, NothingToDrawWithoutFinitePoints) {
  EXPECT_TRUE(LineChart({}).empty());
  EXPECT_TRUE(LineChart({{0, std::nan("")}}).empty());
}

TEST(LineChartTest, SinglePointIsOneDot) {
  std::vector<std::string> rows = LineChart({{5, 1.5}}, {.width = 2, .height = 1});
  EXPECT_EQ(rows[0], "1.5 ┤⠂⠀");  // dot rows 0..3: the middle is row 1 -> 0x02
  EXPECT_EQ(rows[2], "     5");
}

}  // namespace
}  // namespace plinth::cli
