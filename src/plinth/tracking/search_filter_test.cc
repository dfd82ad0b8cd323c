#include "plinth/tracking/search_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"

namespace plinth::tracking {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<Comparison> Parse(absl::string_view filter,
                              const SearchSchema& schema = RunSearchSchema()) {
  auto parsed = ParseSearchFilter(filter, schema);
  EXPECT_TRUE(parsed.ok()) << filter << ": " << parsed.status();
  return parsed.ok() ? *parsed : std::vector<Comparison>{};
}

Comparison ParseOne(absl::string_view filter, const SearchSchema& schema = RunSearchSchema()) {
  std::vector<Comparison> parsed = Parse(filter, schema);
  EXPECT_EQ(parsed.size(), 1u) << filter;
  return parsed.empty() ? Comparison{} : parsed[0];
}

// Expects an INVALID_PARAMETER_VALUE error naming 1-based column `column`
// and containing `text`.
void ExpectFilterError(absl::string_view filter, int column, absl::string_view text,
                       const SearchSchema& schema = RunSearchSchema()) {
  auto parsed = ParseSearchFilter(filter, schema);
  ASSERT_FALSE(parsed.ok()) << filter;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MlflowErrorCode(parsed.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr(absl::StrCat("at column ", column, ":")))
      << filter;
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(text)) << filter;
}

// Same, with the column of the first occurrence of `at` in the filter.
void ExpectFilterErrorAt(absl::string_view filter, absl::string_view at, absl::string_view text,
                         const SearchSchema& schema = RunSearchSchema()) {
  size_t pos = filter.find(at);
  ASSERT_NE(pos, absl::string_view::npos) << at;
  ExpectFilterError(filter, static_cast<int>(pos) + 1, text, schema);
}

double Number(const Comparison& c) { return std::get<double>(c.value); }
std::string Str(const Comparison& c) { return std::get<std::string>(c.value); }
std::vector<std::string> List(const Comparison& c) {
  return std::get<std::vector<std::string>>(c.value);
}

TEST(SearchFilterTest, EmptyFilterHasNoClauses) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("  \t\n ").empty());
}

TEST(SearchFilterTest, MetricWithEveryNumericOperator) {
  for (const char* op : {"=", "!=", ">", ">=", "<", "<="}) {
    Comparison c = ParseOne(absl::StrCat("metrics.acc ", op, " 0.9"));
    EXPECT_EQ(c.type, EntityType::kMetric);
    EXPECT_EQ(c.key, "acc");
    EXPECT_EQ(c.op, op);
    EXPECT_DOUBLE_EQ(Number(c), 0.9);
    EXPECT_EQ(c.position, 0);
  }
}

TEST(SearchFilterTest, Numbers) {
  EXPECT_DOUBLE_EQ(Number(ParseOne("metric.loss <= -1.5e-3")), -0.0015);
  EXPECT_DOUBLE_EQ(Number(ParseOne("metrics.a > 42")), 42);
  EXPECT_DOUBLE_EQ(Number(ParseOne("metrics.a > .5")), 0.5);
  EXPECT_DOUBLE_EQ(Number(ParseOne("metrics.a > +3.")), 3);
  EXPECT_DOUBLE_EQ(Number(ParseOne("metrics.a > 2E2")), 200);
  EXPECT_DOUBLE_EQ(Number(ParseOne("metrics.a>-7")), -7);
}

TEST(SearchFilterTest, ParamsAndTagsWithStringOperators) {
  for (const char* prefix : {"params", "param", "tags", "tag"}) {
    for (const char* op : {"=", "!=", "LIKE", "ILIKE"}) {
      Comparison c = ParseOne(absl::StrCat(prefix, ".lr ", op, " '0.01'"));
      EXPECT_EQ(c.type, prefix[0] == 'p' ? EntityType::kParam : EntityType::kTag);
      EXPECT_EQ(c.key, "lr");
      EXPECT_EQ(c.op, op);
      EXPECT_EQ(Str(c), "0.01");
    }
  }
  EXPECT_EQ(Str(ParseOne("params.opt = \"adam\"")), "adam");
}

TEST(SearchFilterTest, KeywordsAreCaseInsensitive) {
  std::vector<Comparison> c = Parse(
      "params.a like 'x%' and tags.b Ilike '%Y' AnD run_id in ('r1') AND run_id not in "
      "('r2')");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].op, "LIKE");
  EXPECT_EQ(c[1].op, "ILIKE");
  EXPECT_EQ(c[2].op, "IN");
  EXPECT_EQ(c[3].op, "NOT IN");
}

