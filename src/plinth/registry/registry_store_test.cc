// RegistryStore: registered models, tags, aliases, rename, delete, teams.
#include "plinth/registry/registry_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/registry/registry_test_util.h"

namespace plinth::registry {
namespace {

using testing::CodeOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class RegistryStoreTest : public testing::RegistryTest {};

TEST_F(RegistryStoreTest, CreateAndGetModel) {
  auto created = store_->CreateRegisteredModel(alice_, "resnet", {{"task", "vision"}, {"b", "2"}},
                                               "an image classifier");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "resnet");
  EXPECT_EQ(created->team, "vision");
  EXPECT_EQ(created->description, "an image classifier");
  EXPECT_EQ(created->creation_timestamp, clock_.NowMillis());
  EXPECT_EQ(created->last_updated_timestamp, clock_.NowMillis());
  ASSERT_EQ(created->tags.size(), 2u);
  EXPECT_EQ(created->tags[0].key, "b");  // ordered by key
  EXPECT_EQ(created->tags[1].value, "vision");

  auto got = store_->GetRegisteredModel(alice_, "resnet");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->description, "an image classifier");
  EXPECT_THAT(got->latest_versions, IsEmpty());
}

TEST_F(RegistryStoreTest, DuplicateNameIsAlreadyExists) {
  MustCreateModel("resnet");
  auto again = store_->CreateRegisteredModel(alice_, "resnet", {}, "");
  EXPECT_EQ(CodeOf(again.status()), "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(HttpStatusFor(again.status()), 400);
  EXPECT_EQ(again.status().message(), "Registered Model (name=resnet) already exists.");
  // Names are global: another team cannot take it either.
  EXPECT_EQ(CodeOf(store_->CreateRegisteredModel(bob_, "resnet", {}, "").status()),
            "RESOURCE_ALREADY_EXISTS");
}

TEST_F(RegistryStoreTest, UnknownModelIsResourceDoesNotExist) {
  auto got = store_->GetRegisteredModel(alice_, "nope");
  EXPECT_EQ(CodeOf(got.status()), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(HttpStatusFor(got.status()), 404);
  EXPECT_EQ(got.status().message(), "Registered Model with name=nope not found");
}

TEST_F(RegistryStoreTest, RejectsBadNames) {
  EXPECT_THAT(store_->CreateRegisteredModel(alice_, "", {}, "").status().message(),
              HasSubstr("Missing value for required parameter 'name'"));
  EXPECT_EQ(CodeOf(store_->CreateRegisteredModel(alice_, "a/b", {}, "").status()),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(store_->CreateRegisteredModel(alice_, "a\nb", {}, "").status()),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(store_->CreateRegisteredModel(alice_, std::string(257, 'x'), {}, "").status()),
            "INVALID_PARAMETER_VALUE");
  EXPECT_TRUE(store_->CreateRegisteredModel(alice_, std::string(256, 'x'), {}, "").ok());
  EXPECT_EQ(CountRows("registered_models"), 1);
}

TEST_F(RegistryStoreTest, RejectsBadTagsWithoutWriting) {
  for (const std::string& key :
       std::vector<std::string>{"", "../x", "a//b", "/abs", "bad!key", std::string(251, 'k')}) {
    EXPECT_EQ(CodeOf(store_->CreateRegisteredModel(alice_, "m", {{key, "v"}}, "").status()),
              "INVALID_PARAMETER_VALUE")
        << key;
  }
  EXPECT_EQ(
      CodeOf(
          store_->CreateRegisteredModel(alice_, "m", {{"k", std::string(5001, 'v')}}, "").status()),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CountRows("registered_models"), 0);
  EXPECT_TRUE(store_->CreateRegisteredModel(alice_, "m", {{"mlflow.note:x y/z-1", "v"}}, "").ok());
}

TEST_F(RegistryStoreTest, ModelTagsSetOverwriteDelete) {
  MustCreateModel("m");
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "m", "k", "1").ok());
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "m", "k", "2").ok());
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "m", "other", "x").ok());
  auto got = store_->GetRegisteredModel(alice_, "m");
  ASSERT_EQ(got->tags.size(), 2u);
  EXPECT_EQ(got->tags[0].key, "k");
  EXPECT_EQ(got->tags[0].value, "2");
  ASSERT_TRUE(store_->DeleteRegisteredModelTag(alice_, "m", "k").ok());
  ASSERT_TRUE(store_->DeleteRegisteredModelTag(alice_, "m", "never-set").ok());
  got = store_->GetRegisteredModel(alice_, "m");
  ASSERT_EQ(got->tags.size(), 1u);
  EXPECT_EQ(got->tags[0].key, "other");
  EXPECT_EQ(CodeOf(store_->SetRegisteredModelTag(alice_, "nope", "k", "v")),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(CodeOf(store_->SetRegisteredModelTag(alice_, "m", "a/../b", "v")),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(RegistryStoreTest, UpdateDescriptionTouchesLastUpdated) {
  MustCreateModel("m");
  clock_.AdvanceMillis(5);
  auto updated = store_->UpdateRegisteredModel(alice_, "m", "new words");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->description, "new words");
  EXPECT_EQ(updated->last_updated_timestamp, updated->creation_timestamp + 5);
  EXPECT_EQ(store_->GetRegisteredModel(alice_, "m")->description, "new words");
}

TEST_F(RegistryStoreTest, RenameCarriesVersionsTagsAndAliases) {
  MustCreateModel("old");
  MustCreateVersion("old");
  MustCreateVersion("old");
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "old", "k", "v").ok());
  ASSERT_TRUE(store_->SetModelVersionTag(alice_, "old", "2", "vk", "vv").ok());
  ASSERT_TRUE(store_->SetAlias(alice_, "old", "champion", "2").ok());
  clock_.AdvanceMillis(10);

  auto renamed = store_->RenameRegisteredModel(alice_, "old", "new");
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->name, "new");
  ASSERT_EQ(renamed->tags.size(), 1u);
  ASSERT_EQ(renamed->aliases.size(), 1u);
  EXPECT_EQ(renamed->aliases[0].alias, "champion");
  EXPECT_EQ(renamed->aliases[0].version, 2);

  EXPECT_EQ(CodeOf(store_->GetRegisteredModel(alice_, "old").status()), "RESOURCE_DOES_NOT_EXIST");
  auto v2 = store_->GetModelVersion(alice_, "new", "2");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->name, "new");
  EXPECT_EQ(v2->last_updated_timestamp, clock_.NowMillis());
  ASSERT_EQ(v2->tags.size(), 1u);
  EXPECT_THAT(v2->aliases, ElementsAre("champion"));
  auto by_alias = store_->GetModelVersionByAlias(alice_, "new", "champion");
  ASSERT_TRUE(by_alias.ok()) << by_alias.status();
  EXPECT_EQ(by_alias->version, 2);
  // Numbering continues under the new name.
  EXPECT_EQ(MustCreateVersion("new").version, 3);
}

