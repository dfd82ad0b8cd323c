#include "plinth/tracking/tracking_store.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/db/migrations.h"
#include "plinth/db/test_util.h"
#include "plinth/tracking/search_filter.h"
#include "plinth/tracking/step_sampling.h"
#include "plinth/tracking/tracking_schema.h"

namespace plinth::tracking {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// gtest fixtures have a Run() member that hides tracking::Run.
using TrackedRun = ::plinth::tracking::Run;

constexpr int64_t kStart = 1'700'000'000'000;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class TrackingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = db::UniqueTestDir("plinth_tracking");
    Open();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // (Re)opens the database file and the store on it.
  void Open() {
    store_.reset();
    db_.reset();
    db_ = db::OpenTestSqlite(dir_);
    ASSERT_NE(db_, nullptr);
    auto store = TrackingStore::Create(*db_, clock_, "mlflow-artifacts:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  int64_t NewExperiment(const std::string& name, const std::vector<KeyValue>& tags = {}) {
    auto id = store_->CreateExperiment(name, "", tags, "default");
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : -1;
  }

  TrackedRun NewRun(int64_t experiment_id, const std::string& name = "",
                    std::optional<int64_t> start_time = std::nullopt) {
    TrackingStore::NewRun request;
    request.experiment_id = experiment_id;
    request.user_id = "alice";
    request.run_name = name;
    request.start_time = start_time;
    auto run = store_->CreateRun(request);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : TrackedRun{};
  }

  TrackedRun MustGetRun(const std::string& run_id) {
    auto run = store_->GetRun(run_id);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : TrackedRun{};
  }

  absl::Status LogMetric(const std::string& run_id, const std::string& key, double value,
                         int64_t timestamp, int64_t step = 0) {
    return store_->LogBatch(run_id, {{key, value, timestamp, step}}, {}, {});
  }

  static std::optional<Metric> Latest(const TrackedRun& run, const std::string& key) {
    for (const auto& m : run.metrics) {
      if (m.key == key) return m;
    }
    return std::nullopt;
  }
  static std::optional<std::string> Find(const std::vector<KeyValue>& kvs, const std::string& key) {
    for (const auto& kv : kvs) {
      if (kv.key == key) return kv.value;
    }
    return std::nullopt;
  }

  // Every point of a history, read page by page.
  std::vector<Metric> ReadAllPages(const std::string& run_id, const std::string& key,
                                   int64_t page_size, int* pages = nullptr) {
    std::vector<Metric> all;
    std::string token;
    int count = 0;
    do {
      auto page = store_->GetMetricHistory(run_id, key, token, page_size);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int64_t>(page->items.size()), page_size);
      for (auto& m : page->items) all.push_back(m);
      token = page->next_page_token;
      if (++count > 1000) {
        ADD_FAILURE() << "paging does not end";
        break;
      }
    } while (!token.empty());
    if (pages) *pages = count;
    return all;
  }

  fs::path dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<TrackingStore> store_;
};

// ---- Experiments ----

TEST_F(TrackingStoreTest, DefaultExperimentExists) {
  auto e = store_->GetExperiment(0);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name, "Default");
  EXPECT_EQ(e->artifact_location, "mlflow-artifacts:/0");
  EXPECT_EQ(e->lifecycle_stage, "active");
  EXPECT_EQ(e->team, "default");
  EXPECT_EQ(e->creation_time, kStart);
  EXPECT_EQ(store_->GetExperimentByName("Default")->experiment_id, 0);
}

TEST_F(TrackingStoreTest, CreateAndGetExperiment) {
  clock_.AdvanceMillis(10);
  auto id = store_->CreateExperiment("exp one", "", {{"owner", "bob"}, {"a.b", "c"}}, "vision");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_GT(*id, 0);
  auto e = store_->GetExperiment(*id);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name, "exp one");
  EXPECT_EQ(e->artifact_location, absl::StrCat("mlflow-artifacts:/", *id));
  EXPECT_EQ(e->lifecycle_stage, "active");
  EXPECT_EQ(e->creation_time, kStart + 10);
  EXPECT_EQ(e->last_update_time, kStart + 10);
  EXPECT_EQ(e->team, "vision");
  ASSERT_EQ(e->tags.size(), 2u);
  EXPECT_EQ(Find(e->tags, "owner"), "bob");
  auto by_name = store_->GetExperimentByName("exp one");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->experiment_id, *id);
  EXPECT_NE(NewExperiment("exp two"), *id);
}

TEST_F(TrackingStoreTest, ExplicitArtifactLocationIsKept) {
  auto id = store_->CreateExperiment("e", "s3://bucket/prefix", {}, "default");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(store_->GetExperiment(*id)->artifact_location, "s3://bucket/prefix");
}

