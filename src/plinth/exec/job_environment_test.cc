#include "plinth/exec/job_environment.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::exec {
namespace {

using ::testing::ElementsAre;

TEST(JobEnvironmentTest, OnlyPathLangHomeAndTheJobsVariables) {
  ::setenv("PLINTH_ENV_TEST_SECRET", "s3cret", 1);
  ::setenv("PATH", "/opt/x/bin:/usr/bin", 1);
  ::setenv("LANG", "en_GB.UTF-8", 1);
  auto env = JobEnvironment({{"MLFLOW_RUN_ID", "r1"}}, "/jobs/j/0/replica-0/home");
  ::unsetenv("PLINTH_ENV_TEST_SECRET");
  EXPECT_EQ(env.size(), 4u);
  EXPECT_EQ(env.count("PLINTH_ENV_TEST_SECRET"), 0u);
  EXPECT_EQ(env["PATH"], "/opt/x/bin:/usr/bin");
  EXPECT_EQ(env["LANG"], "en_GB.UTF-8");
  EXPECT_EQ(env["HOME"], "/jobs/j/0/replica-0/home");
  EXPECT_EQ(env["MLFLOW_RUN_ID"], "r1");
}

TEST(JobEnvironmentTest, DefaultsWhenTheServerHasNoneAndTheSpecWins) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  ::unsetenv("PATH");
  ::unsetenv("LANG");
  auto env = JobEnvironment({{"LANG", "de_DE.UTF-8"}}, "");
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(env["PATH"], "/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(env["LANG"], "de_DE.UTF-8");
  EXPECT_EQ(env.count("HOME"), 0u);
  EXPECT_THAT(EnvironmentStrings({{"B", "2"}, {"A", "1"}}), ElementsAre("A=1", "B=2"));
}

}  // namespace
}  // namespace plinth::exec