TEST(SearchFilterTest, QuotedAndDottedKeys) {
  Comparison c = ParseOne("metrics.\"my metric\" > 1");
  EXPECT_EQ(c.key, "my metric");
  EXPECT_EQ(ParseOne("params.`a.b` = 'x'").key, "a.b");
  EXPECT_EQ(ParseOne("tags.\"say \"\"hi\"\"\" = 'x'").key, "say \"hi\"");
  EXPECT_EQ(ParseOne("tags.mlflow.runName = 'x'").key, "mlflow.runName");
  EXPECT_EQ(ParseOne("metrics.val.acc > 1").key, "val.acc");
  EXPECT_EQ(ParseOne("metrics.train/loss-1:x < 3").key, "train/loss-1:x");
  EXPECT_EQ(ParseOne("metrics.`a<=b` < 3").key, "a<=b");
}

TEST(SearchFilterTest, StringEscapes) {
  EXPECT_EQ(Str(ParseOne("params.a = 'it''s'")), "it's");
  EXPECT_EQ(Str(ParseOne("params.a = 'it\\'s'")), "it's");
  EXPECT_EQ(Str(ParseOne("params.a = \"say \"\"x\"\"\"")), "say \"x\"");
  EXPECT_EQ(Str(ParseOne("params.a = 'a AND b'")), "a AND b");
  EXPECT_EQ(Str(ParseOne("params.a = ''")), "");
}

TEST(SearchFilterTest, Attributes) {
  struct Case {
    const char* filter;
    const char* key;
  };
  for (const Case& t : std::vector<Case>{{"run_name = 'x'", "run_name"},
                                         {"attributes.status = 'FINISHED'", "status"},
                                         {"attribute.user_id LIKE '%a%'", "user_id"},
                                         {"attr.artifact_uri ILIKE 's3://%'", "artifact_uri"},
                                         {"run.lifecycle_stage = 'active'", "lifecycle_stage"},
                                         {"run_id = 'abc'", "run_id"}}) {
    Comparison c = ParseOne(t.filter);
    EXPECT_EQ(c.type, EntityType::kAttribute) << t.filter;
    EXPECT_EQ(c.key, t.key) << t.filter;
  }
  for (const Case& t : std::vector<Case>{{"start_time >= 100", "start_time"},
                                         {"attributes.end_time < 5", "end_time"},
                                         {"created > 1", "start_time"},
                                         {"Created > 1", "start_time"}}) {
    Comparison c = ParseOne(t.filter);
    EXPECT_EQ(c.type, EntityType::kAttribute) << t.filter;
    EXPECT_EQ(c.key, t.key) << t.filter;
    EXPECT_TRUE(std::holds_alternative<double>(c.value)) << t.filter;
  }
}

TEST(SearchFilterTest, InLists) {
  Comparison c = ParseOne("run_id IN ('a', \"b\",'c' )");
  EXPECT_EQ(c.op, "IN");
  EXPECT_THAT(List(c), ElementsAre("a", "b", "c"));
  c = ParseOne("attributes.run_id NOT   IN('x')");
  EXPECT_EQ(c.op, "NOT IN");
  EXPECT_THAT(List(c), ElementsAre("x"));
}

TEST(SearchFilterTest, Datasets) {
  std::vector<Comparison> c = Parse(
      "datasets.name = 'train' AND dataset.digest IN ('d1', 'd2') AND datasets.context = 'eval'");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].type, EntityType::kDataset);
  EXPECT_EQ(c[0].key, "name");
  EXPECT_EQ(c[1].key, "digest");
  EXPECT_THAT(List(c[1]), ElementsAre("d1", "d2"));
  EXPECT_EQ(c[2].key, "context");
}

TEST(SearchFilterTest, ClausePositionsAndWhitespace) {
  std::string filter = "metrics.acc>0.9 and\tparams.lr='0.01'\n AND  tags.t != \"x\"";
  std::vector<Comparison> c = Parse(filter);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].position, 0);
  EXPECT_EQ(c[1].position, static_cast<int>(filter.find("params")));
  EXPECT_EQ(c[2].position, static_cast<int>(filter.find("tags")));
  EXPECT_EQ(Str(c[1]), "0.01");
  EXPECT_EQ(c[2].op, "!=");
}

TEST(SearchFilterTest, WrongValueKinds) {
  ExpectFilterError("params.lr = 0.01", 13,
                    "expected a quoted string after 'params.lr =', got 0.01");
  ExpectFilterErrorAt("metrics.acc > abc", "abc",
                      "expected a number after 'metrics.acc >', got abc");
  ExpectFilterErrorAt("metrics.acc > '0.9'", "'0.9'", "got '0.9'");
  ExpectFilterErrorAt("metrics.acc > 0.9.1", "0.9.1", "expected a number");
  ExpectFilterErrorAt("metrics.acc > 1e", "1e", "expected a number");
  ExpectFilterErrorAt("status = FINISHED", "FINISHED", "expected a quoted string");
  ExpectFilterErrorAt("start_time > 'x'", "'x'", "expected a number");
}

