#include "plinth/tracking/log_batch_decoder.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/tracking/mlflow_json.h"

namespace plinth::tracking {
namespace {

using ::testing::HasSubstr;

http::Request Post(std::string body) {
  http::Request r;
  r.method = "POST";
  r.path = "/api/2.0/mlflow/runs/log-batch";
  r.body = std::move(body);
  return r;
}

bool SameDouble(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

void ExpectSame(const LogBatchRequest& a, const LogBatchRequest& b, const std::string& body) {
  EXPECT_EQ(a.run_id, b.run_id) << body;
  ASSERT_EQ(a.metrics.size(), b.metrics.size()) << body;
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    EXPECT_EQ(a.metrics[i].key, b.metrics[i].key) << body;
    EXPECT_TRUE(SameDouble(a.metrics[i].value, b.metrics[i].value))
        << body << ": " << a.metrics[i].value << " vs " << b.metrics[i].value;
    EXPECT_EQ(a.metrics[i].timestamp, b.metrics[i].timestamp) << body;
    EXPECT_EQ(a.metrics[i].step, b.metrics[i].step) << body;
  }
  auto same_pairs = [&](const std::vector<KeyValue>& x, const std::vector<KeyValue>& y) {
    ASSERT_EQ(x.size(), y.size()) << body;
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].key, y[i].key) << body;
      EXPECT_EQ(x[i].value, y[i].value) << body;
    }
  };
  same_pairs(a.params, b.params);
  same_pairs(a.tags, b.tags);
}

// Bodies in the form the fast path reads: it must decode each, to exactly
// what the general path makes of it.
TEST(LogBatchDecoderTest, FastPathDecodesLikeTheGeneralParser) {
  const std::vector<std::string> bodies = {
      R"({"run_id":"r1","metrics":[{"key":"loss","value":0.5,"timestamp":1700000000000,"step":3}]})",
      // Whitespace anywhere, fields in any order, step missing or null.
      " \n{ \"metrics\" : [ {\"step\":null,\"timestamp\":5,\"value\":1,\"key\":\"a\"} ,"
      "{\"timestamp\":6,\"key\":\"b\",\"value\":-2.5e-3} ] ,\"run_id\":\"r2\" }\r\n\t",
      // MLflow clients: run_uuid, int64 as strings, non-finite values as strings.
      R"({"run_uuid":"r3","metrics":[{"key":"x","value":"NaN","timestamp":"17","step":"-4"},
          {"key":"x","value":"Infinity","timestamp":1,"step":2},
          {"key":"x","value":"-Infinity","timestamp":1,"step":2},
          {"key":"x","value":"1.25","timestamp":1,"step":2}]})",
      // run_id wins over run_uuid; an empty run_id gives way to run_uuid.
      R"({"run_id":"a","run_uuid":"b"})",
      R"({"run_id":"","run_uuid":"b","metrics":[]})",
      R"({"run_id":"a","run_uuid":null,"metrics":null,"params":null,"tags":null})",
      // Integral floats for integers, integers and extremes for values.
      R"({"run_id":"r","metrics":[{"key":"k","value":12345678901,"timestamp":5.0,"step":1e3},
          {"key":"k","value":-0.0,"timestamp":0,"step":-9223372036854775808},
          {"key":"k","value":1.7976931348623157e308,"timestamp":9223372036854775807},
          {"key":"k","value":4.9e-324,"timestamp":1},{"key":"k","value":-0,"timestamp":1},
          {"key":"k","value":0.1,"timestamp":1}]})",
      // Escapes in strings, non-ASCII keys.
      R"({"run_id":"r\u0031","metrics":[{"key":"a\/b","value":1,"timestamp":1},
          {"key":"\u00fcn\u00efcode","value":1,"timestamp":1},{"key":"ünï","value":1,"timestamp":1}],
          "params":[{"key":"p\"q","value":"v\\w"}]})",
      // Params and tags, values missing or null.
      R"({"run_id":"r","params":[{"key":"lr","value":"0.01"},{"key":"empty"},
          {"key":"nul","value":null}],"tags":[{"value":"v","key":"t"}]})",
  };
  for (const std::string& body : bodies) {
    auto fast = DecodeLogBatchFast(body);
    ASSERT_TRUE(fast.has_value()) << "fast path gave up on: " << body;
    auto general = DecodeLogBatchGeneral(Post(body));
    ASSERT_TRUE(general.ok()) << body << ": " << general.status();
    ExpectSame(*fast, *general, body);
  }
}

