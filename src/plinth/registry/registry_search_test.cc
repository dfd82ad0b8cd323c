// Registry searches (filters, order_by, pages) and the input rules behind them.
#include "plinth/registry/registry_search.h"

#include <set>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/registry/registry_test_util.h"
#include "plinth/registry/registry_validation.h"

namespace plinth::registry {
namespace {

using testing::CodeOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RegistrySearchTest : public testing::RegistryTest {
 protected:
  std::vector<std::string> ModelNames(const std::string& filter,
                                      std::vector<std::string> order_by = {}) {
    SearchRequest request;
    request.filter = filter;
    request.order_by = std::move(order_by);
    auto page = store_->SearchRegisteredModels(alice_, request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const auto& m : page->items) names.push_back(m.name);
    }
    return names;
  }
  std::vector<std::string> Versions(const std::string& filter,
                                    std::vector<std::string> order_by = {}) {
    SearchRequest request;
    request.filter = filter;
    request.order_by = std::move(order_by);
    auto page = store_->SearchModelVersions(alice_, request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& v : page->items) out.push_back(absl::StrCat(v.name, "/", v.version));
    }
    return out;
  }
  absl::Status ModelSearchError(const std::string& filter, std::vector<std::string> order_by = {}) {
    SearchRequest request;
    request.filter = filter;
    request.order_by = std::move(order_by);
    return store_->SearchRegisteredModels(alice_, request).status();
  }
};

TEST_F(RegistrySearchTest, ModelFiltersOnNameAndTags) {
  MustCreateModel("Alpha");
  MustCreateModel("alpha-2");
  MustCreateModel("beta");
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "beta", "task", "vision").ok());
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "Alpha", "task", "speech").ok());

  EXPECT_THAT(ModelNames(""), ElementsAre("Alpha", "alpha-2", "beta"));
  EXPECT_THAT(ModelNames("name = 'beta'"), ElementsAre("beta"));
  EXPECT_THAT(ModelNames("name != 'beta'"), ElementsAre("Alpha", "alpha-2"));
  // LIKE is case-sensitive, ILIKE is not.
  EXPECT_THAT(ModelNames("name LIKE 'alpha%'"), ElementsAre("alpha-2"));
  EXPECT_THAT(ModelNames("name ILIKE 'alpha%'"), ElementsAre("Alpha", "alpha-2"));
  EXPECT_THAT(ModelNames("name LIKE '_eta'"), ElementsAre("beta"));
  EXPECT_THAT(ModelNames("tags.task = 'vision'"), ElementsAre("beta"));
  EXPECT_THAT(ModelNames("tags.task != 'vision'"), ElementsAre("Alpha"));  // needs the tag
  EXPECT_THAT(ModelNames("tags.task LIKE '%e%' AND name ILIKE 'a%'"), ElementsAre("Alpha"));
  EXPECT_THAT(ModelNames("tags.missing = 'x'"), IsEmpty());
}

TEST_F(RegistrySearchTest, LikeTreatsGlobCharactersLiterally) {
  MustCreateModel("a*b");
  MustCreateModel("axb");
  MustCreateModel("a_b");
  EXPECT_THAT(ModelNames("name LIKE 'a*b'"), ElementsAre("a*b"));
  EXPECT_THAT(ModelNames("name LIKE 'a\\\\_b'"), ElementsAre("a_b"));
  EXPECT_THAT(ModelNames("name LIKE 'a_b'"), ElementsAre("a*b", "a_b", "axb"));
}

TEST_F(RegistrySearchTest, ModelFilterErrorsNameTheKey) {
  for (const char* bad : {"run_id = 'x'", "metrics.acc > 1", "params.p = 'x'", "name > 'a'",
                          "name = 'a' OR name = 'b'"}) {
    absl::Status s = ModelSearchError(bad);
    EXPECT_EQ(CodeOf(s), "INVALID_PARAMETER_VALUE") << bad;
  }
  EXPECT_THAT(ModelSearchError("creator = 'x'").message(), HasSubstr("creator"));
}

