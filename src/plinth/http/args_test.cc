#include "plinth/http/args.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"

namespace plinth::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Request Get(const std::string& query) {
  Request r;
  r.method = "GET";
  r.query = ParseQuery(query);
  return r;
}

Request Post(const std::string& body) {
  Request r;
  r.method = "POST";
  r.body = body;
  return r;
}

Args MustParse(const Request& r) {
  auto args = Args::FromRequest(r);
  EXPECT_TRUE(args.ok()) << args.status();
  return args.ok() ? *std::move(args) : Args(Json::object());
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(ArgsTest, GetReadsTheQueryString) {
  Args args = MustParse(Get("run_id=abc&max_results=5&flag=true&x=1.5"));
  EXPECT_EQ(**args.String("run_id"), "abc");
  EXPECT_EQ(**args.Int64("max_results"), 5);
  EXPECT_EQ(**args.Bool("flag"), true);
  EXPECT_EQ(**args.Double("x"), 1.5);
  EXPECT_FALSE(args.Has("missing"));
  EXPECT_FALSE(args.String("missing")->has_value());
}

TEST(ArgsTest, GetIgnoresTheBody) {
  Request r = Get("a=1");
  r.body = R"({"a": "2", "b": 3})";
  Args args = MustParse(r);
  EXPECT_EQ(**args.String("a"), "1");
  EXPECT_FALSE(args.Has("b"));
}

TEST(ArgsTest, HeadReadsTheQueryStringToo) {
  Request r = Get("a=1");
  r.method = "HEAD";
  EXPECT_EQ(**MustParse(r).String("a"), "1");
}

TEST(ArgsTest, RepeatedQueryKeysBecomeAList) {
  Args args = MustParse(Get("run_ids=a&run_ids=b&run_ids=c&one=x"));
  EXPECT_THAT(*args.StringList("run_ids"), ElementsAre("a", "b", "c"));
  // A single value counts as a one-element list.
  EXPECT_THAT(*args.StringList("one"), ElementsAre("x"));
  EXPECT_TRUE(args.StringList("none")->empty());
  // A repeated key is not a single string.
  auto s = args.String("run_ids");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s.status()), HasSubstr("'run_ids'"));
}

TEST(ArgsTest, PostReadsTheJsonBody) {
  Args args = MustParse(
      Post(R"({"name": "exp", "n": 3, "n_str": "4", "d": 2.5, "flag": false, "list": ["p", "q"],
               "nan": NaN})"));
  EXPECT_EQ(*args.RequiredString("name"), "exp");
  EXPECT_EQ(**args.Int64("n"), 3);
  EXPECT_EQ(**args.Int64("n_str"), 4);
  EXPECT_EQ(**args.Double("d"), 2.5);
  EXPECT_EQ(**args.Double("n"), 3.0);
  EXPECT_EQ(**args.Bool("flag"), false);
  EXPECT_THAT(*args.StringList("list"), ElementsAre("p", "q"));
  EXPECT_TRUE(std::isnan(**args.Double("nan")));
}

TEST(ArgsTest, EmptyBodyIsAnEmptyObject) {
  Args args = MustParse(Post(""));
  EXPECT_TRUE(args.json().is_object());
  EXPECT_TRUE(args.json().empty());
}

TEST(ArgsTest, EmptyBodyWithQueryReadsTheQuery) {
  Request r = Post("");
  r.method = "DELETE";
  r.query = ParseQuery("name=m&version=2");
  Args args = MustParse(r);
  EXPECT_EQ(*args.RequiredString("name"), "m");
  EXPECT_EQ(**args.Int64("version"), 2);
}

TEST(ArgsTest, BodyMustBeAJsonObject) {
  for (const char* body : {"[1, 2]", "\"s\"", "3"}) {
    auto args = Args::FromRequest(Post(body));
    ASSERT_FALSE(args.ok()) << body;
    EXPECT_EQ(ErrorNameOf(args.status()), "BAD_REQUEST") << body;
    EXPECT_THAT(Message(args.status()), HasSubstr("JSON object")) << body;
  }
}

TEST(ArgsTest, MalformedBodyIsBadRequest) {
  auto args = Args::FromRequest(Post(R"({"a": )"));
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(ErrorNameOf(args.status()), "BAD_REQUEST");
  EXPECT_THAT(Message(args.status()), HasSubstr("byte"));
}