TEST_F(TrackingStoreTest, MissingExperimentIsNotFound) {
  EXPECT_EQ(store_->GetExperiment(999).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExperimentByName("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(MlflowErrorCode(store_->GetExperiment(999).status()), "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(TrackingStoreTest, DuplicateExperimentNameIsAlreadyExists) {
  int64_t id = NewExperiment("dup");
  auto again = store_->CreateExperiment("dup", "", {}, "default");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->DeleteExperiment(id).ok());
  auto deleted = store_->CreateExperiment("dup", "", {}, "default");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(deleted.status()), HasSubstr("deleted"));
}

TEST_F(TrackingStoreTest, CreateExperimentValidatesInput) {
  EXPECT_EQ(store_->CreateExperiment("", "", {}, "default").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad_tag = store_->CreateExperiment("e", "", {{"bad:key", "v"}}, "default");
  ASSERT_FALSE(bad_tag.ok());
  EXPECT_THAT(Message(bad_tag.status()), HasSubstr("tags[0].key"));
  // Nothing was written.
  EXPECT_EQ(store_->GetExperimentByName("e").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, RenameExperiment) {
  int64_t id = NewExperiment("old");
  NewExperiment("taken");
  clock_.AdvanceMillis(7);
  ASSERT_TRUE(store_->RenameExperiment(id, "new").ok());
  auto e = store_->GetExperiment(id);
  EXPECT_EQ(e->name, "new");
  EXPECT_EQ(e->last_update_time, kStart + 7);
  EXPECT_EQ(store_->GetExperimentByName("old").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RenameExperiment(id, "taken").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store_->RenameExperiment(id, "new").ok());  // to its own name
  EXPECT_EQ(store_->RenameExperiment(999, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RenameExperiment(id, "").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->DeleteExperiment(id).ok());
  EXPECT_EQ(store_->RenameExperiment(id, "other").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TrackingStoreTest, DeleteAndRestoreExperimentCascadeToRuns) {
  int64_t id = NewExperiment("e");
  TrackedRun run = NewRun(id);
  clock_.AdvanceMillis(3);
  ASSERT_TRUE(store_->DeleteExperiment(id).ok());
  auto e = store_->GetExperiment(id);
  EXPECT_EQ(e->lifecycle_stage, "deleted");
  EXPECT_EQ(e->last_update_time, kStart + 3);
  EXPECT_EQ(MustGetRun(run.info.run_id).info.lifecycle_stage, "deleted");
  // No new runs in a deleted experiment.
  TrackingStore::NewRun request;
  request.experiment_id = id;
  EXPECT_EQ(store_->CreateRun(request).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->RestoreExperiment(id).ok());
  EXPECT_EQ(store_->GetExperiment(id)->lifecycle_stage, "active");
  EXPECT_EQ(MustGetRun(run.info.run_id).info.lifecycle_stage, "active");
}

TEST_F(TrackingStoreTest, DefaultExperimentCannotBeDeleted) {
  absl::Status s = store_->DeleteExperiment(0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetExperiment(0)->lifecycle_stage, "active");
  EXPECT_EQ(store_->DeleteExperiment(12345).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RestoreExperiment(12345).code(), absl::StatusCode::kNotFound);
}

// Issue 9's hijack: team b creates "jobs-a" before team a runs a job.
TEST_F(TrackingStoreTest, TeamExperimentIsNeverAnotherTeams) {
  auto b_id = store_->CreateExperiment("jobs-a", "", {}, "b");
  ASSERT_TRUE(b_id.ok());
  auto a = store_->GetOrCreateTeamExperiment("jobs-a", "a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_NE(a->experiment_id, *b_id);
  EXPECT_EQ(a->name, "jobs-a-2");
  EXPECT_EQ(store_->GetExperiment(a->experiment_id)->team, "a");
  // Stable: the next call finds the same experiment.
  auto again = store_->GetOrCreateTeamExperiment("jobs-a", "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->experiment_id, a->experiment_id);
  // The owner of a free name gets it; a deleted one is skipped.
  auto c = store_->GetOrCreateTeamExperiment("jobs-c", "c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "jobs-c");
  ASSERT_TRUE(store_->DeleteExperiment(c->experiment_id).ok());
  auto c2 = store_->GetOrCreateTeamExperiment("jobs-c", "c");
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->name, "jobs-c-2");
}

TEST_F(TrackingStoreTest, ExperimentTags) {
  int64_t id = NewExperiment("e");
  ASSERT_TRUE(store_->SetExperimentTag(id, "k", "v1").ok());
  ASSERT_TRUE(store_->SetExperimentTag(id, "k", "v2").ok());
  EXPECT_EQ(Find(store_->GetExperiment(id)->tags, "k"), "v2");
  ASSERT_TRUE(store_->DeleteExperimentTag(id, "k").ok());
  EXPECT_TRUE(store_->GetExperiment(id)->tags.empty());
  EXPECT_EQ(store_->DeleteExperimentTag(id, "k").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetExperimentTag(999, "k", "v").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetExperimentTag(id, "../k", "v").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TrackingStoreTest, SearchExperimentsPagesAndHidesDeleted) {
  for (int i = 0; i < 5; ++i) {
    clock_.AdvanceMillis(1);
    NewExperiment(absl::StrCat("e", i));
  }
  ASSERT_TRUE(store_->DeleteExperiment(store_->GetExperimentByName("e2")->experiment_id).ok());
  std::vector<std::string> names;
  ExperimentSearch search;
  search.limit = 2;
  for (int page = 0; page < 10; ++page) {
    auto result = store_->SearchExperiments(search);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const auto& e : result->items) names.push_back(e.name);
    if (result->next_page_token.empty()) break;
    ASSERT_TRUE(DecodeOffsetToken(result->next_page_token).ok());
    search.offset = *DecodeOffsetToken(result->next_page_token);
  }
  // Newest first (creation_time DESC); e2 is deleted; Default is the oldest.
  EXPECT_THAT(names, ElementsAre("e4", "e3", "e1", "e0", "Default"));
}

// ---- Runs ----

TEST_F(TrackingStoreTest, CreateRunFillsInfoAndTags) {
  int64_t exp = NewExperiment("e");
  clock_.AdvanceMillis(100);
  TrackedRun run = NewRun(exp, "my-run");
  EXPECT_THAT(run.info.run_id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(run.info.run_name, "my-run");
  EXPECT_EQ(run.info.experiment_id, exp);
  EXPECT_EQ(run.info.user_id, "alice");
  EXPECT_EQ(run.info.status, "RUNNING");
  EXPECT_EQ(run.info.start_time, kStart + 100);
  EXPECT_FALSE(run.info.end_time.has_value());
  EXPECT_EQ(run.info.lifecycle_stage, "active");
  EXPECT_EQ(run.info.artifact_uri,
            absl::StrCat("mlflow-artifacts:/", exp, "/", run.info.run_id, "/artifacts"));
  EXPECT_EQ(Find(run.tags, "mlflow.runName"), "my-run");
  EXPECT_EQ(Find(run.tags, "mlflow.user"), "alice");
  EXPECT_TRUE(run.metrics.empty());
  EXPECT_TRUE(run.params.empty());
}

TEST_F(TrackingStoreTest, CreateRunWithExplicitStartTimeAndTags) {
  TrackingStore::NewRun request;
  request.experiment_id = 0;
  request.start_time = 12345;
  request.tags = {{"team", "nlp"}};
  auto run = store_->CreateRun(request);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->info.start_time, 12345);
  EXPECT_EQ(Find(run->tags, "team"), "nlp");
  EXPECT_EQ(Find(run->tags, "mlflow.user"), std::nullopt);  // no user given
}

TEST_F(TrackingStoreTest, RunNameIsGeneratedWhenAbsent) {
  TrackedRun run = NewRun(0);
  EXPECT_THAT(run.info.run_name, MatchesRegex("[a-z]+-[a-z]+-[0-9]+"));
  EXPECT_EQ(Find(run.tags, "mlflow.runName"), run.info.run_name);
}

TEST_F(TrackingStoreTest, RunNameTagIsUsedWhenNoNameIsGiven) {
  TrackingStore::NewRun request;
  request.experiment_id = 0;
  request.tags = {{"mlflow.runName", "from-tag"}};
  auto run = store_->CreateRun(request);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->info.run_name, "from-tag");
  EXPECT_EQ(Find(run->tags, "mlflow.runName"), "from-tag");
}

TEST_F(TrackingStoreTest, CreateRunRejectsBadInput) {
  TrackingStore::NewRun request;
  request.experiment_id = 999;
  EXPECT_EQ(store_->CreateRun(request).status().code(), absl::StatusCode::kNotFound);
  request.experiment_id = 0;
  request.start_time = -1;
  EXPECT_EQ(store_->CreateRun(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.start_time.reset();
  request.run_name = std::string(501, 'r');
  EXPECT_EQ(store_->CreateRun(request).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TrackingStoreTest, GetMissingRunIsNotFound) {
  auto run = store_->GetRun("0123456789abcdef0123456789abcdef");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRunOwner("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, GetRunOwner) {
  auto exp = store_->CreateExperiment("e", "", {}, "vision");
  ASSERT_TRUE(exp.ok());
  TrackedRun run = NewRun(*exp);
  auto owner = store_->GetRunOwner(run.info.run_id);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->experiment_id, *exp);
  EXPECT_EQ(owner->team, "vision");
  EXPECT_EQ(owner->lifecycle_stage, "active");
}

TEST_F(TrackingStoreTest, UpdateRun) {
  TrackedRun run = NewRun(0, "before");
  TrackingStore::RunUpdate update;
  update.status = "FINISHED";
  update.end_time = kStart + 500;
  update.run_name = "after";
  auto info = store_->UpdateRun(run.info.run_id, update);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, "FINISHED");
  EXPECT_EQ(info->end_time, kStart + 500);
  EXPECT_EQ(info->run_name, "after");
  EXPECT_EQ(Find(MustGetRun(run.info.run_id).tags, "mlflow.runName"), "after");

  TrackingStore::RunUpdate bad;
  bad.status = "DONE";
  EXPECT_EQ(store_->UpdateRun(run.info.run_id, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->UpdateRun("nope", {}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, DeleteAndRestoreRun) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->DeleteRun(run.info.run_id).ok());
  EXPECT_EQ(MustGetRun(run.info.run_id).info.lifecycle_stage, "deleted");
  ASSERT_TRUE(store_->RestoreRun(run.info.run_id).ok());
  EXPECT_EQ(MustGetRun(run.info.run_id).info.lifecycle_stage, "active");
  EXPECT_EQ(store_->DeleteRun("nope").code(), absl::StatusCode::kNotFound);
}

// ---- Logging ----

TEST_F(TrackingStoreTest, LogBatchWritesMetricsParamsAndTags) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_
                  ->LogBatch(run.info.run_id, {{"loss", 0.5, kStart, 0}, {"acc", 0.9, kStart, 0}},
                             {{"lr", "0.1"}, {"depth", "3"}}, {{"note", "hello"}})
                  .ok());
  TrackedRun got = MustGetRun(run.info.run_id);
  ASSERT_EQ(got.metrics.size(), 2u);
  EXPECT_EQ(Latest(got, "loss")->value, 0.5);
  EXPECT_EQ(Latest(got, "acc")->value, 0.9);
  EXPECT_EQ(Find(got.params, "lr"), "0.1");
  EXPECT_EQ(Find(got.params, "depth"), "3");
  EXPECT_EQ(Find(got.tags, "note"), "hello");
}

TEST_F(TrackingStoreTest, LogBatchIsAllOrNothing) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {{"lr", "0.1"}}, {}).ok());
  // A changed param rejects the whole batch: its metrics and tags are absent.
  absl::Status s = store_->LogBatch(run.info.run_id, {{"loss", 1.0, kStart, 0}},
                                    {{"new_param", "x"}, {"lr", "0.2"}}, {{"t", "v"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("Changing param values is not allowed"));
  EXPECT_THAT(Message(s), HasSubstr("lr"));
  TrackedRun got = MustGetRun(run.info.run_id);
  EXPECT_TRUE(got.metrics.empty());
  EXPECT_EQ(Find(got.params, "lr"), "0.1");
  EXPECT_EQ(Find(got.params, "new_param"), std::nullopt);
  EXPECT_EQ(Find(got.tags, "t"), std::nullopt);
  auto history = store_->GetMetricHistory(run.info.run_id, "loss", "", 0);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->items.empty());
}

// Concurrent batches may share a transaction (group commit); a rejected one
// must still write nothing and leave the others of its group intact.
TEST_F(TrackingStoreTest, ConcurrentBatchesStayAllOrNothing) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {{"lr", "0.1"}}, {}).ok());
  constexpr int kThreads = 8, kBatches = 20;
  std::vector<std::thread> threads;
  std::vector<std::vector<bool>> accepted(kThreads, std::vector<bool>(kBatches));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Metric> metrics;
        for (int i = 0; i < 50; ++i)
          metrics.push_back({absl::StrCat("t", t), 1.0, kStart, b * 50 + i});
        // Every third batch changes the param: rejected, as a whole.
        std::vector<KeyValue> params = {{"lr", b % 3 == 2 ? "0.2" : "0.1"}};
        absl::Status s = store_->LogBatch(run.info.run_id, metrics, params, {});
        accepted[t][b] = s.ok();
        EXPECT_EQ(s.ok(), b % 3 != 2) << s;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    auto history = store_->GetMetricHistory(run.info.run_id, absl::StrCat("t", t), "", 0);
    ASSERT_TRUE(history.ok()) << history.status();
    std::set<int64_t> steps;
    for (const Metric& m : history->items) steps.insert(m.step);
    for (int b = 0; b < kBatches; ++b) {
      for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(steps.count(b * 50 + i), accepted[t][b] ? 1u : 0u) << t << " " << b;
      }
    }
  }
}