TEST(SearchFilterTest, UnknownNames) {
  ExpectFilterError("metricz.acc > 1", 1,
                    "unknown entity type 'metricz'; use metrics, params, tags, attributes, "
                    "datasets");
  ExpectFilterError("foo = 'x'", 1, "unknown attribute 'foo' for filtering runs; use run_id");
  ExpectFilterErrorAt("params.a = 'x' AND attributes.bar = 'y'", "bar", "unknown attribute 'bar'");
  ExpectFilterErrorAt("datasets.foo = 'x'", "foo", "unknown dataset field 'foo'");
  ExpectFilterError("metrics. > 1", 9, "expected a key after 'metrics.', got >");
  ExpectFilterErrorAt("metrics.\"\" > 1", "\"\"", "the key is empty");
  ExpectFilterError("(metrics.a > 1)", 1, "expected a key such as metrics.<name>");
}

TEST(SearchFilterTest, UnsupportedOperators) {
  ExpectFilterErrorAt("metrics.acc LIKE '%a'", "LIKE",
                      "operator LIKE is not supported for metrics.acc; use =, !=, >, >=, <, <=");
  ExpectFilterErrorAt("params.lr > '1'", ">", "operator > is not supported for params.lr");
  ExpectFilterErrorAt("status IN ('a')", "IN", "operator IN is not supported for status");
  ExpectFilterErrorAt("tags.x IS NULL", "IS", "IS NULL / IS NOT NULL comparisons are not");
  ExpectFilterErrorAt("metrics.acc == 1", "==", "unknown operator '=='");
  ExpectFilterErrorAt("metrics.acc <> 1", "<>", "unknown operator '<>'");
  ExpectFilterErrorAt("metrics.acc 0.9", "0.9", "expected an operator (=, !=, >, >=, <, <=)");
  ExpectFilterError("metrics.acc", 12, "after 'metrics.acc', got end of filter");
  ExpectFilterErrorAt("run_id NOT LIKE 'a'", "LIKE", "expected IN after NOT, got LIKE");
  ExpectFilterErrorAt("run_id BETWEEN 'a'", "BETWEEN", "expected an operator");
}

TEST(SearchFilterTest, MalformedStructure) {
  ExpectFilterErrorAt("params.lr = 'abc", "'abc", "unterminated quoted string");
  ExpectFilterErrorAt("metrics.\"acc > 1", "\"acc", "unterminated quoted string");
  ExpectFilterErrorAt("metrics.acc > 1 foo", "foo",
                      "expected AND or the end of the filter after 'metrics.acc > 1', got foo");
  ExpectFilterErrorAt("params.a = 'x' 'y'", "'y'", "got 'y'");
  ExpectFilterErrorAt("metrics.acc > 1 AND", "AND", "expected a clause after AND");
  ExpectFilterError("AND metrics.acc > 1", 1, "expected a clause, got AND");
  ExpectFilterError("metrics.a > 1 AND and metrics.b > 2", 19, "expected a clause, got and");
  ExpectFilterErrorAt("metrics.a > 1 OR metrics.b > 2", "OR",
                      "OR is not supported; join clauses with AND");
  ExpectFilterErrorAt("metrics.a > 1 or metrics.b > 2", "or", "OR is not supported");
  ExpectFilterErrorAt("metrics.a > 1 AND (metrics.b > 2)", "(", "expected a key");
}

TEST(SearchFilterTest, MalformedInLists) {
  ExpectFilterErrorAt("run_id IN 'a'", "'a'",
                      "expected a parenthesized list of quoted strings after 'run_id IN'");
  ExpectFilterErrorAt("run_id IN ()", ")", "the list after 'run_id IN' is empty");
  ExpectFilterErrorAt("run_id IN ('a' 'b')", "'b'", "expected ',' or ')'");
  ExpectFilterError("run_id IN ('a',", 16, "got end of filter");
  ExpectFilterErrorAt("run_id IN ('a', 3)", "3", "expected a quoted string in the list");
}

TEST(SearchFilterTest, ExperimentSchema) {
  const SearchSchema& s = ExperimentSearchSchema();
  std::vector<Comparison> c = Parse(
      "name LIKE 'a%' AND tags.team = 'x' AND creation_time > 5 AND last_update_time <= 9", s);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[1].type, EntityType::kTag);
  EXPECT_EQ(c[2].key, "creation_time");
  ExpectFilterError("metrics.acc > 1", 1, "unknown entity type 'metrics'; use tags, attributes", s);
  ExpectFilterError("experiment_id = 1", 1, "cannot filter experiments by experiment_id", s);
  ExpectFilterErrorAt("name > 'a'", ">", "operator > is not supported for name", s);
  ExpectFilterError("status = 'x'", 1, "unknown attribute 'status' for filtering experiments", s);
}