TEST(ArgsTest, MissingRequiredFieldUsesMlflowWording) {
  Args args(Json::object());
  auto s = args.RequiredString("experiment_id");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MlflowErrorCode(s.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(Message(s.status()),
              HasSubstr("Missing value for required parameter 'experiment_id'"));
}

TEST(ArgsTest, NullCountsAsAbsent) {
  Args args(Json{{"a", nullptr}});
  EXPECT_FALSE(args.Has("a"));
  EXPECT_FALSE(args.String("a")->has_value());
  EXPECT_FALSE(args.RequiredString("a").ok());
}

// MLflow's wording: "Invalid value <v> for parameter '<f>' supplied. Hint:
// Value was of type '<python type>'. See the API docs ...".
TEST(ArgsTest, TypeErrorsNameTheFieldAndTheTypeSent) {
  Args args(Json{{"name", 5}, {"n", "abc"}, {"d", "x"}, {"b", "yes"}, {"l", Json::array({1})}});
  struct Case {
    absl::Status status;
    std::string field, want;
  };
  std::vector<Case> cases = {
      {args.String("name").status(), "Invalid value 5 for parameter 'name' supplied.",
       "Hint: Value was of type 'int'."},
      {args.Int64("n").status(), "'n'", "type 'str'"},
      {args.Double("d").status(), "'d'", "type 'str'"},
      {args.Bool("b").status(), "'b'", "type 'str'"},
      {args.StringList("l").status(), "'l'", "type 'list'"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.status.ok()) << c.field;
    EXPECT_EQ(MlflowErrorCode(c.status), "INVALID_PARAMETER_VALUE") << c.field;
    EXPECT_THAT(Message(c.status), HasSubstr(c.field));
    EXPECT_THAT(Message(c.status), HasSubstr(c.want));
  }
}

TEST(ArgsTest, InvalidValueTruncatesLongValues) {
  absl::Status s = InvalidValue("f", Json(std::string(500, 'x')), "must be short");
  // MLflow's sentence around the value is about 150 characters.
  EXPECT_LT(s.message().size(), 400u);
  EXPECT_THAT(Message(s), HasSubstr("..."));
}

TEST(ArgsTest, BoolAcceptsCommonSpellings) {
  Args args(Json{{"t1", "true"},
                 {"t2", "True"},
                 {"t3", "1"},
                 {"f1", "false"},
                 {"f2", "False"},
                 {"f3", "0"},
                 {"jt", true}});
  for (const char* k : {"t1", "t2", "t3", "jt"}) EXPECT_EQ(**args.Bool(k), true) << k;
  for (const char* k : {"f1", "f2", "f3"}) EXPECT_EQ(**args.Bool(k), false) << k;
}

TEST(ArgsTest, Int64RejectsFractions) {
  Args args(Json{{"a", 1.5}, {"b", "1.5"}});
  EXPECT_FALSE(args.Int64("a").ok());
  EXPECT_FALSE(args.Int64("b").ok());
}

TEST(ArgsTest, RequiredStringOneOfTakesTheFirstPresent) {
  std::vector<std::string> names = {"run_id", "run_uuid"};
  EXPECT_EQ(*Args(Json{{"run_uuid", "u"}}).RequiredStringOneOf(names), "u");
  EXPECT_EQ(*Args(Json{{"run_id", "i"}, {"run_uuid", "u"}}).RequiredStringOneOf(names), "i");
  // An empty run_id (old clients send both, one blank) falls through to run_uuid.
  EXPECT_EQ(*Args(Json{{"run_id", ""}, {"run_uuid", "u"}}).RequiredStringOneOf(names), "u");
  auto missing = Args(Json::object()).RequiredStringOneOf(names);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(Message(missing.status()), HasSubstr("'run_id'"));
  auto wrong_type = Args(Json{{"run_id", 3}}).RequiredStringOneOf(names);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(Message(wrong_type.status()),
              HasSubstr("Invalid value 3 for parameter 'run_id' supplied."));
}

TEST(ArgsTest, QueryValuesArePercentDecoded) {
  Args args = MustParse(Get("filter=metrics.rmse%20%3C%201&name=a+b"));
  EXPECT_EQ(**args.String("filter"), "metrics.rmse < 1");
  EXPECT_EQ(**args.String("name"), "a b");
}

}  // namespace
}  // namespace plinth::http