TEST_F(RegistryStoreTest, RenameErrors) {
  MustCreateModel("a");
  MustCreateModel("b");
  EXPECT_EQ(CodeOf(store_->RenameRegisteredModel(alice_, "a", "b").status()),
            "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(CodeOf(store_->RenameRegisteredModel(alice_, "zzz", "c").status()),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_THAT(store_->RenameRegisteredModel(alice_, "a", "").status().message(),
              HasSubstr("'new_name'"));
  EXPECT_TRUE(store_->RenameRegisteredModel(alice_, "a", "a").ok());
}

TEST_F(RegistryStoreTest, DeleteCascadesAndNumberingRestarts) {
  MustCreateModel("m");
  MustCreateVersion("m");
  MustCreateVersion("m");
  ASSERT_TRUE(store_->SetRegisteredModelTag(alice_, "m", "k", "v").ok());
  ASSERT_TRUE(store_->SetModelVersionTag(alice_, "m", "1", "k", "v").ok());
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "prod", "1").ok());

  ASSERT_TRUE(store_->DeleteRegisteredModel(alice_, "m").ok());
  for (const char* table : {"registered_models", "registered_model_tags", "model_versions",
                            "model_version_tags", "registered_model_aliases"}) {
    EXPECT_EQ(CountRows(table), 0) << table;
  }
  EXPECT_EQ(CodeOf(store_->DeleteRegisteredModel(alice_, "m")), "RESOURCE_DOES_NOT_EXIST");

  auto again = MustCreateModel("m");
  EXPECT_THAT(again.tags, IsEmpty());
  EXPECT_THAT(again.aliases, IsEmpty());
  EXPECT_EQ(MustCreateVersion("m").version, 1);
}

TEST_F(RegistryStoreTest, AliasesSetMoveDelete) {
  MustCreateModel("m");
  MustCreateVersion("m");
  MustCreateVersion("m");
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "champion", "1").ok());
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "challenger", "2").ok());
  EXPECT_EQ(store_->GetModelVersionByAlias(alice_, "m", "champion")->version, 1);
  EXPECT_THAT(store_->GetModelVersion(alice_, "m", "1")->aliases, ElementsAre("champion"));

  // Setting it again moves it.
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "champion", "2").ok());
  EXPECT_EQ(store_->GetModelVersionByAlias(alice_, "m", "champion")->version, 2);
  EXPECT_THAT(store_->GetModelVersion(alice_, "m", "1")->aliases, IsEmpty());
  EXPECT_THAT(store_->GetModelVersion(alice_, "m", "2")->aliases,
              ElementsAre("challenger", "champion"));
  auto model = store_->GetRegisteredModel(alice_, "m");
  ASSERT_EQ(model->aliases.size(), 2u);

  ASSERT_TRUE(store_->DeleteAlias(alice_, "m", "champion").ok());
  auto gone = store_->GetModelVersionByAlias(alice_, "m", "champion");
  // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE.
  EXPECT_EQ(CodeOf(gone.status()), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(gone.status().message(), "Registered model alias champion not found.");
  EXPECT_TRUE(store_->DeleteAlias(alice_, "m", "champion").ok());
}

