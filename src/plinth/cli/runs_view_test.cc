#include "plinth/cli/runs_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Json MakeRun(const std::string& id, Json metrics, Json params = Json::array()) {
  return {{"info",
           {{"run_id", id},
            {"run_name", "run-" + id},
            {"experiment_id", "1"},
            {"status", "FINISHED"},
            {"start_time", 1'700'000'000'000},
            {"end_time", 1'700'000'065'000},
            {"artifact_uri", "mlflow-artifacts:/1/" + id + "/artifacts"},
            {"lifecycle_stage", "active"}}},
          {"data", {{"metrics", metrics}, {"params", params}, {"tags", Json::array()}}}};
}

Json Metric(const std::string& key, Json value) {
  return {{"key", key}, {"value", value}, {"timestamp", 1}, {"step", 0}};
}

TEST(ColumnKeysTest, OrderByKeysFirstThenMostCommon) {
  std::vector<Json> runs = {
      MakeRun("a", {Metric("acc", 0.9), Metric("f1", 0.8)}),
      MakeRun("b", {Metric("acc", 0.7), Metric("f1", 0.6), Metric("loss", 0.3)}),
  };
  EXPECT_THAT(ColumnKeys(runs, "metrics", {}, 5), ElementsAre("acc", "f1", "loss"));
  EXPECT_THAT(ColumnKeys(runs, "metrics", {"metrics.loss DESC"}, 2), ElementsAre("loss", "acc"));
  EXPECT_THAT(ColumnKeys(runs, "metrics", {"metric.`f1` ASC", "params.lr"}, 1), ElementsAre("f1"));
  EXPECT_THAT(ColumnKeys(runs, "params", {}, 3), ElementsAre());
}

TEST(RunsTableTest, OneRowPerRunWithMetricAndParamColumns) {
  std::vector<Json> runs = {
      MakeRun("a", {Metric("acc", 0.9)}, {{{"key", "lr"}, {"value", "0.01"}}}),
      MakeRun("b", {Metric("acc", "NaN")}),
      MakeRun("c", Json::array()),
  };
  std::string text = RenderTable(RunsTable(runs, {"acc"}, {"lr"}, absl::UTCTimeZone()));
  EXPECT_EQ(text,
            "RUN ID  NAME   STATUS    STARTED              DURATION  METRICS.ACC  PARAMS.LR\n"
            "a       run-a  FINISHED  2023-11-14 22:13:20     1m05s          0.9  0.01\n"
            "b       run-b  FINISHED  2023-11-14 22:13:20     1m05s          NaN  -\n"
            "c       run-c  FINISHED  2023-11-14 22:13:20     1m05s            -  -\n");
}

TEST(HistoryPointsTest, ReadsStepsAndValuesIncludingNonFinite) {
  std::vector<ChartPoint> points =
      HistoryPoints({{{"step", 3}, {"value", 0.5}}, {{"step", "4"}, {"value", "NaN"}}});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].x, 3);
  EXPECT_EQ(points[0].y, 0.5);
  EXPECT_EQ(points[1].x, 4);
  EXPECT_TRUE(std::isnan(points[1].y));
}

TEST(RenderRunDetailsTest, ShowsInfoParamsMetricsWithSparklinesAndTags) {
  Json run = MakeRun("abc", {Metric("acc", 0.9)}, {{{"key", "lr"}, {"value", "0.01"}}});
  run["data"]["tags"] = {{{"key", "team"}, {"value", "vision"}}};
  RunDetailsOptions options;
  options.experiment_name = "mnist";
  options.tz = absl::UTCTimeZone();
  std::string text = RenderRunDetails(run, {{"acc", {{0, 0.1}, {1, 0.3}, {2, 0.9}}}}, options);
  EXPECT_THAT(text, HasSubstr("run id:        abc\n"));
  EXPECT_THAT(text, HasSubstr("experiment:    1 (mnist)\n"));
  EXPECT_THAT(text, HasSubstr("duration:      1m05s\n"));
  EXPECT_THAT(text, HasSubstr("PARAM  VALUE\nlr     0.01\n"));
  EXPECT_THAT(text, HasSubstr("METRIC  LAST  MIN  MAX  POINTS  HISTORY\n"
                              "acc      0.9  0.1  0.9       3  ▁▃█\n"));
  EXPECT_THAT(text, HasSubstr("TAG   VALUE\nteam  vision\n"));
  EXPECT_THAT(text, Not(HasSubstr("┤")));
}

TEST(RenderRunDetailsTest, LineChartsForChosenMetrics) {
  Json run = MakeRun("abc", {Metric("acc", 0.9)});
  RunDetailsOptions options;
  options.line_charts = true;
  options.chart_width = 10;
  options.chart_height = 3;
  std::string text = RenderRunDetails(run, {{"acc", {{0, 0.1}, {1, 0.5}, {2, 0.9}}}}, options);
  EXPECT_THAT(text, HasSubstr("acc: 3 points, min 0.1, max 0.9, last 0.9\n"));
  EXPECT_THAT(text, HasSubstr("0.9 ┤"));
  EXPECT_THAT(text, HasSubstr("0.1 ┤"));
  EXPECT_THAT(text, HasSubstr("    └──────────\n"));
  EXPECT_THAT(text, Not(HasSubstr("HISTORY")));
}

}  // namespace
}  // namespace plinth::cli