TEST_F(TrackingStoreTest, InvalidBatchWritesNothing) {
  TrackedRun run = NewRun(0);
  absl::Status s = store_->LogBatch(run.info.run_id,
                                    {{"ok", 1.0, kStart, 0}, {"bad:key", 1.0, kStart, 0}}, {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("metrics[1].key"));
  EXPECT_TRUE(MustGetRun(run.info.run_id).metrics.empty());
}

TEST_F(TrackingStoreTest, ParamsAreImmutableButRelogSameValueIsFine) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {{"lr", "0.1"}}, {}).ok());
  EXPECT_TRUE(store_->LogBatch(run.info.run_id, {}, {{"lr", "0.1"}}, {}).ok());
  EXPECT_EQ(store_->LogBatch(run.info.run_id, {}, {{"lr", "0.10"}}, {}).code(),
            absl::StatusCode::kInvalidArgument);
  TrackedRun got = MustGetRun(run.info.run_id);
  ASSERT_EQ(got.params.size(), 1u);
  EXPECT_EQ(got.params[0].value, "0.1");
}

TEST_F(TrackingStoreTest, TagsOverwrite) {
  TrackedRun run = NewRun(0, "first");
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {}, {{"t", "a"}}).ok());
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {}, {{"t", "b"}}).ok());
  EXPECT_EQ(Find(MustGetRun(run.info.run_id).tags, "t"), "b");
  // Setting mlflow.runName renames the run.
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {}, {{"mlflow.runName", "second"}}).ok());
  EXPECT_EQ(MustGetRun(run.info.run_id).info.run_name, "second");
}

