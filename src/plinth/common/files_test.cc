#include "plinth/common/files.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    base_ =
        fs::path(::testing::TempDir()) / absl::StrCat("plinth_files_", getpid(), "_", counter++);
    root_ = base_ / "root";
    outside_ = base_ / "outside";
    fs::create_directories(root_);
    fs::create_directories(outside_);
  }
  void TearDown() override { fs::remove_all(base_); }

  std::vector<std::string> Entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path base_, root_, outside_;
};

TEST_F(FilesTest, ResolvesNestedRelativePaths) {
  auto p = ResolveUnder(root_, "a/b/c.txt");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, root_ / "a" / "b" / "c.txt");
  // Need not exist; "." and empty components are ignored.
  EXPECT_EQ(*ResolveUnder(root_, "./a//b/"), root_ / "a" / "b");
  // Dots inside a name are fine.
  EXPECT_EQ(*ResolveUnder(root_, "model..v2/x.y"), root_ / "model..v2" / "x.y");
}

TEST_F(FilesTest, EmptyPathIsTheRoot) {
  auto p = ResolveUnder(root_, "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, root_);
}

TEST_F(FilesTest, RejectsAbsolutePaths) {
  auto p = ResolveUnder(root_, "/etc/passwd");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("must be relative"));
}

TEST_F(FilesTest, RejectsDotDotComponents) {
  for (const char* rel : {"..", "../x", "a/../b", "a/..", "a/b/../../.."}) {
    auto p = ResolveUnder(root_, rel);
    ASSERT_FALSE(p.ok()) << rel;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << rel;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("'..'")) << rel;
  }
}

TEST_F(FilesTest, RejectsNulBytes) {
  auto p = ResolveUnder(root_, std::string("a\0b", 3));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("NUL"));
}

TEST_F(FilesTest, RejectsControlCharactersAndOverLongNames) {
  auto crlf = ResolveUnder(root_, "a\r\nSet-Cookie: x=1");
  ASSERT_FALSE(crlf.ok());
  EXPECT_THAT(std::string(crlf.status().message()), HasSubstr("control character"));
  EXPECT_THAT(std::string(crlf.status().message()), HasSubstr("a\\r\\nSet-Cookie"));
  auto long_name = ResolveUnder(root_, "dir/" + std::string(300, 'n'));
  ASSERT_FALSE(long_name.ok());
  EXPECT_THAT(std::string(long_name.status().message()), HasSubstr("longer than 255 bytes"));
  EXPECT_LT(long_name.status().message().size(), 400u);  // the name is cut in the message
  EXPECT_FALSE(ResolveUnder(root_, std::string(2000, 'a') + "/x").ok());
  EXPECT_TRUE(ResolveUnder(root_, std::string(255, 'n')).ok());
}

TEST_F(FilesTest, RejectsBackslashes) {
  auto p = ResolveUnder(root_, "a\\..\\..\\etc");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("backslash"));
}

TEST_F(FilesTest, RejectsSymlinkEscapingTheRoot) {
  fs::create_directory_symlink(outside_, root_ / "escape");
  for (const char* rel : {"escape", "escape/secret.txt", "escape/new/dir"}) {
    auto p = ResolveUnder(root_, rel);
    ASSERT_FALSE(p.ok()) << rel;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << rel;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("outside")) << rel;
  }
  // A file symlink pointing outside is refused too.
  { std::ofstream(outside_ / "secret.txt") << "secret"; }
  fs::create_symlink(outside_ / "secret.txt", root_ / "link.txt");
  EXPECT_FALSE(ResolveUnder(root_, "link.txt").ok());
}

TEST_F(FilesTest, AcceptsSymlinkStayingInsideTheRoot) {
  fs::create_directories(root_ / "real");
  fs::create_directory_symlink(root_ / "real", root_ / "alias");
  auto p = ResolveUnder(root_, "alias/x.txt");
  ASSERT_TRUE(p.ok()) << p.status();
}

TEST_F(FilesTest, RootMayItselfBeASymlink) {
  fs::create_directory_symlink(root_, base_ / "root_link");
  auto p = ResolveUnder(base_ / "root_link", "a/b");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, base_ / "root_link" / "a" / "b");
}

TEST_F(FilesTest, WriteFileAtomicCreatesParentsAndWrites) {
  fs::path file = root_ / "x" / "y" / "z.bin";
  std::string data("bin\0ary\n", 8);
  ASSERT_TRUE(WriteFileAtomic(file, data).ok());
  auto read = ReadFile(file);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
}

TEST_F(FilesTest, WriteFileAtomicReplacesContentAndLeavesNoTempFile) {
  fs::path file = root_ / "f.txt";
  ASSERT_TRUE(WriteFileAtomic(file, "a much longer old content").ok());
  ASSERT_TRUE(WriteFileAtomic(file, "new").ok());
  EXPECT_EQ(*ReadFile(file), "new");
  EXPECT_EQ(Entries(root_), std::vector<std::string>{"f.txt"});
  ASSERT_TRUE(WriteFileAtomic(file, "").ok());
  EXPECT_EQ(*ReadFile(file), "");
  EXPECT_EQ(Entries(root_), std::vector<std::string>{"f.txt"});
}

TEST_F(FilesTest, WriteFileAtomicFailsWhenParentIsAFile) {
  ASSERT_TRUE(WriteFileAtomic(root_ / "file", "x").ok());
  absl::Status s = WriteFileAtomic(root_ / "file" / "child", "y");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*ReadFile(root_ / "file"), "x");
}

TEST_F(FilesTest, ReadFileMissingIsNotFound) {
  auto read = ReadFile(root_ / "missing");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace plinth
