#include "plinth/exec/job_user.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace plinth::exec {
namespace {

TEST(JobUserTest, AServerThatCannotSwitchKeepsItsOwnUser) {
  JobUserPolicy policy;  // switch_users off
  int cursor = 0;
  auto user = PickJobUser(policy, "a", {}, &cursor);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, -1);
}

TEST(JobUserTest, DynamicUidsAreNeverSharedByLiveJobsAndRotate) {
  JobUserPolicy policy;
  policy.switch_users = true;
  policy.uid_min = 61184;
  policy.uid_max = 61186;
  int cursor = 0;
  auto first = PickJobUser(policy, "a", {}, &cursor);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->uid, 61184);
  EXPECT_EQ(first->gid, 61184);
  auto second = PickJobUser(policy, "a", {61184}, &cursor);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->uid, 61185);
  auto third = PickJobUser(policy, "b", {61184, 61185}, &cursor);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->uid, 61186);
  auto none = PickJobUser(policy, "b", {61184, 61185, 61186}, &cursor);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(none.status().message().find("widen"), std::string::npos);
}

TEST(JobUserTest, UidsOfAccountsAreSkipped) {
  JobUserPolicy policy;
  policy.switch_users = true;
  policy.uid_min = 65534;  // nobody, on Debian
  policy.uid_max = 65535;
  int cursor = 0;
  auto user = PickJobUser(policy, "a", {}, &cursor);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 65535);
}

TEST(JobUserTest, ATeamUserIsLookedUpAndRootOrUnknownAccountsAreRefused) {
  JobUserPolicy policy;
  policy.switch_users = true;
  policy.team_users = {{"ops", "nobody"}, {"evil", "root"}, {"ghost", "no-such-account-x"}};
  int cursor = 0;
  auto ops = PickJobUser(policy, "ops", {}, &cursor);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(ops->uid, 65534);
  EXPECT_EQ(PickJobUser(policy, "evil", {}, &cursor).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PickJobUser(policy, "ghost", {}, &cursor).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(JobUserTest, ParsesAndChecksTheRange) {
  JobUserPolicy policy;
  EXPECT_TRUE(ParseUidRange("70000-70010", policy).ok());
  EXPECT_EQ(policy.uid_min, 70000);
  EXPECT_EQ(policy.uid_max, 70010);
  for (const char* bad : {"", "5", "10-20", "70010-70000", "a-b", "1-2-3"}) {
    EXPECT_FALSE(ParseUidRange(bad, policy).ok()) << bad;
  }
}

}  // namespace
}  // namespace plinth::exec
