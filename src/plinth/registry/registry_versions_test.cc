// RegistryStore: model versions, stages, latest versions, sources.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/registry/registry_store.h"
#include "plinth/registry/registry_test_util.h"

namespace plinth::registry {
namespace {

using testing::CodeOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ModelVersionTest : public testing::RegistryTest {
 protected:
  std::vector<std::pair<int64_t, std::string>> VersionsAndStages(const std::string& name) {
    SearchRequest request;
    request.filter = absl::StrCat("name = '", name, "'");
    request.order_by = {"version_number ASC"};
    auto page = store_->SearchModelVersions(alice_, request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::pair<int64_t, std::string>> out;
    for (const ModelVersion& v : page->items) out.push_back({v.version, v.current_stage});
    return out;
  }
  absl::StatusOr<ModelVersion> Create(const std::string& source, const std::string& run_id = "") {
    NewModelVersion request;
    request.name = "m";
    request.source = source;
    request.run_id = run_id;
    return store_->CreateModelVersion(alice_, request);
  }
};

TEST_F(ModelVersionTest, CreateFillsFieldsAndNumbersFromOne) {
  MustCreateModel("m");
  clock_.AdvanceMillis(7);
  NewModelVersion request{"m", "s3://bucket/model", "abc123", {{"k", "v"}}, "http://link", "first"};
  auto v = store_->CreateModelVersion(alice_, request);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->name, "m");
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->current_stage, "None");
  EXPECT_EQ(v->status, "READY");
  EXPECT_EQ(v->source, "s3://bucket/model");
  EXPECT_EQ(v->run_id, "abc123");
  EXPECT_EQ(v->run_link, "http://link");
  EXPECT_EQ(v->description, "first");
  EXPECT_EQ(v->creation_timestamp, clock_.NowMillis());
  ASSERT_EQ(v->tags.size(), 1u);
  // Creating a version touches the model.
  EXPECT_EQ(store_->GetRegisteredModel(alice_, "m")->last_updated_timestamp, clock_.NowMillis());
  EXPECT_EQ(MustCreateVersion("m").version, 2);
  EXPECT_EQ(MustCreateVersion("m").version, 3);
}

TEST_F(ModelVersionTest, VersionNumbersAreNeverReused) {
  MustCreateModel("m");
  MustCreateVersion("m");
  MustCreateVersion("m");
  MustCreateVersion("m");
  ASSERT_TRUE(store_->DeleteModelVersion(alice_, "m", "3").ok());
  ASSERT_TRUE(store_->DeleteModelVersion(alice_, "m", "2").ok());
  EXPECT_EQ(CodeOf(store_->GetModelVersion(alice_, "m", "2").status()), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(store_->GetModelVersion(alice_, "m", "2").status().message(),
            "Model Version (name=m, version=2) not found");
  EXPECT_EQ(MustCreateVersion("m").version, 4);
  EXPECT_EQ(CodeOf(store_->DeleteModelVersion(alice_, "m", "2")), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(CountRows("model_versions"), 2);
}

TEST_F(ModelVersionTest, CreateErrors) {
  NewModelVersion request{"missing", "s3://b/m", "", {}, "", ""};
  EXPECT_EQ(CodeOf(store_->CreateModelVersion(alice_, request).status()),
            "RESOURCE_DOES_NOT_EXIST");
  MustCreateModel("m");
  request.name = "m";
  request.source = "";
  EXPECT_THAT(store_->CreateModelVersion(alice_, request).status().message(),
              HasSubstr("'source'"));
  request.source = "s3://b/m";
  request.tags = {{"bad!", "v"}};
  EXPECT_EQ(CodeOf(store_->CreateModelVersion(alice_, request).status()),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CountRows("model_versions"), 0);
}

TEST_F(ModelVersionTest, VersionMustBeAnInteger) {
  MustCreateModel("m");
  MustCreateVersion("m");
  auto bad = store_->GetModelVersion(alice_, "m", "one");
  EXPECT_EQ(CodeOf(bad.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(bad.status().message(), "Parameter 'version' must be an integer, got 'one'.");
  EXPECT_TRUE(store_->GetModelVersion(alice_, "m", " 1 ").ok());
}

TEST_F(ModelVersionTest, UpdateDescriptionAndTags) {
  MustCreateModel("m");
  MustCreateVersion("m");
  clock_.AdvanceMillis(3);
  auto updated = store_->UpdateModelVersion(alice_, "m", "1", "better");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->description, "better");
  EXPECT_EQ(updated->last_updated_timestamp, clock_.NowMillis());

  ASSERT_TRUE(store_->SetModelVersionTag(alice_, "m", "1", "k", "v1").ok());
  ASSERT_TRUE(store_->SetModelVersionTag(alice_, "m", "1", "k", "v2").ok());
  auto v = store_->GetModelVersion(alice_, "m", "1");
  ASSERT_EQ(v->tags.size(), 1u);
  EXPECT_EQ(v->tags[0].value, "v2");
  ASSERT_TRUE(store_->DeleteModelVersionTag(alice_, "m", "1", "k").ok());
  EXPECT_TRUE(store_->GetModelVersion(alice_, "m", "1")->tags.empty());
  EXPECT_EQ(CodeOf(store_->SetModelVersionTag(alice_, "m", "9", "k", "v")),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(CodeOf(store_->SetModelVersionTag(alice_, "m", "1", "k", std::string(5001, 'x'))),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(ModelVersionTest, TransitionStageCanonicalizesAndValidates) {
  MustCreateModel("m");
  MustCreateVersion("m");
  auto v = store_->TransitionStage(alice_, "m", "1", "pRoDuCtIoN", false);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->current_stage, "Production");
  EXPECT_EQ(store_->GetModelVersion(alice_, "m", "1")->current_stage, "Production");

  auto bad = store_->TransitionStage(alice_, "m", "1", "Prod", false);
  EXPECT_EQ(CodeOf(bad.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(bad.status().message(),
            "Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, "
            "Archived.");
  EXPECT_EQ(CodeOf(store_->TransitionStage(alice_, "m", "5", "Staging", false).status()),
            "RESOURCE_DOES_NOT_EXIST");
  // Only active stages can archive the versions already there.
  EXPECT_THAT(store_->TransitionStage(alice_, "m", "1", "Archived", true).status().message(),
              HasSubstr("is not an Active stage"));
  EXPECT_EQ(CodeOf(store_->TransitionStage(alice_, "m", "1", "None", true).status()),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(ModelVersionTest, ArchiveExistingVersionsMovesOnlyThatStage) {
  MustCreateModel("m");
  for (int i = 0; i < 4; ++i) MustCreateVersion("m");
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "1", "Production", false).ok());
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "2", "Production", false).ok());
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "3", "Staging", false).ok());
  clock_.AdvanceMillis(100);

  auto v4 = store_->TransitionStage(alice_, "m", "4", "production", true);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_THAT(VersionsAndStages("m"),
              ElementsAre(std::pair<int64_t, std::string>{1, "Archived"},
                          std::pair<int64_t, std::string>{2, "Archived"},
                          std::pair<int64_t, std::string>{3, "Staging"},
                          std::pair<int64_t, std::string>{4, "Production"}));
  EXPECT_EQ(store_->GetModelVersion(alice_, "m", "1")->last_updated_timestamp, clock_.NowMillis());

  // Without the flag, versions share a stage.
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "3", "Production", false).ok());
  EXPECT_EQ(store_->GetModelVersion(alice_, "m", "4")->current_stage, "Production");
}

TEST_F(ModelVersionTest, LatestVersionsPerStage) {
  MustCreateModel("m");
  for (int i = 0; i < 5; ++i) MustCreateVersion("m");
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "1", "Production", false).ok());
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "3", "Production", false).ok());
  ASSERT_TRUE(store_->TransitionStage(alice_, "m", "2", "Staging", false).ok());
  // Stages now: 1 Production, 2 Staging, 3 Production, 4 None, 5 None.

  auto all = store_->GetLatestVersions(alice_, "m", {});
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::pair<int64_t, std::string>> got;
  for (const auto& v : *all) got.push_back({v.version, v.current_stage});
  // Ordered as MLflow lists them: by the first version seen in each stage.
  EXPECT_THAT(got, ElementsAre(std::pair<int64_t, std::string>{3, "Production"},
                               std::pair<int64_t, std::string>{2, "Staging"},
                               std::pair<int64_t, std::string>{5, "None"}));

  auto prod = store_->GetLatestVersions(alice_, "m", {"production", "Archived"});
  ASSERT_TRUE(prod.ok());
  ASSERT_EQ(prod->size(), 1u);
  EXPECT_EQ((*prod)[0].version, 3);
  EXPECT_EQ(CodeOf(store_->GetLatestVersions(alice_, "m", {"Live"}).status()),
            "INVALID_PARAMETER_VALUE");

  auto model = store_->GetRegisteredModel(alice_, "m");
  ASSERT_EQ(model->latest_versions.size(), 3u);
  EXPECT_EQ(model->latest_versions[0].version, 3);
}

