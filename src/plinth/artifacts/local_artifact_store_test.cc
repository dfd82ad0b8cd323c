#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/artifacts/artifact_store.h"

namespace plinth::artifacts {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class LocalArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    base_ = fs::path(::testing::TempDir()) /
            absl::StrCat("plinth_artifacts_", getpid(), "_", counter++);
    root_ = base_ / "artifacts" / "nested";
    auto store = CreateLocalArtifactStore(root_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(base_); }

  // "path:dir" or "path:size" for each listed entry.
  std::vector<std::string> Listing(const std::string& path) {
    auto files = store_->List(path);
    EXPECT_TRUE(files.ok()) << files.status();
    std::vector<std::string> out;
    if (!files.ok()) return out;
    for (const auto& f : *files) {
      out.push_back(f.is_dir ? absl::StrCat(f.path, ":dir")
                             : absl::StrCat(f.path, ":", f.file_size));
      if (f.is_dir) {
        EXPECT_EQ(f.file_size, 0) << f.path;
      }
    }
    return out;
  }

  fs::path base_, root_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(LocalArtifactStoreTest, CreatesTheRoot) { EXPECT_TRUE(fs::is_directory(root_)); }

TEST_F(LocalArtifactStoreTest, WriteThenRead) {
  ASSERT_TRUE(store_->Write("model/weights.bin", std::string("\0\1\2", 3)).ok());
  auto data = store_->Read("model/weights.bin");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, std::string("\0\1\2", 3));
  EXPECT_TRUE(fs::is_regular_file(root_ / "model" / "weights.bin"));
}

TEST_F(LocalArtifactStoreTest, WriteReplacesAFile) {
  ASSERT_TRUE(store_->Write("a.txt", "first version").ok());
  ASSERT_TRUE(store_->Write("a.txt", "v2").ok());
  EXPECT_EQ(*store_->Read("a.txt"), "v2");
  EXPECT_THAT(Listing(""), ::testing::ElementsAre("a.txt:2"));
}

TEST_F(LocalArtifactStoreTest, ListIsSortedWithFoldersAndSizes) {
  ASSERT_TRUE(store_->Write("b.txt", "12345").ok());
  ASSERT_TRUE(store_->Write("a/x.txt", "1").ok());
  ASSERT_TRUE(store_->Write("a/sub/deep.txt", "123").ok());
  ASSERT_TRUE(store_->Write("c", "").ok());
  EXPECT_THAT(Listing(""), ::testing::ElementsAre("a:dir", "b.txt:5", "c:0"));
  // Paths of nested listings are relative to the root, as MLflow lists them.
  EXPECT_THAT(Listing("a"), ::testing::ElementsAre("a/sub:dir", "a/x.txt:1"));
  EXPECT_THAT(Listing("a/sub"), ::testing::ElementsAre("a/sub/deep.txt:3"));
}

TEST_F(LocalArtifactStoreTest, ListOfAMissingFolderIsEmpty) {
  auto files = store_->List("nothing/here");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST_F(LocalArtifactStoreTest, ListOfAFileIsEmpty) {
  ASSERT_TRUE(store_->Write("f.txt", "x").ok());
  auto files = store_->List("f.txt");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST_F(LocalArtifactStoreTest, ListHidesUploadsInProgress) {
  ASSERT_TRUE(store_->Write("done.txt", "x").ok());
  std::ofstream(root_ / "partial.txt.tmp-abc123") << "half";
  EXPECT_THAT(Listing(""), ::testing::ElementsAre("done.txt:1"));
}

TEST_F(LocalArtifactStoreTest, ReadMissingIsNotFound) {
  auto data = store_->Read("missing.txt");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("missing.txt"));
  // A folder is not a file.
  ASSERT_TRUE(store_->Write("dir/f", "x").ok());
  EXPECT_EQ(store_->Read("dir").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LocalArtifactStoreTest, WriteToEmptyPathIsRejected) {
  absl::Status s = store_->Write("", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalArtifactStoreTest, DeleteAFile) {
  ASSERT_TRUE(store_->Write("a/x.txt", "1").ok());
  ASSERT_TRUE(store_->Write("a/y.txt", "2").ok());
  ASSERT_TRUE(store_->Delete("a/x.txt").ok());
  EXPECT_EQ(store_->Read("a/x.txt").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Listing("a"), ::testing::ElementsAre("a/y.txt:1"));
}

TEST_F(LocalArtifactStoreTest, DeleteAFolderTree) {
  ASSERT_TRUE(store_->Write("a/b/c.txt", "1").ok());
  ASSERT_TRUE(store_->Write("a/d.txt", "2").ok());
  ASSERT_TRUE(store_->Write("keep.txt", "3").ok());
  ASSERT_TRUE(store_->Delete("a").ok());
  EXPECT_FALSE(fs::exists(root_ / "a"));
  EXPECT_THAT(Listing(""), ::testing::ElementsAre("keep.txt:1"));
}

TEST_F(LocalArtifactStoreTest, DeleteMissingIsNotFound) {
  absl::Status s = store_->Delete("ghost");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(LocalArtifactStoreTest, DeletingTheRootIsRefused) {
  ASSERT_TRUE(store_->Write("keep.txt", "x").ok());
  for (const char* path : {"", ".", "./", "a/.."}) {
    absl::Status s = store_->Delete(path);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
  }
  EXPECT_TRUE(fs::is_regular_file(root_ / "keep.txt"));
}

TEST_F(LocalArtifactStoreTest, EscapingPathsAreRejectedEverywhere) {
  std::ofstream(base_ / "secret.txt") << "secret";
  fs::create_directory_symlink(base_, root_ / "link");
  for (const char* path :
       {"../secret.txt", "/etc/passwd", "a/../../secret.txt", "a\\b", "link/secret.txt"}) {
    EXPECT_EQ(store_->Read(path).status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->Write(path, "x").code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->List(path).status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->Delete(path).code(), absl::StatusCode::kInvalidArgument) << path;
  }
  std::ifstream in(base_ / "secret.txt");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "secret");
}

TEST_F(LocalArtifactStoreTest, RootGivenWithATrailingSlashOrDotsWorks) {
  auto store = CreateLocalArtifactStore((base_ / "other" / "x" / ".." / "y").string() + "/");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Write("f.txt", "1").ok());
  EXPECT_EQ(*(*store)->Read("f.txt"), "1");
  EXPECT_EQ((*store)->Delete("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_regular_file(base_ / "other" / "y" / "f.txt"));
}

TEST_F(LocalArtifactStoreTest, CreateFailsWhenTheRootIsAFile) {
  std::ofstream(base_ / "file") << "x";
  auto store = CreateLocalArtifactStore((base_ / "file" / "sub").string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace plinth::artifacts