TEST_F(TrackingStoreTest, DeleteTag) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {}, {}, {{"t", "a"}}).ok());
  ASSERT_TRUE(store_->DeleteTag(run.info.run_id, "t").ok());
  EXPECT_EQ(Find(MustGetRun(run.info.run_id).tags, "t"), std::nullopt);
  absl::Status missing = store_->DeleteTag(run.info.run_id, "t");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(missing), HasSubstr("t"));
  EXPECT_EQ(store_->DeleteTag("nope", "t").code(), absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, LoggingToADeletedRunIsRejected) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->DeleteRun(run.info.run_id).ok());
  absl::Status s = LogMetric(run.info.run_id, "m", 1, kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("must be in the 'active' state"));
  EXPECT_EQ(store_->DeleteTag(run.info.run_id, "mlflow.user").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LogInputs(run.info.run_id, {{{"d", "x", "local", "/p", "", ""}, {}}}).code(),
            absl::StatusCode::kInvalidArgument);
  TrackingStore::RunUpdate update;
  update.status = "FINISHED";
  EXPECT_EQ(store_->UpdateRun(run.info.run_id, update).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LogMetric("0123456789abcdef0123456789abcdef", "m", 1, kStart).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, LatestMetricLaterTimestampWinsThenLargerValue) {
  TrackedRun run = NewRun(0);
  const std::string& id = run.info.run_id;
  ASSERT_TRUE(LogMetric(id, "m", 1.0, 100, 0).ok());
  ASSERT_TRUE(LogMetric(id, "m", 9.0, 50, 5).ok());  // older: ignored whatever its step
  EXPECT_EQ(Latest(MustGetRun(id), "m")->value, 1.0);
  ASSERT_TRUE(LogMetric(id, "m", 5.0, 100, 1).ok());  // tie: larger value wins
  EXPECT_EQ(Latest(MustGetRun(id), "m")->value, 5.0);
  EXPECT_EQ(Latest(MustGetRun(id), "m")->step, 1);
  ASSERT_TRUE(LogMetric(id, "m", 3.0, 100, 2).ok());  // tie, smaller: ignored
  EXPECT_EQ(Latest(MustGetRun(id), "m")->value, 5.0);
  ASSERT_TRUE(LogMetric(id, "m", -2.0, 101, 0).ok());  // later: wins even though smaller
  Metric latest = *Latest(MustGetRun(id), "m");
  EXPECT_EQ(latest.value, -2.0);
  EXPECT_EQ(latest.timestamp, 101);
  EXPECT_EQ(latest.step, 0);
}

