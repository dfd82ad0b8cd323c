#include "plinth/auth/policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Principal Of(const std::string& team, const std::string& role) { return {true, "tok", team, role}; }

TEST(PolicyTest, TeamsReadAndWriteTheirOwn) {
  Resource run{ResourceKind::kRun, "run 5f2c", "a"};
  EXPECT_TRUE(Authorize(Of("a", "viewer"), run, Action::kRead).ok());
  EXPECT_TRUE(Authorize(Of("a", "member"), run, Action::kWrite).ok());
  EXPECT_EQ(Authorize(Of("a", "viewer"), run, Action::kWrite).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(Of("a", "member"), run, Action::kAdmin).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Of("ops", "admin"), run, Action::kAdmin).ok());
}

TEST(PolicyTest, DenialsNeverNameTheOwner) {
  Resource job{ResourceKind::kJob, "job j-1", "secret-team"};
  for (Action action : {Action::kRead, Action::kWrite}) {
    absl::Status denied = Authorize(Of("b", "member"), job, action);
    EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(denied.message()), Not(HasSubstr("secret-team")));
    EXPECT_THAT(std::string(denied.message()), HasSubstr("job j-1"));
  }
}

TEST(PolicyTest, ActionsWithoutAResource) {
  EXPECT_TRUE(AuthorizeAction(Of("a", "viewer"), Action::kRead).ok());
  EXPECT_THAT(std::string(AuthorizeAction(Of("a", "viewer"), Action::kWrite).message()),
              HasSubstr("read-only"));
  EXPECT_TRUE(AuthorizeAction(Of("a", "member"), Action::kWrite).ok());
  EXPECT_FALSE(AuthorizeAction(Of("a", "member"), Action::kAdmin).ok());
}

TEST(PolicyTest, EveryKindHasAName) {
  for (ResourceKind k :
       {ResourceKind::kExperiment, ResourceKind::kRun, ResourceKind::kModel, ResourceKind::kJob,
        ResourceKind::kQueue, ResourceKind::kTeam, ResourceKind::kToken, ResourceKind::kPipeline,
        ResourceKind::kDeployment, ResourceKind::kTable, ResourceKind::kFeatureView}) {
    EXPECT_NE(KindName(k), "resource");
  }
}

}  // namespace
}  // namespace plinth::auth
