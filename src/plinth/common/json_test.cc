#include "plinth/common/json.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"

namespace plinth {
namespace {

using ::testing::HasSubstr;

TEST(ParseJsonLenientTest, ParsesStrictJson) {
  auto parsed = ParseJsonLenient(R"({"a": 1, "b": [true, null, "x"], "c": {"d": 2.5}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"], 1);
  EXPECT_EQ((*parsed)["b"][2], "x");
  EXPECT_EQ((*parsed)["c"]["d"], 2.5);
}

TEST(ParseJsonLenientTest, BareNonFiniteTokensBecomeStrings) {
  auto parsed = ParseJsonLenient(R"({"a": NaN, "b": Infinity, "c": -Infinity, "d": [NaN, 1]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"], "NaN");
  EXPECT_EQ((*parsed)["b"], "Infinity");
  EXPECT_EQ((*parsed)["c"], "-Infinity");
  EXPECT_EQ((*parsed)["d"][0], "NaN");
  EXPECT_EQ((*parsed)["d"][1], 1);
}

TEST(ParseJsonLenientTest, TokensInsideStringsAreUntouched) {
  // The bare NaN forces the rewrite; the strings (including one with an
  // escaped quote before "NaN") must come through byte for byte.
  auto parsed = ParseJsonLenient(
      R"({"v": NaN, "s": "NaN and Infinity", "q": "say \"NaN\" -Infinity", "NaN": 1})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["v"], "NaN");
  EXPECT_EQ((*parsed)["s"], "NaN and Infinity");
  EXPECT_EQ((*parsed)["q"], "say \"NaN\" -Infinity");
  EXPECT_EQ((*parsed)["NaN"], 1);
}