TEST_F(TrackingStoreTest, LatestMetricWithinOneBatch) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(
      store_
          ->LogBatch(
              run.info.run_id,
              {{"m", 1.0, 200, 0}, {"m", 7.0, 200, 1}, {"m", 4.0, 200, 2}, {"m", 100.0, 150, 3}},
              {}, {})
          .ok());
  Metric latest = *Latest(MustGetRun(run.info.run_id), "m");
  EXPECT_EQ(latest.value, 7.0);
  EXPECT_EQ(latest.step, 1);
}

TEST_F(TrackingStoreTest, LatestMetricNaNHandling) {
  TrackedRun run = NewRun(0);
  const std::string& id = run.info.run_id;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ASSERT_TRUE(LogMetric(id, "m", 1.0, 100).ok());
  ASSERT_TRUE(LogMetric(id, "m", nan, 200).ok());  // later NaN wins
  EXPECT_TRUE(std::isnan(Latest(MustGetRun(id), "m")->value));
  ASSERT_TRUE(LogMetric(id, "m", -5.0, 200).ok());  // a number beats NaN on a tie
  EXPECT_EQ(Latest(MustGetRun(id), "m")->value, -5.0);
  ASSERT_TRUE(LogMetric(id, "m", nan, 200, 1).ok());  // NaN does not beat a number on a tie
  EXPECT_EQ(Latest(MustGetRun(id), "m")->value, -5.0);
  // NaN and infinities survive storage in the history.
  ASSERT_TRUE(LogMetric(id, "inf", std::numeric_limits<double>::infinity(), 1).ok());
  ASSERT_TRUE(LogMetric(id, "ninf", -std::numeric_limits<double>::infinity(), 1).ok());
  TrackedRun got = MustGetRun(id);
  EXPECT_EQ(Latest(got, "inf")->value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(Latest(got, "ninf")->value, -std::numeric_limits<double>::infinity());
  auto history = store_->GetMetricHistory(id, "m", "", 0);
  ASSERT_TRUE(history.ok());
  int nans = 0;
  for (const auto& m : history->items) nans += std::isnan(m.value);
  EXPECT_EQ(nans, 2);
}

// ---- Metric history ----

TEST_F(TrackingStoreTest, MetricHistoryIsOrderedByStepThenTimestamp) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_
                  ->LogBatch(run.info.run_id,
                             {{"m", 3, 30, 2}, {"m", 1, 10, 0}, {"m", 2, 25, 1}, {"m", 4, 20, 1}},
                             {}, {})
                  .ok());
  auto page = store_->GetMetricHistory(run.info.run_id, "m", "", 0);
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<double> values;
  for (const auto& m : page->items) {
    values.push_back(m.value);
    EXPECT_EQ(m.key, "m");
  }
  EXPECT_THAT(values, ElementsAre(1, 4, 2, 3));
  EXPECT_TRUE(page->next_page_token.empty());
  EXPECT_TRUE(store_->GetMetricHistory(run.info.run_id, "other", "", 0)->items.empty());
}

TEST_F(TrackingStoreTest, MetricHistoryPagesThroughDuplicateStepsAndTimestamps) {
  TrackedRun run = NewRun(0);
  // 5 steps x 7 points with the same (step, timestamp), plus a run of 10
  // points all at (5, 1000): ties larger than a page.
  std::vector<Metric> metrics;
  for (int step = 0; step < 5; ++step) {
    for (int i = 0; i < 7; ++i) metrics.push_back({"m", step * 100.0 + i, 1000, step});
  }
  for (int i = 0; i < 10; ++i) metrics.push_back({"m", 5000.0 + i, 1000, 5});
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, metrics, {}, {}).ok());

  for (int64_t page_size : {1, 3, 4, 7, 10, 44, 45, 100}) {
    int pages = 0;
    std::vector<Metric> all = ReadAllPages(run.info.run_id, "m", page_size, &pages);
    ASSERT_EQ(all.size(), metrics.size()) << "page size " << page_size;
    std::multiset<double> seen, expected;
    for (const auto& m : all) seen.insert(m.value);
    for (const auto& m : metrics) expected.insert(m.value);
    EXPECT_EQ(seen, expected) << "page size " << page_size;  // no point lost or repeated
    for (size_t i = 1; i < all.size(); ++i) {
      EXPECT_LE(all[i - 1].step, all[i].step) << "page size " << page_size;
    }
    EXPECT_EQ(pages, (45 + page_size - 1) / page_size);
  }
}

