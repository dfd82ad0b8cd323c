#include "plinth/jobs/job_store.h"

#include "gtest/gtest.h"
#include "plinth/db/test_util.h"

namespace plinth::jobs {
namespace {

Job MakeJob(const std::string& id, const std::string& team, JobState state) {
  Job job;
  job.id = id;
  job.spec.name = "n-" + id;
  job.spec.team = team;
  job.spec.queue = team;
  job.spec.command = {"true"};
  job.state = state;
  job.allocation.flavor = "H100-80GB";
  job.allocation.replicas.push_back({"node-0", {{1, 0.5, "", -1}}, 2, 100});
  job.replicas.push_back({0, "node-0", "local:1:2:/x", {"1"}, "/x", "running", 0, ""});
  return job;
}

TEST(JobStoreTest, InsertUpdateGetAndPage) {
  auto dir = db::UniqueTestDir("jobstore");
  auto db = db::OpenTestSqlite(dir);
  auto store = *JobStore::Create(*db);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store
            ->Insert(MakeJob("j" + std::to_string(i), i % 2 ? "a" : "b", JobState::kPending),
                     {1, "SUBMITTED", "x"})
            .ok());
  }
  Job j = *store->Get("j1");
  EXPECT_EQ(j.allocation.replicas[0].gpus[0].fraction, 0.5);
  EXPECT_EQ(j.replicas[0].handle, "local:1:2:/x");
  j.state = JobState::kRunning;
  j.gpu_seconds = 12.5;
  ASSERT_TRUE(store->Update(j, {{2, "STARTED", "y"}}).ok());
  EXPECT_EQ(store->Get("j1")->state, JobState::kRunning);
  EXPECT_EQ(store->Events("j1")->size(), 2u);
  EXPECT_EQ(store->Get("nope").status().code(), absl::StatusCode::kNotFound);

  JobFilter filter;
  filter.limit = 2;
  auto page = *store->List(filter);
  EXPECT_EQ(page.jobs.size(), 2u);
  EXPECT_EQ(page.jobs[0].id, "j4");  // newest first
  filter.page_token = page.next_page_token;
  page = *store->List(filter);
  EXPECT_EQ(page.jobs[0].id, "j2");
  filter = {};
  filter.team = "a";
  EXPECT_EQ(store->List(filter)->jobs.size(), 2u);
  filter.state = JobState::kRunning;
  EXPECT_EQ(store->List(filter)->jobs.size(), 1u);
  EXPECT_EQ(store->LoadActive()->size(), 5u);
  auto usage = *store->Usage("team", std::nullopt);
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].key, "a");
  EXPECT_DOUBLE_EQ(usage[0].gpu_seconds, 12.5);
  auto only_a = *store->Usage("queue", "a");  // one team's jobs, by queue
  int64_t jobs = 0;
  for (const UsageRow& r : only_a) jobs += r.jobs;
  EXPECT_EQ(jobs, usage[0].jobs);
  EXPECT_FALSE(store->Usage("color", std::nullopt).ok());
}

}  // namespace
}  // namespace plinth::jobs
