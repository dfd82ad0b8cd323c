#include "plinth/metrics/registry.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CounterTest, IncrementsByOneOrByAmount) {
  Counter c;
  EXPECT_EQ(c.Value(), 0);
  c.Increment();
  c.Increment(2.5);
  EXPECT_EQ(c.Value(), 3.5);
}

TEST(CounterTest, ConcurrentIncrementsAreNotLost) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000);
}

TEST(GaugeTest, SetAndAdd) {
  Gauge g;
  g.Set(5);
  g.Add(-7.5);
  EXPECT_EQ(g.Value(), -2.5);
  g.Set(1);
  EXPECT_EQ(g.Value(), 1);
}

TEST(HistogramTest, BucketsAreCumulativeAndBoundsInclusive) {
  std::vector<double> bounds = {1, 2, 5};
  Histogram h(&bounds);
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 100.0}) h.Observe(v);
  Histogram::Snapshot s = h.Take();
  // le=1: 0.5, 1.0; le=2: +1.5, 2.0; le=5: +4.0; +Inf: +100.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_EQ(s.sum, 109.0);
}

TEST(HistogramTest, EmptySnapshot) {
  std::vector<double> bounds = {1};
  Histogram h(&bounds);
  Histogram::Snapshot s = h.Take();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 0}));
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
}

TEST(FamilyTest, WithLabelsReturnsTheSameChildForTheSameValues) {
  Family<Counter> f("x_total", "X.", {"a", "b"});
  Counter& c1 = f.WithLabels({"1", "2"});
  Counter& c2 = f.WithLabels({"1", "2"});
  Counter& c3 = f.WithLabels({"1", "3"});
  EXPECT_EQ(&c1, &c2);
  EXPECT_NE(&c1, &c3);
  c1.Increment();
  EXPECT_EQ(c2.Value(), 1);
  EXPECT_EQ(c3.Value(), 0);
}

TEST(EscapeLabelValueTest, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("plain/path-1"), "plain/path-1");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(RegistryTest, ExposesTheTextFormatExactly) {
  Registry r;
  auto& requests = r.AddCounter("req_total", "Requests served.", {"method"});
  requests.WithLabels({"POST"}).Increment();
  requests.WithLabels({"GET"}).Increment();
  requests.WithLabels({"GET"}).Increment(2);
  r.AddGauge("temperature", "Current temperature.").WithLabels({}).Set(-1.5);
  auto& latency = r.AddHistogram("lat_seconds", "Latency.", {"route"}, {0.25, 1});
  for (double v : {0.125, 0.25, 0.5, 4.0}) latency.WithLabels({"/a"}).Observe(v);

  EXPECT_EQ(r.Expose(),
            "# HELP req_total Requests served.\n"
            "# TYPE req_total counter\n"
            "req_total{method=\"GET\"} 3\n"
            "req_total{method=\"POST\"} 1\n"
            "# HELP temperature Current temperature.\n"
            "# TYPE temperature gauge\n"
            "temperature -1.5\n"
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"/a\",le=\"0.25\"} 2\n"
            "lat_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"/a\"} 4.875\n"
            "lat_seconds_count{route=\"/a\"} 4\n");
}

TEST(RegistryTest, UnlabelledHistogramHasOnlyLeLabels) {
  Registry r;
  r.AddHistogram("h", "H.", {}, {2}).WithLabels({}).Observe(1);
  EXPECT_EQ(r.Expose(),
            "# HELP h H.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"2\"} 1\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 1\n"
            "h_count 1\n");
}

TEST(RegistryTest, FamilyWithoutChildrenHasOnlyHeaders) {
  Registry r;
  r.AddCounter("unused_total", "Never incremented.", {"x"});
  EXPECT_EQ(r.Expose(),
            "# HELP unused_total Never incremented.\n"
            "# TYPE unused_total counter\n");
}

TEST(RegistryTest, EscapesLabelValuesInExposition) {
  Registry r;
  r.AddCounter("c_total", "C.", {"path"}).WithLabels({"a\"b\\c\nd"}).Increment();
  EXPECT_THAT(r.Expose(), HasSubstr("c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(RegistryTest, NonFiniteAndFractionalValuesUsePrometheusSpelling) {
  Registry r;
  auto& g = r.AddGauge("g", "G.", {"k"});
  g.WithLabels({"nan"}).Set(std::numeric_limits<double>::quiet_NaN());
  g.WithLabels({"pinf"}).Set(std::numeric_limits<double>::infinity());
  g.WithLabels({"ninf"}).Set(-std::numeric_limits<double>::infinity());
  g.WithLabels({"small"}).Set(0.00025);
  std::string text = r.Expose();
  EXPECT_THAT(text, HasSubstr("g{k=\"nan\"} NaN\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"pinf\"} +Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"ninf\"} -Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"small\"} 0.00025\n"));
}

TEST(RegistryTest, DefaultLatencyBucketsAreSortedAndReadBackExactly) {
  const auto& b = DefaultLatencyBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_EQ(b.front(), 0.0001);
  EXPECT_EQ(b.back(), 10);
  Registry r;
  r.AddHistogram("d", "D.", {}).WithLabels({}).Observe(0.0003);
  std::string text = r.Expose();
  // Every le value reads back as exactly its bound, in order, then +Inf.
  std::vector<std::string> les;
  for (size_t pos = 0; (pos = text.find("le=\"", pos)) != std::string::npos;) {
    pos += 4;
    les.push_back(text.substr(pos, text.find('"', pos) - pos));
  }
  ASSERT_EQ(les.size(), b.size() + 1);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(std::strtod(les[i].c_str(), nullptr), b[i]);
  EXPECT_EQ(les.back(), "+Inf");
  EXPECT_THAT(text, HasSubstr("d_bucket{le=\"0.00025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("d_bucket{le=\"10\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("0.00025000")));
}

TEST(RegistryTest, CollectorsRunAtEachExpose) {
  Registry r;
  Gauge& scrapes = r.AddGauge("scrapes", "Times exposed.").WithLabels({});
  int calls = 0;
  r.AddCollector([&] { scrapes.Set(++calls); });
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(r.Expose(), HasSubstr("scrapes 1\n"));
  EXPECT_THAT(r.Expose(), HasSubstr("scrapes 2\n"));
  EXPECT_EQ(calls, 2);
}

TEST(RegistryTest, CollectorMayUseTheRegistry) {
  // A collector that creates children must not deadlock against Expose.
  Registry r;
  auto& rows = r.AddGauge("rows", "Rows.", {"table"});
  r.AddCollector([&] { rows.WithLabels({"runs"}).Set(7); });
  EXPECT_THAT(r.Expose(), HasSubstr("rows{table=\"runs\"} 7\n"));
}

TEST(RegistryTest, GlobalIsOneInstance) { EXPECT_EQ(&Registry::Global(), &Registry::Global()); }

}  // namespace
}  // namespace plinth::metrics
