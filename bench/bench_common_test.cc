#include "bench/bench_common.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace plinth::bench {
namespace {

TEST(PercentileTest, NearestRank) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(Percentile(v, 50), 3);
  EXPECT_EQ(Percentile(v, 0), 1);
  EXPECT_EQ(Percentile(v, 99), 5);
  EXPECT_EQ(Percentile(v, 100), 5);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 50), 2);
  EXPECT_EQ(Percentile({}, 50), 0);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 99), 99);
}

TEST(ParseResponseTest, WaitsForTheWholeBody) {
  std::string full = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nServer: plinth\r\n\r\nhello";
  HttpResponse r;
  for (size_t n = 0; n < full.size(); ++n) EXPECT_EQ(ParseResponse(full.substr(0, n), &r), 0) << n;
  EXPECT_EQ(ParseResponse(full + "HTTP/1.1", &r), static_cast<ptrdiff_t>(full.size()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
}

TEST(ParseResponseTest, RejectsUnframedResponses) {
  HttpResponse r;
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", &r),
            -1);
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", &r), -1);
  EXPECT_EQ(ParseResponse("garbage\r\n\r\n", &r), -1);
  std::string no_content = "HTTP/1.1 204 No Content\r\n\r\n";
  EXPECT_EQ(ParseResponse(no_content, &r), static_cast<ptrdiff_t>(no_content.size()));
  EXPECT_EQ(r.status, 204);
}

TEST(BuildRequestTest, FramesTheBody) {
  EXPECT_EQ(BuildRequest("POST", "/x", "{}"),
            "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
  EXPECT_EQ(BuildRequest("GET", "/healthz"),
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
}

TEST(ReadHistogramTest, SumsMatchingSeries) {
  std::string text =
      "# TYPE plinth_http_request_duration_seconds histogram\n"
      "plinth_http_request_duration_seconds_bucket{route=\"/a\",method=\"POST\",le=\"0.1\"} 3\n"
      "plinth_http_request_duration_seconds_sum{route=\"/a\",method=\"POST\"} 0.25\n"
      "plinth_http_request_duration_seconds_count{route=\"/a\",method=\"POST\"} 4\n"
      "plinth_http_request_duration_seconds_sum{route=\"/a\",method=\"GET\"} 0.5\n"
      "plinth_http_request_duration_seconds_count{route=\"/a\",method=\"GET\"} 1\n"
      "plinth_http_request_duration_seconds_sum{route=\"/ab\",method=\"GET\"} 9\n"
      "plinth_http_request_duration_seconds_count{route=\"/ab\",method=\"GET\"} 9\n";
  HistogramTotals t = ReadHistogram(text, "plinth_http_request_duration_seconds", {"route=\"/a\""});
  EXPECT_DOUBLE_EQ(t.sum, 0.75);
  EXPECT_DOUBLE_EQ(t.count, 5);
  t = ReadHistogram(text, "plinth_http_request_duration_seconds",
                    {"route=\"/a\"", "method=\"POST\""});
  EXPECT_DOUBLE_EQ(t.count, 4);
}

TEST(FlagsTest, FlagThenEnvironmentThenDefault) {
  setenv("PLINTH_BENCH_BATCH_SIZE", "7", 1);
  const char* argv[] = {"bench", "--clients=2,3", "--keep"};
  Flags flags(3, const_cast<char**>(argv));
  EXPECT_EQ(flags.IntList("clients", "4"), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(flags.Bool("keep", false));
  EXPECT_EQ(flags.Int("batch-size", 1000), 7);
  EXPECT_EQ(flags.Int("reps", 3), 3);
  flags.CheckAllUsed();
  unsetenv("PLINTH_BENCH_BATCH_SIZE");
}

TEST(FlagsTest, UnknownFlagIsAnError) {
  const char* argv[] = {"bench", "--batchs=3"};
  Flags flags(2, const_cast<char**>(argv));
  EXPECT_EXIT(flags.CheckAllUsed(), testing::ExitedWithCode(1), "unknown flag --batchs");
}

}  // namespace
}  // namespace plinth::bench