TEST(ParseJsonLenientTest, TrailingBackslashInStringDoesNotConfuseTheRewrite) {
  auto parsed = ParseJsonLenient(R"({"path": "C:\\", "v": Infinity})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["path"], "C:\\");
  EXPECT_EQ((*parsed)["v"], "Infinity");
}

TEST(ParseJsonLenientTest, MalformedJsonIsBadRequestNamingTheByteOffset) {
  auto parsed = ParseJsonLenient(R"({"a": 1,})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorNameOf(parsed.status()), "BAD_REQUEST");
  EXPECT_EQ(HttpStatusFor(parsed.status()), 400);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("at byte 9"));
}

TEST(ParseJsonLenientTest, TruncatedAndEmptyInputsAreBadRequest) {
  for (const char* text : {"", "{", "[1 2]", "{\"a\": tru}", "NaNx"}) {
    auto parsed = ParseJsonLenient(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(ErrorNameOf(parsed.status()), "BAD_REQUEST") << text;
  }
}

// With a bare NaN before a real syntax error, the offset is that of the real
// error (the '}' at byte 17), not of the NaN where a strict parser stops.
TEST(ParseJsonLenientTest, OffsetPointsAtTheRealErrorWhenNaNPrecedesIt) {
  auto parsed = ParseJsonLenient(R"({"a": NaN, "b": })");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("at byte 17"));
}

TEST(JsonToDoubleTest, ReadsNumbersAndNumericStrings) {
  EXPECT_EQ(*JsonToDouble(Json(1.5)), 1.5);
  EXPECT_EQ(*JsonToDouble(Json(3)), 3.0);
  EXPECT_EQ(*JsonToDouble(Json(-2)), -2.0);
  EXPECT_EQ(*JsonToDouble(Json("2.25")), 2.25);
  EXPECT_EQ(*JsonToDouble(Json("1e3")), 1000.0);
  EXPECT_TRUE(std::isnan(*JsonToDouble(Json("NaN"))));
  EXPECT_EQ(*JsonToDouble(Json("Infinity")), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*JsonToDouble(Json("-Infinity")), -std::numeric_limits<double>::infinity());
}

TEST(JsonToDoubleTest, RejectsNonNumbers) {
  for (const Json& v :
       {Json("abc"), Json(""), Json(true), Json(nullptr), Json::array({1}), Json::object()}) {
    auto d = JsonToDouble(v);
    EXPECT_FALSE(d.ok()) << v.dump();
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << v.dump();
  }
  EXPECT_THAT(std::string(JsonToDouble(Json("abc")).status().message()), HasSubstr("\"abc\""));
}

TEST(JsonToDoubleTest, LenientParseThenReadRoundTripsNonFinite) {
  auto parsed = ParseJsonLenient("[NaN, Infinity, -Infinity, 0.5]");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(std::isnan(*JsonToDouble((*parsed)[0])));
  EXPECT_EQ(*JsonToDouble((*parsed)[1]), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*JsonToDouble((*parsed)[2]), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*JsonToDouble((*parsed)[3]), 0.5);
}

TEST(JsonToInt64Test, ReadsIntegersAndDigitStrings) {
  EXPECT_EQ(*JsonToInt64(Json(42)), 42);
  EXPECT_EQ(*JsonToInt64(Json(-7)), -7);
  EXPECT_EQ(*JsonToInt64(Json("42")), 42);
  EXPECT_EQ(*JsonToInt64(Json("-7")), -7);
  EXPECT_EQ(*JsonToInt64(Json("9223372036854775807")), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*JsonToInt64(Json(3.0)), 3);  // integral floats are accepted
  EXPECT_EQ(*JsonToInt64(Json(1700000000000)), 1700000000000);
}

TEST(JsonToInt64Test, RejectsFractionsAndNonNumbers) {
  for (const Json& v : {Json(3.5), Json("3.5"), Json("abc"), Json(""), Json(true), Json(nullptr),
                        Json(1e19), Json("99999999999999999999"), Json::array({1})}) {
    auto i = JsonToInt64(v);
    EXPECT_FALSE(i.ok()) << v.dump();
    EXPECT_EQ(i.status().code(), absl::StatusCode::kInvalidArgument) << v.dump();
  }
}

TEST(DoubleToJsonTest, WritesNonFiniteAsMlflowStrings) {
  EXPECT_EQ(DoubleToJson(std::numeric_limits<double>::quiet_NaN()), Json("NaN"));
  EXPECT_EQ(DoubleToJson(std::numeric_limits<double>::infinity()), Json("Infinity"));
  EXPECT_EQ(DoubleToJson(-std::numeric_limits<double>::infinity()), Json("-Infinity"));
  Json finite = DoubleToJson(1.25);
  EXPECT_TRUE(finite.is_number());
  EXPECT_EQ(finite.get<double>(), 1.25);
}

TEST(DoubleToJsonTest, RoundTripsThroughJsonToDouble) {
  for (double v : {0.0, -3.5, 1e300, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(*JsonToDouble(DoubleToJson(v)), v);
  }
  EXPECT_TRUE(std::isnan(*JsonToDouble(DoubleToJson(std::nan("")))));
}

TEST(JsonTest, NumbersBeyondADoubleAreABadRequest) {
  absl::StatusOr<Json> parsed = ParseJsonLenient(R"({"value": 1e999})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckJsonDepthTest, AcceptsTheLimitAndRejectsOneMore) {
  std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonLenient(at_limit).ok());
  std::string over =
      "{\"filter\": " + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  auto parsed = ParseJsonLenient(over);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(HttpStatusFor(parsed.status()), 400);
  EXPECT_THAT(parsed.status().message(), HasSubstr("nests deeper than 64 levels"));
}

TEST(CheckJsonDepthTest, FiftyThousandLevelsAreRefusedWithoutRecursing) {
  std::string deep = "{\"filter\": " + std::string(50000, '[') + std::string(50000, ']') + "}";
  EXPECT_EQ(HttpStatusFor(ParseJsonLenient(deep).status()), 400);
  // Unbalanced (truncated) input is refused the same way.
  EXPECT_FALSE(CheckJsonDepth(std::string(100000, '{')).ok());
}

TEST(CheckJsonDepthTest, BracketsInsideStringsDoNotCount) {
  std::string text = "{\"s\": \"" + std::string(200, '[') + "\\\"" + std::string(200, '{') + "\"}";
  EXPECT_TRUE(CheckJsonDepth(text).ok());
  EXPECT_TRUE(ParseJsonLenient(text).ok());
}

TEST(ParseJsonSpecTest, DuplicateKeysAreRefusedAtAnyLevel) {
  EXPECT_TRUE(ParseJsonSpec(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]})").ok());
  auto top = ParseJsonSpec(R"({"name": "a", "command": ["x"], "name": "b"})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(HttpStatusFor(top.status()), 400);
  EXPECT_THAT(top.status().message(), HasSubstr("duplicate key 'name'"));
  EXPECT_FALSE(ParseJsonSpec(R"({"env": {"A": "1", "A": "2"}})").ok());
  EXPECT_THAT(ParseJsonSpec(R"({"a": )").status().message(), HasSubstr("malformed JSON"));
}

TEST(JsonToInt64Test, IntegersBeyondInt64AreRefusedNotWrapped) {
  auto parsed = ParseJsonLenient(R"({"step": 9223372036854775808, "max": 9223372036854775807})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(JsonToInt64((*parsed)["step"]).ok());
  EXPECT_EQ(*JsonToInt64((*parsed)["max"]), std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(JsonToInt64(Json("9223372036854775808")).ok());
  EXPECT_FALSE(JsonToInt64(Json(1e19)).ok());
}

}  // namespace
}  // namespace plinth