// Anything unusual is left to the general path, so both paths give the same
// result and the same error messages.
TEST(LogBatchDecoderTest, UnusualBodiesTakeTheGeneralPath) {
  const std::vector<std::string> bodies = {
      "",
      "[]",
      "{",
      R"({"run_id":"r"} x)",
      R"({"run_id":"r"}{})",
      R"({"run_id":"r","metrics":[{"key":"k","value":NaN,"timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":-Infinity,"timestamp":1}]})",
      // Repeated fields: nlohmann keeps the last one.
      R"({"run_id":"a","run_id":"b"})",
      R"({"run_id":"r","metrics":[{"key":"k","key":"j","value":1,"timestamp":1}]})",
      // Fields the fast path does not know.
      R"({"run_id":"r","extra":{"a":[1,2]}})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1,"timestamp":1,"model_id":"m"}]})",
      // Types the general path converts or rejects.
      R"({"run_id":["r"]})",
      R"({"run_id":5})",
      R"({"run_id":"r","metrics":{}})",
      R"({"run_id":"r","metrics":[5]})",
      R"({"run_id":"r","metrics":[{"key":1,"value":1,"timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":true,"timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":null,"timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1,"timestamp":1.5}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1,"timestamp":"1x"}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":"abc","timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1,"timestamp":18446744073709551615}]})",
      R"({"run_id":"r","params":[{"key":"p","value":5}]})",
      R"({"run_id":"r","params":[{"value":"v"}]})",
      R"({"run_id":"r","tags":[{"key":"t","value":false}]})",
      // Missing run id.
      R"({"metrics":[]})",
      R"({"run_id":"","run_uuid":""})",
      // A raw control character inside a string is not JSON.
      "{\"run_id\":\"r\tx\"}",
      "{\"run_id\":\"r\",\"metrics\":[{\"key\":\"a\nb\",\"value\":1,\"timestamp\":1}]}",
      // An escaped one is, but the key check rejects it: the general path decides.
      R"({"run_id":"r","metrics":[{"key":"a\nb","value":1,"timestamp":1}]})",
      // Malformed numbers and invalid UTF-8.
      R"({"run_id":"r","metrics":[{"key":"k","value":01,"timestamp":1}]})",
      R"({"run_id":"r","metrics":[{"key":"k","value":1.,"timestamp":1}]})",
      "{\"run_id\":\"r\xff\"}",
  };
  for (const std::string& body : bodies) {
    EXPECT_FALSE(DecodeLogBatchFast(body).has_value()) << "fast path accepted: " << body;
    absl::StatusOr<LogBatchRequest> both = DecodeLogBatch(Post(body));
    absl::StatusOr<LogBatchRequest> general = DecodeLogBatchGeneral(Post(body));
    ASSERT_EQ(both.ok(), general.ok()) << body;
    if (both.ok()) {
      ExpectSame(*both, *general, body);
    } else {
      EXPECT_EQ(both.status(), general.status()) << body;
    }
  }
}

TEST(LogBatchDecoderTest, ErrorsNameTheField) {
  auto missing = DecodeLogBatch(Post(R"({"metrics":[]})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("run_id"));

  auto bad_value =
      DecodeLogBatch(Post(R"({"run_id":"r","metrics":[{"key":"k","value":1,"timestamp":1},)"
                          R"({"key":"k","value":[],"timestamp":1}]})"));
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(MlflowErrorCode(bad_value.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(std::string(bad_value.status().message()), HasSubstr("metrics[1].value"));

  auto malformed = DecodeLogBatch(Post(R"({"run_id":"r","metrics":[)"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(std::string(malformed.status().message()), HasSubstr("malformed JSON"));
}

// A full-size batch (1000 metrics, the form clients send) takes the fast path.
TEST(LogBatchDecoderTest, DecodesAFullBatch) {
  std::string body = R"({"run_id":"0123456789abcdef","metrics":[)";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&body, i ? "," : "", R"({"key":"metric_)", i % 10, R"(","value":)", i * 0.125,
                    R"(,"timestamp":)", 1764201600000 + i / 10, R"(,"step":)", i / 10, "}");
  }
  body += R"(],"params":[],"tags":[]})";
  auto fast = DecodeLogBatchFast(body);
  ASSERT_TRUE(fast.has_value());
  ASSERT_EQ(fast->metrics.size(), 1000u);
  EXPECT_EQ(fast->metrics[999].key, "metric_9");
  EXPECT_EQ(fast->metrics[999].value, 999 * 0.125);
  EXPECT_EQ(fast->metrics[999].step, 99);
  auto general = DecodeLogBatchGeneral(Post(body));
  ASSERT_TRUE(general.ok());
  ExpectSame(*fast, *general, "full batch");
}

// GET requests read the query string, as Args does.
TEST(LogBatchDecoderTest, QueryStringRequestsUseTheGeneralPath) {
  http::Request r;
  r.method = "POST";
  r.query = {{"run_id", "from-query"}};
  auto decoded = DecodeLogBatch(r);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->run_id, "from-query");
}

}  // namespace
}  // namespace plinth::tracking
