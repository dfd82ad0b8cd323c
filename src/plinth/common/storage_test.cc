#include "plinth/common/storage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"

namespace plinth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StorageTest, FreeBytesReadsTheFileSystem) {
  std::optional<uint64_t> free = FreeBytes("/tmp");
  ASSERT_TRUE(free.has_value());
  EXPECT_GT(*free, 0u);
  EXPECT_FALSE(FreeBytes("/no/such/folder/anywhere").has_value());
}

TEST(StorageTest, DiskFullIs507NamingTheRoleAndFreeSpaceButNotThePath) {
  absl::Status full = DiskFullError("/tmp", "the server's database");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpStatusFor(full), 507);
  EXPECT_EQ(MlflowErrorCode(full), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(std::string(full.message()), HasSubstr("the disk holding the server's database"));
  EXPECT_THAT(std::string(full.message()), HasSubstr("free)"));
  EXPECT_THAT(std::string(full.message()), Not(HasSubstr("/tmp")));
  EXPECT_TRUE(IsDiskFull(full));
  EXPECT_FALSE(IsDiskFull(absl::ResourceExhaustedError("rate limited")));
}

}  // namespace
}  // namespace plinth