TEST_F(ModelVersionTest, RunsSourceResolvesThroughRunLookup) {
  MustCreateModel("m");
  runs_.Add("run1", "mlflow-artifacts:/1/run1/artifacts", "vision");
  auto v = Create("runs:/run1/model");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->source, "runs:/run1/model");
  auto uri = store_->GetDownloadUri(alice_, "m", "1");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(*uri, "mlflow-artifacts:/1/run1/artifacts/model");

  ASSERT_TRUE(Create("runs:/run1").ok());
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "2"), "mlflow-artifacts:/1/run1/artifacts");

  EXPECT_EQ(CodeOf(Create("runs:/ghost/model").status()), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(CodeOf(Create("runs:/").status()), "INVALID_PARAMETER_VALUE");
  // Another team's run cannot be registered.
  runs_.Add("theirs", "mlflow-artifacts:/2/theirs/artifacts", "speech");
  EXPECT_EQ(CodeOf(Create("runs:/theirs/model").status()), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(Create("s3://b/m", "theirs").status()), "PERMISSION_DENIED");
  // A run_id that no run has is accepted, as MLflow does.
  EXPECT_TRUE(Create("s3://b/m", "unknown-run").ok());
}

TEST_F(ModelVersionTest, ModelsSourceResolvesThroughRegistry) {
  MustCreateModel("base");
  MustCreateVersion("base", "s3://bucket/base/1");
  MustCreateVersion("base", "s3://bucket/base/2");
  ASSERT_TRUE(store_->SetAlias(alice_, "base", "champion", "1").ok());
  ASSERT_TRUE(store_->TransitionStage(alice_, "base", "2", "Staging", false).ok());
  MustCreateModel("m");
  ASSERT_TRUE(Create("models:/base/1").ok());
  ASSERT_TRUE(Create("models:/base@champion").ok());
  ASSERT_TRUE(Create("models:/base/staging").ok());
  ASSERT_TRUE(Create("models:/base/latest").ok());
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "1"), "s3://bucket/base/1");
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "2"), "s3://bucket/base/1");
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "3"), "s3://bucket/base/2");
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "4"), "s3://bucket/base/2");
  EXPECT_EQ(store_->GetModelVersion(alice_, "m", "1")->source, "models:/base/1");

  EXPECT_EQ(CodeOf(Create("models:/base/9").status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(Create("models:/base/Production").status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(Create("models:/nobody/1").status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(Create("models:/").status()), "INVALID_PARAMETER_VALUE");
  // An MLflow 3 logged-model URI is kept as it is.
  ASSERT_TRUE(Create("models:/m-0123abcd").ok());
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "5"), "models:/m-0123abcd");
}