TEST_F(RegistryStoreTest, AliasRules) {
  MustCreateModel("m");
  MustCreateVersion("m");
  for (const std::string& bad : std::vector<std::string>{
           "latest", "LaTeSt", "v1", "V42", "has space", "dot.ted", "", std::string(256, 'a')}) {
    absl::Status s = store_->SetAlias(alice_, "m", bad, "1");
    EXPECT_EQ(CodeOf(s), "INVALID_PARAMETER_VALUE") << bad;
  }
  EXPECT_THAT(store_->SetAlias(alice_, "m", "latest", "1").message(), HasSubstr("reserved"));
  for (const std::string& good :
       std::vector<std::string>{"v", "v1a", "version1", "champ-ion_2", std::string(255, 'a')}) {
    EXPECT_TRUE(store_->SetAlias(alice_, "m", good, "1").ok()) << good;
  }
  EXPECT_EQ(CodeOf(store_->SetAlias(alice_, "m", "a", "7")), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(CodeOf(store_->SetAlias(alice_, "m", "a", "seven")), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(CodeOf(store_->SetAlias(alice_, "nope", "a", "1")), "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(RegistryStoreTest, DeletingVersionRemovesItsAliases) {
  MustCreateModel("m");
  MustCreateVersion("m");
  MustCreateVersion("m");
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "a1", "1").ok());
  ASSERT_TRUE(store_->SetAlias(alice_, "m", "a2", "2").ok());
  ASSERT_TRUE(store_->DeleteModelVersion(alice_, "m", "1").ok());
  EXPECT_EQ(CodeOf(store_->GetModelVersionByAlias(alice_, "m", "a1").status()),
            "INVALID_PARAMETER_VALUE");
  auto model = store_->GetRegisteredModel(alice_, "m");
  ASSERT_EQ(model->aliases.size(), 1u);
  EXPECT_EQ(model->aliases[0].alias, "a2");
}

TEST_F(RegistryStoreTest, ViewerReadsButCannotWrite) {
  MustCreateModel("m");
  MustCreateVersion("m");
  EXPECT_TRUE(store_->GetRegisteredModel(viewer_, "m").ok());
  EXPECT_TRUE(store_->GetModelVersion(viewer_, "m", "1").ok());
  auto denied = store_->CreateRegisteredModel(viewer_, "x", {}, "");
  EXPECT_EQ(CodeOf(denied.status()), "PERMISSION_DENIED");
  EXPECT_EQ(HttpStatusFor(denied.status()), 403);
  EXPECT_EQ(CodeOf(store_->SetRegisteredModelTag(viewer_, "m", "k", "v")), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->DeleteRegisteredModel(viewer_, "m")), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->TransitionStage(viewer_, "m", "1", "Production", false).status()),
            "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->SetAlias(viewer_, "m", "a", "1")), "PERMISSION_DENIED");
  EXPECT_EQ(CountRows("registered_model_tags"), 0);
}

TEST_F(RegistryStoreTest, OtherTeamsCannotReadOrChange) {
  MustCreateModel("m");
  MustCreateVersion("m");
  auto read = store_->GetRegisteredModel(bob_, "m");
  EXPECT_EQ(CodeOf(read.status()), "PERMISSION_DENIED");
  // The denial does not say who owns the model (issue 9).
  EXPECT_THAT(std::string(read.status().message()), Not(HasSubstr("vision")));
  EXPECT_EQ(CodeOf(store_->GetModelVersion(bob_, "m", "1").status()), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->GetLatestVersions(bob_, "m", {}).status()), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->GetDownloadUri(bob_, "m", "1").status()), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->RenameRegisteredModel(bob_, "m", "mine").status()), "PERMISSION_DENIED");
  EXPECT_EQ(CodeOf(store_->DeleteRegisteredModel(bob_, "m")), "PERMISSION_DENIED");
  NewModelVersion request{"m", "s3://b/x", "", {}, "", ""};
  EXPECT_EQ(CodeOf(store_->CreateModelVersion(bob_, request).status()), "PERMISSION_DENIED");
  EXPECT_EQ(CountRows("model_versions"), 1);

  auto bobs = store_->SearchRegisteredModels(bob_, {});
  ASSERT_TRUE(bobs.ok());
  EXPECT_THAT(bobs->items, IsEmpty());
  auto bob_versions = store_->SearchModelVersions(bob_, {});
  ASSERT_TRUE(bob_versions.ok());
  EXPECT_THAT(bob_versions->items, IsEmpty());

  // Admins see and change every team's models.
  EXPECT_TRUE(store_->GetRegisteredModel(admin_, "m").ok());
  EXPECT_EQ(store_->SearchRegisteredModels(admin_, {})->items.size(), 1u);
  EXPECT_TRUE(store_->SetRegisteredModelTag(admin_, "m", "k", "v").ok());
}

TEST_F(RegistryStoreTest, SchemaMigrationIsIdempotent) {
  // Reopening on the same database applies nothing twice.
  auto again = RegistryStore::Create(*db_, runs_, clock_);
  ASSERT_TRUE(again.ok()) << again.status();
  MustCreateModel("m");
  EXPECT_TRUE((*again)->GetRegisteredModel(alice_, "m").ok());
}

}  // namespace
}  // namespace plinth::registry