TEST_F(TrackingStoreTest, MetricHistoryRejectsBadTokensAndArguments) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(LogMetric(run.info.run_id, "m", 1, 1).ok());
  for (const std::string& token : {std::string("garbage!!"), std::string("e30"),  // "{}"
                                   EncodeOffsetToken(5)}) {
    auto page = store_->GetMetricHistory(run.info.run_id, "m", token, 10);
    ASSERT_FALSE(page.ok()) << token;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(Message(page.status()), HasSubstr("page token")) << token;
  }
  EXPECT_EQ(store_->GetMetricHistory(run.info.run_id, "m", "", -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetMetricHistory("nope", "m", "", 10).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TrackingStoreTest, BulkIntervalReturnsEveryStepWhenFewEnough) {
  TrackedRun run = NewRun(0);
  std::vector<Metric> metrics;
  for (int step = 0; step < 10; ++step) metrics.push_back({"m", step * 1.5, 1000 + step, step});
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, metrics, {}, {}).ok());
  auto points =
      store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 10u);
  for (int step = 0; step < 10; ++step) {
    EXPECT_EQ((*points)[step].run_id, run.info.run_id);
    EXPECT_EQ((*points)[step].metric.step, step);
    EXPECT_EQ((*points)[step].metric.value, step * 1.5);
    EXPECT_EQ((*points)[step].metric.timestamp, 1000 + step);
  }
}

// max_results evenly spaced positions, plus the last step (MLflow returns
// one more point than max_results when the last step is not a position).
TEST_F(TrackingStoreTest, BulkIntervalSamplesMaxPositionsPlusTheLastStep) {
  TrackedRun run = NewRun(0);
  std::vector<Metric> metrics;
  for (int step = 0; step < 1000; ++step) metrics.push_back({"m", 1.0 * step, 5, step});
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, metrics, {}, {}).ok());
  for (int64_t max : {2, 7, 10, 999}) {
    auto points = store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", std::nullopt,
                                                       std::nullopt, max);
    ASSERT_TRUE(points.ok()) << points.status();
    ASSERT_EQ(static_cast<int64_t>(points->size()), max + 1) << max;
    EXPECT_EQ(points->front().metric.step, 0) << max;
    EXPECT_EQ(points->back().metric.step, 999) << max;
    for (size_t i = 1; i < points->size(); ++i) {
      EXPECT_LT((*points)[i - 1].metric.step, (*points)[i].metric.step) << max;
    }
  }
}

// The first and last step are always included, even past max_results.
TEST_F(TrackingStoreTest, BulkIntervalAlwaysKeepsFirstAndLastStep) {
  TrackedRun run = NewRun(0);
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, {{"m", 1, 1, 0}, {"m", 2, 1, 10}}, {}, {}).ok());
  auto points =
      store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", std::nullopt, std::nullopt, 1);
  ASSERT_TRUE(points.ok()) << points.status();
  EXPECT_EQ(points->size(), 2u);
}

TEST_F(TrackingStoreTest, BulkIntervalHonoursTheStepRange) {
  TrackedRun run = NewRun(0);
  std::vector<Metric> metrics;
  for (int step = 0; step < 100; ++step) metrics.push_back({"m", 1.0 * step, 5, step});
  ASSERT_TRUE(store_->LogBatch(run.info.run_id, metrics, {}, {}).ok());
  auto points = store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", 20, 40, 100);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 21u);
  EXPECT_EQ(points->front().metric.step, 20);
  EXPECT_EQ(points->back().metric.step, 40);
  // MLflow's index bound (see step_sampling.cc) keeps only the first
  // position of a range that starts at index 20, plus the range's last step.
  auto sampled = store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", 20, 40, 5);
  ASSERT_TRUE(sampled.ok());
  ASSERT_EQ(sampled->size(), 2u);
  EXPECT_EQ(sampled->front().metric.step, 20);
  EXPECT_EQ(sampled->back().metric.step, 40);
  auto empty = store_->GetMetricHistoryBulkInterval({run.info.run_id}, "m", 200, 300, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// Whatever order and batching steps arrive in (progressions, strides,
// holes, repeats), the sampled steps are the ones computed from every
// distinct step, as MLflow computes them.
TEST_F(TrackingStoreTest, BulkIntervalMatchesTheExactStepsForAnyLoggingPattern) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<std::string> run_ids;
    std::set<int64_t> all;
    std::vector<StepRange> bounds;
    int runs = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < runs; ++r) {
      TrackedRun run = NewRun(0);
      run_ids.push_back(run.info.run_id);
      int64_t stride = 1 + static_cast<int64_t>(rng() % 3);
      int64_t origin = static_cast<int64_t>(rng() % 5) - 2;
      int64_t count = 1 + static_cast<int64_t>(rng() % 60);
      std::vector<int64_t> steps;
      for (int64_t i = 0; i < count; ++i) steps.push_back(origin + stride * i);
      if (rng() % 3 == 0) steps.push_back(origin + stride * (count + 3));  // a hole
      if (rng() % 4 == 0) std::shuffle(steps.begin(), steps.end(), rng);
      std::set<int64_t> mine(steps.begin(), steps.end());
      bounds.push_back({*mine.begin(), *mine.rbegin()});
      all.insert(mine.begin(), mine.end());
      for (size_t begin = 0; begin < steps.size();) {
        size_t n = std::min(steps.size() - begin, 1 + static_cast<size_t>(rng() % 8));
        std::vector<Metric> batch;
        for (size_t i = begin; i < begin + n; ++i) batch.push_back({"m", 1.0, 5, steps[i]});
        ASSERT_TRUE(store_->LogBatch(run.info.run_id, batch, {}, {}).ok());
        begin += n;
      }
    }
    for (int64_t max : {1, 5, 17, 1000}) {
      std::vector<int64_t> expected = ChooseBulkIntervalSteps(
          std::vector<int64_t>(all.begin(), all.end()), bounds, std::nullopt, std::nullopt, max);
      auto points =
          store_->GetMetricHistoryBulkInterval(run_ids, "m", std::nullopt, std::nullopt, max);
      ASSERT_TRUE(points.ok()) << points.status();
      std::set<int64_t> got;
      for (const RunMetric& p : *points) got.insert(p.metric.step);
      EXPECT_EQ(std::vector<int64_t>(got.begin(), got.end()), expected)
          << "trial " << trial << " max " << max;
    }
  }
}