TEST_F(ModelVersionTest, SourceRules) {
  MustCreateModel("m");
  // Plain remote sources are kept as they are.
  ASSERT_TRUE(Create("s3://bucket/path/model").ok());
  EXPECT_EQ(*store_->GetDownloadUri(alice_, "m", "1"), "s3://bucket/path/model");
  // Relative references, however encoded, are refused.
  for (const char* bad :
       {"s3://bucket/a/../../etc", "mlflow-artifacts:/1/..%2f..%2fsecret",
        "http://host/x/%252e%252e/y", "s3://bucket/a/./b", "https://h/p?x=../../z"}) {
    EXPECT_EQ(CodeOf(Create(bad).status()), "INVALID_PARAMETER_VALUE") << bad;
  }
  // Local paths only inside the run's own (local) artifact directory.
  EXPECT_THAT(Create("/etc/passwd").status().message(), HasSubstr("run_id request parameter"));
  runs_.Add("local", "file:///data/artifacts/1/local/artifacts", "vision");
  EXPECT_TRUE(Create("/data/artifacts/1/local/artifacts/model", "local").ok());
  EXPECT_TRUE(Create("file:///data/artifacts/1/local/artifacts/model", "local").ok());
  EXPECT_EQ(CodeOf(Create("/data/artifacts/1/local/artifacts/../../other", "local").status()),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(Create("/data/artifacts/1/local/artifactsX", "local").status()),
            "INVALID_PARAMETER_VALUE");
  runs_.Add("remote", "mlflow-artifacts:/1/remote/artifacts", "vision");
  EXPECT_EQ(CodeOf(Create("/data/model", "remote").status()), "INVALID_PARAMETER_VALUE");
}

}  // namespace
}  // namespace plinth::registry
