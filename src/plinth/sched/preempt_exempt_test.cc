// Preemption churn: SchedulerOptions::preempt_exempt_ms (Slurm's
// PreemptExemptTime), the least-preempted-first order among victims, and
// reclaimed room reaching its owner.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using testing::AdmittedIds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeJob;
using testing::MakeNodes;
using testing::MakeQueue;
using testing::MakeRunning;
using testing::ReasonFor;
using testing::VictimIds;

constexpr char kH100[] = "H100-80GB";
constexpr int64_t kNow = 1'000'000;

Scheduler Exempting(int64_t ms) {
  SchedulerOptions options;
  options.preempt_exempt_ms = ms;
  return Scheduler(options);
}

// One node of `gpus` H100s, one queue, and 1-GPU preemptible jobs started
// `ago` ms before kNow (one per entry, named by `ids`).
Snapshot OneQueue(int gpus, const std::vector<std::string>& ids, const std::vector<int64_t>& ago) {
  Snapshot s;
  s.now_ms = kNow;
  s.nodes = MakeNodes(1, gpus);
  s.queues = {MakeQueue("q", 100)};
  ClusterState layout(s.nodes);
  for (size_t i = 0; i < ids.size(); ++i) {
    JobRequest job = MakeJob(ids[i], "q", 1);
    job.preemptible = true;
    s.running.push_back(MakeRunning(job, *layout.Place(job, kH100), kNow - ago[i]));
  }
  return s;
}