TEST_F(RegistrySearchTest, ModelOrderBy) {
  MustCreateModel("b");
  clock_.AdvanceMillis(1);
  MustCreateModel("a");
  clock_.AdvanceMillis(1);
  MustCreateModel("c");
  clock_.AdvanceMillis(1);
  ASSERT_TRUE(store_->UpdateRegisteredModel(alice_, "b", "touched").ok());

  EXPECT_THAT(ModelNames("", {"name DESC"}), ElementsAre("c", "b", "a"));
  EXPECT_THAT(ModelNames("", {"creation_timestamp ASC"}), ElementsAre("b", "a", "c"));
  EXPECT_THAT(ModelNames("", {"last_updated_timestamp DESC"}), ElementsAre("b", "c", "a"));
  EXPECT_THAT(ModelNames("", {"timestamp DESC"}), ElementsAre("b", "c", "a"));
  EXPECT_EQ(CodeOf(ModelSearchError("", {"tags.x"})), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(ModelSearchError("", {"bogus ASC"})), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(ModelSearchError("", {"name", "name DESC"})), "INVALID_PARAMETER_VALUE");
}

TEST_F(RegistrySearchTest, ModelPagination) {
  for (int i = 0; i < 7; ++i) MustCreateModel(absl::StrCat("m", i));
  SearchRequest request;
  request.max_results = 3;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    auto page = store_->SearchRegisteredModels(alice_, request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& m : page->items) seen.push_back(m.name);
    request.page_token = page->next_page_token;
    ++pages;
  } while (!request.page_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("m0", "m1", "m2", "m3", "m4", "m5", "m6"));

  // Exactly one full page leaves no token.
  request = {};
  request.max_results = 7;
  EXPECT_TRUE(store_->SearchRegisteredModels(alice_, request)->next_page_token.empty());
}