TEST(SearchFilterTest, RegistrySchemas) {
  const SearchSchema& models = RegisteredModelSearchSchema();
  EXPECT_EQ(Parse("name ILIKE '%x%' AND tags.k = 'v'", models).size(), 2u);
  ExpectFilterError("run_id = 'x'", 1, "unknown attribute 'run_id' for filtering registered",
                    models);

  const SearchSchema& versions = ModelVersionSearchSchema();
  std::vector<Comparison> c = Parse(
      "name = 'm' AND run_id IN ('r1') AND version_number > 2 AND source_path LIKE 's3://%' AND "
      "tags.k != 'v'",
      versions);
  ASSERT_EQ(c.size(), 5u);
  EXPECT_DOUBLE_EQ(Number(c[2]), 2);
  ExpectFilterErrorAt("run_id LIKE 'x'", "LIKE", "operator LIKE is not supported", versions);
  ExpectFilterErrorAt("version_number = '2'", "'2'", "expected a number", versions);
}

TEST(OrderByTest, Parses) {
  struct Case {
    const char* clause;
    EntityType type;
    const char* key;
    bool ascending;
  };
  for (const Case& t : std::vector<Case>{
           {"metrics.acc DESC", EntityType::kMetric, "acc", false},
           {"params.lr", EntityType::kParam, "lr", true},
           {"attributes.start_time ASC", EntityType::kAttribute, "start_time", true},
           {"start_time", EntityType::kAttribute, "start_time", true},
           {"created desc", EntityType::kAttribute, "start_time", false},
           {"run_name", EntityType::kAttribute, "run_name", true},
           {"metrics.`a b` DESC", EntityType::kMetric, "a b", false},
           {"  metrics.\"a b\"   asc  ", EntityType::kMetric, "a b", true},
           {"tags.mlflow.runName", EntityType::kTag, "mlflow.runName", true},
       }) {
    auto order = ParseOrderBy(t.clause);
    ASSERT_TRUE(order.ok()) << t.clause << ": " << order.status();
    EXPECT_EQ(order->type, t.type) << t.clause;
    EXPECT_EQ(order->key, t.key) << t.clause;
    EXPECT_EQ(order->ascending, t.ascending) << t.clause;
  }
}

void ExpectOrderError(absl::string_view clause, int column, absl::string_view text,
                      const SearchSchema& schema = RunSearchSchema()) {
  auto order = ParseOrderBy(clause, schema);
  ASSERT_FALSE(order.ok()) << clause;
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(order.status().message()),
      HasSubstr(absl::StrCat("Invalid order_by clause '", clause, "' at column ", column, ":")));
  EXPECT_THAT(std::string(order.status().message()), HasSubstr(text)) << clause;
}

TEST(OrderByTest, Errors) {
  ExpectOrderError("", 1, "the order_by clause is empty");
  ExpectOrderError("metrics.acc DOWN", 13, "expected ASC or DESC after 'metrics.acc', got DOWN");
  ExpectOrderError("metrics.acc DESC extra", 18, "unexpected extra after DESC");
  ExpectOrderError("datasets.name", 1, "cannot order runs by datasets.name");
  ExpectOrderError("metricz.a", 1, "unknown entity type 'metricz'");
  ExpectOrderError("foo DESC", 1, "unknown attribute 'foo' for ordering runs");
  ExpectOrderError("metrics.`a b DESC", 9, "unterminated quoted string");
  ExpectOrderError("metrics.acc > 1", 13, "expected ASC or DESC");
}

TEST(OrderByTest, ExperimentSchema) {
  const SearchSchema& s = ExperimentSearchSchema();
  for (const char* clause :
       {"name", "experiment_id DESC", "creation_time ASC", "attributes.last_update_time"}) {
    EXPECT_TRUE(ParseOrderBy(clause, s).ok()) << clause;
  }
  ExpectOrderError("tags.x", 1, "cannot order experiments by tags.x", s);
  ExpectOrderError("metrics.x", 1, "unknown entity type 'metrics'", s);
}

TEST(OrderByTest, ListRejectsDuplicates) {
  auto list = ParseOrderByList({"metrics.acc DESC", "params.lr", "start_time"}, RunSearchSchema());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 3u);
  auto dup = ParseOrderByList({"metrics.acc DESC", "metrics.acc ASC"}, RunSearchSchema());
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr("metrics.acc more than once"));
  auto alias = ParseOrderByList({"created", "start_time"}, RunSearchSchema());
  EXPECT_FALSE(alias.ok());
}

}  // namespace
}  // namespace plinth::tracking
