#include "plinth/tracking/validation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"

namespace plinth::tracking {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

void ExpectInvalid(const absl::Status& s, const std::string& fragment) {
  ASSERT_FALSE(s.ok()) << "expected an error naming " << fragment;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MlflowErrorCode(s), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(Message(s), HasSubstr(fragment));
}

TEST(ValidateKeyTest, AcceptsMlflowKeyCharacters) {
  for (const std::string& key :
       {std::string("rmse"), std::string("train/loss"), std::string("a.b-c_d e"),
        std::string("v1.0"), std::string("x/y/z"), std::string("ünïcode"),
        std::string(kMaxKeyLength, 'k')}) {
    EXPECT_TRUE(ValidateKey(key, "key").ok()) << key;
  }
}

TEST(ValidateKeyTest, RejectsEmpty) {
  ExpectInvalid(ValidateKey("", "metrics[0].key"), "'metrics[0].key'");
  EXPECT_THAT(Message(ValidateKey("", "key")), HasSubstr("Missing value"));
}

TEST(ValidateKeyTest, RejectsOverLongKeys) {
  absl::Status s = ValidateKey(std::string(kMaxKeyLength + 1, 'k'), "params[2].key");
  ExpectInvalid(s, "'params[2].key'");
  EXPECT_THAT(Message(s), HasSubstr("251"));
  EXPECT_THAT(Message(s), HasSubstr("250"));
}

TEST(ValidateKeyTest, RejectsCharactersOutsideThePattern) {
  for (const char* key : {"a:b", "a,b", "tab\tkey", "new\nline", "q\"uote", "semi;colon",
                          "back\\slash", "star*", "pct%"}) {
    ExpectInvalid(ValidateKey(key, "tags[1].key"), "'tags[1].key'");
  }
  EXPECT_THAT(Message(ValidateKey("a:b", "key")), HasSubstr("alphanumerics"));
}

TEST(ValidateKeyTest, RejectsPathEscapes) {
  for (const char* key : {"..", "../x", "a/../b", "a..b", "/abs", "a//b", "x/.."}) {
    absl::Status s = ValidateKey(key, "key");
    ExpectInvalid(s, "'key'");
    EXPECT_THAT(Message(s), HasSubstr("..")) << key;
  }
}

TEST(ValidateValueTest, ParamValueLimit) {
  EXPECT_TRUE(ValidateParamValue(std::string(kMaxParamValueLength, 'v'), "value").ok());
  EXPECT_TRUE(ValidateParamValue("", "value").ok());
  absl::Status s =
      ValidateParamValue(std::string(kMaxParamValueLength + 1, 'v'), "params[0].value");
  ExpectInvalid(s, "'params[0].value'");
  EXPECT_THAT(Message(s), HasSubstr("6000"));
}

TEST(ValidateValueTest, TagValueLimit) {
  EXPECT_TRUE(ValidateTagValue(std::string(kMaxTagValueLength, 'v'), "value").ok());
  absl::Status s = ValidateTagValue(std::string(kMaxTagValueLength + 1, 'v'), "tags[4].value");
  ExpectInvalid(s, "'tags[4].value'");
  EXPECT_THAT(Message(s), HasSubstr("8000"));
}

TEST(ValidateNameTest, ExperimentName) {
  EXPECT_TRUE(ValidateExperimentName("my experiment / with anything: *").ok());
  EXPECT_TRUE(ValidateExperimentName(std::string(kMaxExperimentNameLength, 'e')).ok());
  ExpectInvalid(ValidateExperimentName(""), "'name'");
  ExpectInvalid(ValidateExperimentName(std::string(kMaxExperimentNameLength + 1, 'e')), "500");
}

TEST(ValidateNameTest, RunName) {
  EXPECT_TRUE(ValidateRunName("").ok());  // generated later
  EXPECT_TRUE(ValidateRunName(std::string(kMaxRunNameLength, 'r')).ok());
  ExpectInvalid(ValidateRunName(std::string(kMaxRunNameLength + 1, 'r')), "500");
}

TEST(ValidateTimestampTest, NonNegative) {
  EXPECT_TRUE(ValidateTimestamp(0, "t").ok());
  EXPECT_TRUE(ValidateTimestamp(1'700'000'000'000, "t").ok());
  ExpectInvalid(ValidateTimestamp(-1, "metrics[2].timestamp"), "'metrics[2].timestamp'");
}

std::vector<Metric> Metrics(size_t n) {
  std::vector<Metric> out;
  for (size_t i = 0; i < n; ++i) out.push_back({absl::StrCat("m", i), 1.0, 0, 0});
  return out;
}
std::vector<KeyValue> Pairs(const std::string& prefix, size_t n) {
  std::vector<KeyValue> out;
  for (size_t i = 0; i < n; ++i) out.push_back({absl::StrCat(prefix, i), "v"});
  return out;
}

TEST(ValidateBatchTest, AcceptsBatchesAtTheLimits) {
  EXPECT_TRUE(ValidateBatch({}, {}, {}).ok());
  EXPECT_TRUE(ValidateBatch(Metrics(kMaxBatchMetrics), {}, {}).ok());
  EXPECT_TRUE(ValidateBatch({}, Pairs("p", kMaxBatchParams), Pairs("t", kMaxBatchTags)).ok());
  EXPECT_TRUE(ValidateBatch(Metrics(800), Pairs("p", 100), Pairs("t", 100)).ok());
}

TEST(ValidateBatchTest, RejectsOversizedBatches) {
  ExpectInvalid(ValidateBatch(Metrics(kMaxBatchMetrics + 1), {}, {}), "1001 metrics");
  ExpectInvalid(ValidateBatch({}, Pairs("p", kMaxBatchParams + 1), {}), "101 params");
  ExpectInvalid(ValidateBatch({}, {}, Pairs("t", kMaxBatchTags + 1)), "101 tags");
  // Each part within its own limit, but 1001 entities in total.
  absl::Status total = ValidateBatch(Metrics(801), Pairs("p", 100), Pairs("t", 100));
  ExpectInvalid(total, "at most 1000 in total");
  EXPECT_THAT(Message(total), HasSubstr("801 metrics"));
}

TEST(ValidateBatchTest, MessagesNameTheOffendingElement) {
  std::vector<Metric> metrics = Metrics(5);
  metrics[3].key = "bad:key";
  ExpectInvalid(ValidateBatch(metrics, {}, {}), "'metrics[3].key'");

  metrics = Metrics(5);
  metrics[4].timestamp = -5;
  ExpectInvalid(ValidateBatch(metrics, {}, {}), "'metrics[4].timestamp'");

  std::vector<KeyValue> params = Pairs("p", 3);
  params[2].key = "../escape";
  ExpectInvalid(ValidateBatch({}, params, {}), "'params[2].key'");

  params = Pairs("p", 3);
  params[1].value = std::string(kMaxParamValueLength + 1, 'x');
  ExpectInvalid(ValidateBatch({}, params, {}), "'params[1].value'");

  std::vector<KeyValue> tags = Pairs("t", 2);
  tags[1].key = "";
  ExpectInvalid(ValidateBatch({}, {}, tags), "'tags[1].key'");

  tags = Pairs("t", 2);
  tags[0].value = std::string(kMaxTagValueLength + 1, 'x');
  ExpectInvalid(ValidateBatch({}, {}, tags), "'tags[0].value'");
}

TEST(ValidateBatchTest, RejectsDuplicateParamKeys) {
  std::vector<KeyValue> params = {{"lr", "0.1"}, {"depth", "3"}, {"lr", "0.1"}};
  absl::Status s = ValidateBatch({}, params, {});
  ExpectInvalid(s, "Duplicate parameter keys");
  EXPECT_THAT(Message(s), HasSubstr("'lr'"));
}

// ValidateBatch checks metric keys with a quick test before formatting any
// message: it must reject exactly what ValidateKey rejects.
TEST(ValidateBatchTest, MetricKeysAreCheckedAsValidateKeyChecks) {
  for (const std::string& key : {std::string("rmse"),
                                 std::string("train/loss"),
                                 std::string("a.b-c_d e"),
                                 std::string("x/y/z"),
                                 std::string("ünïcode"),
                                 std::string("a.b/c.d"),
                                 std::string(kMaxKeyLength, 'k'),
                                 std::string(kMaxKeyLength + 1, 'k'),
                                 std::string(""),
                                 std::string("a:b"),
                                 std::string("tab\tkey"),
                                 std::string(".."),
                                 std::string("a..b"),
                                 std::string("/abs"),
                                 std::string("a//b"),
                                 std::string("x/.."),
                                 std::string("./x"),
                                 std::string("a./b"),
                                 std::string("a/.b"),
                                 std::string("new\nline")}) {
    std::vector<Metric> metrics = Metrics(3);
    metrics[1].key = key;
    absl::Status batch = ValidateBatch(metrics, {}, {});
    absl::Status single = ValidateKey(key, "metrics[1].key");
    EXPECT_EQ(batch.ok(), single.ok()) << key;
    EXPECT_EQ(batch.message(), single.message()) << key;
  }
}

TEST(ValidateBatchTest, RepeatedMetricAndTagKeysAreFine) {
  std::vector<Metric> metrics = {{"loss", 1, 0, 0}, {"loss", 0.5, 1, 1}};
  std::vector<KeyValue> tags = {{"t", "a"}, {"t", "b"}};
  EXPECT_TRUE(ValidateBatch(metrics, {}, tags).ok());
}

}  // namespace
}  // namespace plinth::tracking