TEST_F(RegistrySearchTest, MaxResultsAndTokenLimits) {
  SearchRequest request;
  request.max_results = 1001;
  auto too_many = store_->SearchRegisteredModels(alice_, request);
  EXPECT_EQ(CodeOf(too_many.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(too_many.status().message(), HasSubstr("at most 1000"));
  request.max_results = 1000;
  EXPECT_TRUE(store_->SearchRegisteredModels(alice_, request).ok());
  request.max_results = 0;
  EXPECT_EQ(CodeOf(store_->SearchRegisteredModels(alice_, request).status()),
            "INVALID_PARAMETER_VALUE");

  request.max_results = 200001;
  EXPECT_EQ(CodeOf(store_->SearchModelVersions(alice_, request).status()),
            "INVALID_PARAMETER_VALUE");
  request.max_results = 200000;
  EXPECT_TRUE(store_->SearchModelVersions(alice_, request).ok());

  request = {};
  for (const std::string& garbage : std::vector<std::string>{
           "!!!not base64!!!", absl::Base64Escape("not json"), absl::Base64Escape("{\"x\": 1}"),
           absl::Base64Escape("{\"offset\": -4}")}) {
    request.page_token = garbage;
    EXPECT_EQ(CodeOf(store_->SearchRegisteredModels(alice_, request).status()),
              "INVALID_PARAMETER_VALUE")
        << garbage;
  }
}

TEST_F(RegistrySearchTest, VersionFilters) {
  MustCreateModel("a");
  MustCreateModel("b");
  MustCreateVersion("a", "s3://bucket/a/1", "run1");
  MustCreateVersion("a", "s3://bucket/a/2", "run2");
  MustCreateVersion("b", "gs://other/b/1", "run1");
  ASSERT_TRUE(store_->SetModelVersionTag(alice_, "a", "2", "validated", "true").ok());

  EXPECT_THAT(Versions("name = 'a'", {"version_number"}), ElementsAre("a/1", "a/2"));
  EXPECT_THAT(Versions("run_id = 'run1'", {"name"}), ElementsAre("a/1", "b/1"));
  EXPECT_THAT(Versions("run_id IN ('run2', 'nope')"), ElementsAre("a/2"));
  EXPECT_THAT(Versions("run_id NOT IN ('run1')"), ElementsAre("a/2"));
  EXPECT_THAT(Versions("source_path LIKE 's3://%'", {"version_number ASC"}),
              ElementsAre("a/1", "a/2"));
  EXPECT_THAT(Versions("source_path ILIKE 'GS://%'"), ElementsAre("b/1"));
  EXPECT_THAT(Versions("version_number >= 2"), ElementsAre("a/2"));
  EXPECT_THAT(Versions("version_number < 1.5", {"name"}), ElementsAre("a/1", "b/1"));
  EXPECT_THAT(Versions("version_number = 1.5"), IsEmpty());
  EXPECT_THAT(Versions("tags.validated = 'true'"), ElementsAre("a/2"));
  EXPECT_THAT(Versions("name = 'a' AND version_number > 1"), ElementsAre("a/2"));

  SearchRequest request;
  request.filter = "stage = 'Production'";
  auto bad = store_->SearchModelVersions(alice_, request);
  EXPECT_EQ(CodeOf(bad.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(bad.status().message(), HasSubstr("stage"));
  request.filter = "name IN ('a')";
  EXPECT_EQ(CodeOf(store_->SearchModelVersions(alice_, request).status()),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(RegistrySearchTest, VersionOrderAndPagination) {
  MustCreateModel("a");
  MustCreateModel("b");
  for (const char* name : {"a", "b", "a", "b", "a"}) {
    clock_.AdvanceMillis(1);
    MustCreateVersion(name);
  }
  // MLflow's default: last_updated_timestamp DESC, then name ASC, version DESC.
  EXPECT_THAT(Versions(""), ElementsAre("a/3", "b/2", "a/2", "b/1", "a/1"));
  EXPECT_THAT(Versions("", {"name ASC"}), ElementsAre("a/3", "a/2", "a/1", "b/2", "b/1"));
  EXPECT_THAT(Versions("", {"version_number ASC", "name DESC"}),
              ElementsAre("b/1", "a/1", "b/2", "a/2", "a/3"));

  SearchRequest request;
  request.max_results = 2;
  request.order_by = {"creation_timestamp"};
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto page = store_->SearchModelVersions(alice_, request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& v : page->items) seen.push_back(absl::StrCat(v.name, "/", v.version));
    request.page_token = page->next_page_token;
    if (request.page_token.empty()) break;
  }
  EXPECT_THAT(seen, ElementsAre("a/1", "b/1", "a/2", "b/2", "a/3"));
}

TEST(PageTokenTest, MatchesMlflowEncodingAndRoundTrips) {
  // base64 of '{"offset": 100}', as MLflow's SearchUtils.create_page_token writes it.
  EXPECT_EQ(EncodePageToken(100), "eyJvZmZzZXQiOiAxMDB9");
  EXPECT_EQ(*DecodePageToken(EncodePageToken(12345)), 12345);
  EXPECT_EQ(*DecodePageToken(""), 0);
}

TEST(ValidationTest, NormalizePosixPathMatchesPython) {
  EXPECT_EQ(NormalizePosixPath(""), ".");
  EXPECT_EQ(NormalizePosixPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(NormalizePosixPath("../a/../../b"), "../../b");
  EXPECT_EQ(NormalizePosixPath("/../a"), "/a");
  EXPECT_EQ(NormalizePosixPath("//a"), "//a");
  EXPECT_EQ(NormalizePosixPath("///a"), "/a");
}

TEST(ValidationTest, ParseUriLikeUrllib) {
  UriParts p = ParseUri("s3://bucket/key/x?q=1#f");
  EXPECT_EQ(p.scheme, "s3");
  EXPECT_EQ(p.netloc, "bucket");
  EXPECT_EQ(p.path, "/key/x");
  p = ParseUri("runs:/abc/model");
  EXPECT_EQ(p.scheme, "runs");
  EXPECT_EQ(p.path, "/abc/model");
  EXPECT_TRUE(IsLocalUri("/tmp/model"));
  EXPECT_TRUE(IsLocalUri("relative/model"));
  EXPECT_TRUE(IsLocalUri("file:///tmp/model"));
  EXPECT_FALSE(IsLocalUri("mlflow-artifacts:/1/x"));
}

TEST(ValidationTest, StagesAndVersions) {
  EXPECT_EQ(*CanonicalStage("none"), "None");
  EXPECT_EQ(*CanonicalStage("ARCHIVED"), "Archived");
  EXPECT_FALSE(CanonicalStage("deleted_internal").ok());
  EXPECT_EQ(*ParseVersion("+7"), 7);
  EXPECT_FALSE(ParseVersion("1.0").ok());
  EXPECT_FALSE(ParseVersion("").ok());
  EXPECT_FALSE(ParseVersion("99999999999999999999999").ok());
}

}  // namespace
}  // namespace plinth::registry