// A database written before step summaries existed gets them from its
// metrics when it is upgraded.
TEST_F(TrackingStoreTest, UpgradeSummarizesExistingSteps) {
  store_.reset();
  db_.reset();
  fs::remove_all(dir_);
  db_ = db::OpenTestSqlite(dir_);
  std::vector<db::Migration> first = {TrackingMigrations().front()};
  ASSERT_TRUE(db::Migrate(*db_, "tracking", first).ok());
  ASSERT_TRUE(db_->Write([](db::Session& s) -> absl::Status {
                   for (auto [key, steps] : std::vector<std::pair<std::string, std::vector<int>>>{
                            {"dense", {0, 1, 2, 3}},
                            {"every10", {0, 10, 20}},
                            {"holes", {0, 1, 5}},
                            {"single", {7}}}) {
                     for (int step : steps) {
                       auto n = s.Execute("INSERT INTO metrics VALUES (1, ?, ?, 5, 1.0, 0)",
                                          {key, int64_t{step}});
                       if (!n.ok()) return n.status();
                     }
                     auto n = s.Execute("INSERT INTO latest_metrics VALUES (1, ?, ?, 5, 1.0, 0)",
                                        {key, int64_t{steps.back()}});
                     if (!n.ok()) return n.status();
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  ASSERT_TRUE(db::Migrate(*db_, "tracking", TrackingMigrations()).ok());
  std::map<std::string, StepRange> got;
  ASSERT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                   auto rows = s.Query(
                       "SELECT key, step_first, step_last, step_stride, steps_regular FROM "
                       "latest_metrics",
                       {});
                   if (!rows.ok()) return rows.status();
                   for (const auto& r : *rows) {
                     got[r.Str(0)] = {r.Int(1), r.Int(2), r.Int(3), r.Int(4) != 0};
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(got["dense"], (StepRange{0, 3, 1, true}));
  EXPECT_EQ(got["every10"], (StepRange{0, 20, 10, true}));
  EXPECT_FALSE(got["holes"].regular);
  EXPECT_EQ(got["holes"].first, 0);
  EXPECT_EQ(got["holes"].last, 5);
  EXPECT_EQ(got["single"], (StepRange{7, 7, 0, true}));
}

TEST_F(TrackingStoreTest, BulkIntervalCoversSeveralRunsAndEveryPointAtAStep) {
  TrackedRun a = NewRun(0), b = NewRun(0);
  // Two points at step 1 of run a: both come back, by timestamp (as in MLflow).
  ASSERT_TRUE(
      store_->LogBatch(a.info.run_id, {{"m", 1, 10, 0}, {"m", 3, 30, 1}, {"m", 2, 20, 1}}, {}, {})
          .ok());
  ASSERT_TRUE(store_->LogBatch(b.info.run_id, {{"m", 9, 10, 5}}, {}, {}).ok());
  auto points = store_->GetMetricHistoryBulkInterval({a.info.run_id, b.info.run_id}, "m",
                                                     std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 4u);
  EXPECT_EQ((*points)[0].run_id, a.info.run_id);
  EXPECT_EQ((*points)[1].run_id, a.info.run_id);
  EXPECT_EQ((*points)[1].metric.step, 1);
  EXPECT_EQ((*points)[1].metric.value, 2);
  EXPECT_EQ((*points)[2].metric.value, 3);
  EXPECT_EQ((*points)[3].run_id, b.info.run_id);
  EXPECT_EQ((*points)[3].metric.step, 5);
  EXPECT_EQ(store_
                ->GetMetricHistoryBulkInterval({a.info.run_id, "nope"}, "m", std::nullopt,
                                               std::nullopt, 10)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// ---- Search ----

TEST_F(TrackingStoreTest, SearchRunsPagesNewestFirst) {
  int64_t exp = NewExperiment("e");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(NewRun(exp, absl::StrCat("r", i), 1000 + i).info.run_id);
  NewRun(0);  // another experiment: not matched
  RunSearch search;
  search.experiment_ids = {exp};
  search.limit = 2;
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->SearchRuns(search, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->items.size(), 2u);
    for (const auto& r : page->items) names.push_back(r.info.run_name);
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(names, ElementsAre("r4", "r3", "r2", "r1", "r0"));
}

TEST_F(TrackingStoreTest, SearchRunsLoadsDataAndFiltersByLifecycle) {
  int64_t exp = NewExperiment("e");
  TrackedRun keep = NewRun(exp, "keep", 2);
  TrackedRun gone = NewRun(exp, "gone", 1);
  ASSERT_TRUE(store_->LogBatch(keep.info.run_id, {{"m", 1, 1, 0}}, {{"p", "v"}}, {}).ok());
  ASSERT_TRUE(store_->DeleteRun(gone.info.run_id).ok());
  RunSearch search;
  search.experiment_ids = {exp};
  auto active = store_->SearchRuns(search, "");
  ASSERT_TRUE(active.ok()) << active.status();
  ASSERT_EQ(active->items.size(), 1u);
  EXPECT_EQ(active->items[0].info.run_id, keep.info.run_id);
  EXPECT_EQ(Latest(active->items[0], "m")->value, 1);
  EXPECT_EQ(Find(active->items[0].params, "p"), "v");
  EXPECT_TRUE(active->next_page_token.empty());
  search.view = ViewType::kDeletedOnly;
  auto deleted = store_->SearchRuns(search, "");
  ASSERT_TRUE(deleted.ok());
  ASSERT_EQ(deleted->items.size(), 1u);
  EXPECT_EQ(deleted->items[0].info.run_id, gone.info.run_id);
  search.view = ViewType::kAll;
  EXPECT_EQ(store_->SearchRuns(search, "")->items.size(), 2u);
}

TEST_F(TrackingStoreTest, SearchRunsWithAFilter) {
  int64_t exp = NewExperiment("e");
  TrackedRun a = NewRun(exp, "a"), b = NewRun(exp, "b");
  ASSERT_TRUE(LogMetric(a.info.run_id, "rmse", 0.5, 1).ok());
  ASSERT_TRUE(LogMetric(b.info.run_id, "rmse", 2.0, 1).ok());
  auto filter = ParseSearchFilter("metrics.rmse < 1");
  ASSERT_TRUE(filter.ok()) << filter.status();
  RunSearch search;
  search.experiment_ids = {exp};
  search.filter = *filter;
  auto page = store_->SearchRuns(search, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].info.run_id, a.info.run_id);
}

TEST_F(TrackingStoreTest, SearchRunsRejectsABadToken) {
  RunSearch search;
  search.experiment_ids = {0};
  auto page = store_->SearchRuns(search, "not-a-token");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OffsetTokenTest, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(*DecodeOffsetToken(EncodeOffsetToken(0)), 0);
  EXPECT_EQ(*DecodeOffsetToken(EncodeOffsetToken(1234)), 1234);
  EXPECT_EQ(*DecodeOffsetToken(""), 0);
  for (const char* bad :
       {"abc", "eyJvZmZzZXQiOiAtMX0=" /* {"offset": -1} */, "eyJ4IjogMX0=" /* {"x": 1} */}) {
    auto decoded = DecodeOffsetToken(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// ---- Inputs ----

TEST_F(TrackingStoreTest, LogInputsRoundTrip) {
  TrackedRun run = NewRun(0);
  DatasetInput input;
  input.dataset = {"train",           "abc123",        "local",
                   "/data/train.csv", "{\"cols\": 3}", "{\"rows\": 10}"};
  input.tags = {{"mlflow.data.context", "training"}};
  ASSERT_TRUE(store_->LogInputs(run.info.run_id, {input}).ok());
  // Logging the same dataset again does not duplicate it; its tags update.
  input.tags = {{"mlflow.data.context", "eval"}};
  ASSERT_TRUE(store_->LogInputs(run.info.run_id, {input}).ok());
  TrackedRun got = MustGetRun(run.info.run_id);
  ASSERT_EQ(got.inputs.size(), 1u);
  const DatasetInput& d = got.inputs[0];
  EXPECT_EQ(d.dataset.name, "train");
  EXPECT_EQ(d.dataset.digest, "abc123");
  EXPECT_EQ(d.dataset.source_type, "local");
  EXPECT_EQ(d.dataset.source, "/data/train.csv");
  EXPECT_EQ(d.dataset.schema, "{\"cols\": 3}");
  EXPECT_EQ(d.dataset.profile, "{\"rows\": 10}");
  ASSERT_EQ(d.tags.size(), 1u);
  EXPECT_EQ(d.tags[0].key, "mlflow.data.context");
  EXPECT_EQ(d.tags[0].value, "eval");
}

TEST_F(TrackingStoreTest, LogInputsValidatesDatasets) {
  TrackedRun run = NewRun(0);
  DatasetInput missing_digest;
  missing_digest.dataset = {"train", "", "local", "/p", "", ""};
  absl::Status s = store_->LogInputs(run.info.run_id, {missing_digest});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("datasets[0]"));
  DatasetInput bad_tag;
  bad_tag.dataset = {"train", "d", "local", "/p", "", ""};
  bad_tag.tags = {{"", "v"}};
  s = store_->LogInputs(run.info.run_id, {bad_tag});
  EXPECT_THAT(Message(s), HasSubstr("datasets[0].tags[0].key"));
  EXPECT_TRUE(MustGetRun(run.info.run_id).inputs.empty());
}

// ---- Durability across reopening ----

TEST_F(TrackingStoreTest, DataSurvivesClosingAndReopening) {
  int64_t exp = NewExperiment("persisted", {{"k", "v"}});
  TrackedRun run = NewRun(exp, "r");
  ASSERT_TRUE(store_
                  ->LogBatch(run.info.run_id, {{"m", 1.5, 10, 0}, {"m", 2.5, 20, 1}}, {{"p", "x"}},
                             {{"t", "y"}})
                  .ok());
  Open();  // migrations are re-checked, the default experiment is not duplicated
  auto e = store_->GetExperimentByName("persisted");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->experiment_id, exp);
  EXPECT_EQ(Find(e->tags, "k"), "v");
  EXPECT_EQ(store_->GetExperiment(0)->name, "Default");
  TrackedRun got = MustGetRun(run.info.run_id);
  EXPECT_EQ(got.info.run_name, "r");
  EXPECT_EQ(Latest(got, "m")->value, 2.5);
  EXPECT_EQ(Find(got.params, "p"), "x");
  EXPECT_EQ(Find(got.tags, "t"), "y");
  EXPECT_EQ(store_->GetMetricHistory(run.info.run_id, "m", "", 0)->items.size(), 2u);
  // New ids continue after the old ones.
  EXPECT_GT(NewExperiment("after reopen"), exp);
}

}  // namespace
}  // namespace plinth::tracking