TEST(PreemptExemptTest, AYoungJobIsNotPreemptedUntilItHasRunTheExemptTime) {
  Snapshot s = OneQueue(1, {"low"}, {18'000});  // ran 18 s
  s.pending = {MakeJob("urgent", "q", 1, 1, 10)};
  // Without an exemption it goes at once.
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("low"));

  PassResult held = Exempting(60'000).Schedule(s);
  EXPECT_TRUE(held.preempted.empty());
  EXPECT_EQ(held.next_preemption_ms, kNow + 42'000);
  const WaitReason* why = ReasonFor(held, "urgent");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->kind, WaitReason::Kind::kPreemptExempt);
  EXPECT_EQ(why->exempt_job, "low");
  EXPECT_EQ(why->exempt_until_ms, kNow + 42'000);
  EXPECT_EQ(Explain(*why),
            "waiting for 1 H100-80GB GPUs; job low can be preempted for it in 42s "
            "(preempt_exempt_time: running jobs are not preempted before they have run 1m)");

  // A pass that only decides (the simulator's) still says when to look again.
  SchedulerOptions quiet;
  quiet.preempt_exempt_ms = 60'000;
  quiet.explain_waiting = false;
  EXPECT_EQ(Scheduler(quiet).Schedule(s).next_preemption_ms, kNow + 42'000);

  // Once that time has come, the preemption happens.
  s.now_ms += 41'999;
  EXPECT_TRUE(Exempting(60'000).Schedule(s).preempted.empty());
  s.now_ms += 1;
  PassResult result = Exempting(60'000).Schedule(s);
  EXPECT_THAT(VictimIds(result), ElementsAre("low"));
  EXPECT_EQ(result.next_preemption_ms, 0);
  EXPECT_EQ(ReasonFor(result, "urgent")->kind, WaitReason::Kind::kAwaitingVictims);
}

TEST(PreemptExemptTest, PriorityPreemptionTakesOlderJobsAndWaitsForTheEarliestThatFits) {
  // 4 GPUs: "old" may go now; "young" ran 50 s, "newest" 20 s (60 s exempt).
  Snapshot s =
      OneQueue(4, {"old", "young", "newest", "other-old"}, {600'000, 50'000, 20'000, 500'000});
  // Two GPUs: both old jobs go (the most recently started first), though
  // without an exemption the youngest two would.
  s.pending = {MakeJob("two", "q", 2, 1, 10)};
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("newest", "young"));
  EXPECT_THAT(VictimIds(Exempting(60'000).Schedule(s)), ElementsAre("other-old", "old"));

  // Three GPUs: two old ones and "young", whose exemption ends in 10 s -
  // not "newest", which would take 40 s.
  s.pending = {MakeJob("three", "q", 3, 1, 10)};
  PassResult held = Exempting(60'000).Schedule(s);
  EXPECT_TRUE(held.preempted.empty());
  EXPECT_EQ(held.next_preemption_ms, kNow + 10'000);
  EXPECT_EQ(ReasonFor(held, "three")->exempt_job, "young");
  EXPECT_THAT(Explain(*ReasonFor(held, "three")),
              HasSubstr("job young can be preempted for it in 10s"));
  s.now_ms += 10'000;
  EXPECT_THAT(VictimIds(Exempting(60'000).Schedule(s)), ElementsAre("young", "other-old", "old"));
}

TEST(PreemptExemptTest, ReclaimRespectsTheExemption) {
  // a borrows all 8 GPUs of the cohort; b reclaims its nominal 4.
  Snapshot s;
  s.now_ms = kNow;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  ClusterState layout(s.nodes);
  for (int i = 0; i < 8; ++i) {
    JobRequest job = MakeJob("a" + std::to_string(i), "a", 1);
    job.preemptible = true;
    // a0..a5 ran for minutes; a6 and a7 started seconds ago.
    int64_t start = kNow - (i < 6 ? 600'000 - i * 1000 : 12'000 - i * 1000);
    s.running.push_back(MakeRunning(job, *layout.Place(job, kH100), start));
  }
  s.pending = {MakeJob("b0", "b", 2)};
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("a7", "a6"));
  PassResult result = Exempting(60'000).Schedule(s);
  EXPECT_THAT(VictimIds(result), ElementsAre("a5", "a4"));
  EXPECT_THAT(result.preempted[0].reason, HasSubstr("reclaims quota lent to queue a"));

  // When every borrowed job is young, b0 waits and is told why.
  for (RunningJob& r : s.running) r.start_time_ms = kNow - 30'000;
  PassResult held = Exempting(60'000).Schedule(s);
  EXPECT_TRUE(held.preempted.empty());
  EXPECT_EQ(held.next_preemption_ms, kNow + 30'000);
  const WaitReason* why = ReasonFor(held, "b0");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->kind, WaitReason::Kind::kPreemptExempt);
  EXPECT_THAT(Explain(*why), HasSubstr("can be preempted for it in 30s (preempt_exempt_time"));
  s.now_ms += 30'000;
  EXPECT_EQ(Exempting(60'000).Schedule(s).preempted.size(), 2u);
}

TEST(PreemptExemptTest, NoExemptionNoteWhenEvenExemptJobsWouldNotMakeRoom) {
  Snapshot s = OneQueue(2, {"young"}, {1'000});
  ClusterState layout(s.nodes);
  JobRequest fixed = MakeJob("fixed", "q", 1);  // not preemptible
  Allocation placed = *layout.Place(fixed, kH100);
  placed.replicas[0].gpus[0].gpu = 1;  // the GPU "young" does not use
  s.running.push_back(MakeRunning(fixed, placed, kNow));
  s.pending = {MakeJob("urgent", "q", 2, 1, 10)};
  PassResult result = Exempting(60'000).Schedule(s);
  EXPECT_TRUE(result.preempted.empty());
  EXPECT_EQ(result.next_preemption_ms, 0);
  EXPECT_EQ(ReasonFor(result, "urgent")->kind, WaitReason::Kind::kCapacity);
}

TEST(PreemptExemptTest, TheLeastPreemptedVictimGoesFirst) {
  Snapshot s = OneQueue(2, {"hit-often", "fresh"}, {100'000, 200'000});
  s.running[0].request.preemptions = 3;
  s.pending = {MakeJob("urgent", "q", 1, 1, 10)};
  // Most recently started would pick hit-often; its preemption count spares it.
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("fresh"));
  s.running[0].request.preemptions = 0;
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("hit-often"));
  // Priority still comes first.
  s.running[0].request.preemptions = 3;
  s.running[1].request.priority = 5;
  EXPECT_THAT(VictimIds(Scheduler().Schedule(s)), ElementsAre("hit-often"));
}

TEST(PreemptExemptTest, ReclaimedRoomGoesToTheOwnerBehindABorrowingHead) {
  // The churn loop this guards against: queue a reclaimed node-1 from b's
  // job "victim", which has stopped and waits again. a's first job ("big")
  // would borrow; judged by it alone a goes after b (b's share is lower),
  // "victim" takes node-1 back, and a preempts it again.
  Snapshot s;
  s.now_ms = kNow;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("a", 8, "c"), MakeQueue("b", 8, "c")};
  ClusterState layout(s.nodes);
  JobRequest a_run = MakeJob("a-run", "a", 4);
  JobRequest b_run = MakeJob("b-run", "b", 2);
  s.running.push_back(MakeRunning(a_run, *layout.Place(a_run, kH100), 0));  // node-0
  s.running.push_back(MakeRunning(b_run, *layout.Place(b_run, kH100), 0));  // node-0
  JobRequest victim = MakeJob("victim", "b", 8, 1, 0, 1);
  victim.preemptible = true;
  s.pending = {MakeJob("big", "a", 8, 2, 0, 2), MakeJob("owner", "a", 4, 1, 0, 3), victim};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_THAT(AdmittedIds(result), ElementsAre("owner"));
  EXPECT_EQ(ReasonFor(result, "big")->kind, WaitReason::Kind::kCohortQuota);

  // A job that would borrow is still not overtaken by lower-priority work
  // of its queue, which it could then preempt.
  s.pending[0].priority = 5;
  EXPECT_THAT(AdmittedIds(Scheduler().Schedule(s)), ElementsAre("victim"));
}

}  // namespace
}  // namespace plinth::sched
