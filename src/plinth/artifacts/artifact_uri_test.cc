#include "plinth/artifacts/artifact_uri.h"

#include "gtest/gtest.h"

namespace plinth::artifacts {
namespace {

TEST(ExperimentFolderOfTest, FindsTheProxiedExperimentFolder) {
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts:/1"), 1);
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts:/12/abc/artifacts"), 12);
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts:3/x"), 3);
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts://3/x"), std::nullopt);
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts:/models"), std::nullopt);
  EXPECT_EQ(ExperimentFolderOf("mlflow-artifacts://host:9000/1"), std::nullopt);
  EXPECT_EQ(ExperimentFolderOf("s3://b/1"), std::nullopt);
}

TEST(ExperimentFolderOfTest, FindsFoldersUnderAFileRoot) {
  const std::string root = "file:///srv/mlruns";
  EXPECT_EQ(ExperimentFolderOf("file:///srv/mlruns/4", root), 4);
  EXPECT_EQ(ExperimentFolderOf("file:///srv/mlruns//4/run/artifacts", root), 4);
  EXPECT_EQ(ExperimentFolderOf("file:///srv/mlruns4", root), std::nullopt);
  EXPECT_EQ(ExperimentFolderOf("file:///srv/other/4", root), std::nullopt);
  EXPECT_EQ(ExperimentFolderOf("file:///srv/mlruns/4"), std::nullopt);  // no file root
}

}  // namespace
}  // namespace plinth::artifacts
