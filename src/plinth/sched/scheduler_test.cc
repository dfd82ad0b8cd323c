#include "plinth/sched/scheduler.h"

#include <algorithm>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using testing::AdmittedIds;
using ::testing::HasSubstr;
using testing::MakeJob;
using testing::MakeNodes;
using testing::MakeQueue;
using testing::MakeRunning;
using testing::ReasonFor;

constexpr char kH100[] = "H100-80GB";

// Applies a pass to a snapshot: admitted jobs move from pending to running.
void Apply(Snapshot& snapshot, const PassResult& result) {
  for (const Admission& a : result.admitted) {
    auto it = std::find_if(snapshot.pending.begin(), snapshot.pending.end(),
                           [&](const JobRequest& j) { return j.id == a.job_id; });
    ASSERT_NE(it, snapshot.pending.end());
    snapshot.running.push_back(MakeRunning(*it, a.allocation, snapshot.now_ms));
    snapshot.pending.erase(it);
  }
}

std::map<std::string, int> RunningPerQueue(const Snapshot& snapshot) {
  std::map<std::string, int> count;
  for (const RunningJob& r : snapshot.running) ++count[r.request.queue];
  return count;
}

TEST(SchedulerTest, PriorityThenFifoWithinAQueue) {
  Snapshot s;
  s.nodes = MakeNodes(1, 2);
  s.queues = {MakeQueue("q", 8)};
  s.pending = {MakeJob("old", "q", 1, 1, 0, 1), MakeJob("new", "q", 1, 1, 0, 2),
               MakeJob("urgent", "q", 1, 1, 10, 3)};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_THAT(AdmittedIds(result), ::testing::ElementsAre("urgent", "old"));
  ASSERT_NE(ReasonFor(result, "new"), nullptr);
  EXPECT_EQ(ReasonFor(result, "new")->kind, WaitReason::Kind::kCapacity);
}

TEST(SchedulerTest, QueueQuotaStopsAdmission) {
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("vision", 4)};
  for (int i = 0; i < 6; ++i)
    s.pending.push_back(MakeJob("j" + std::to_string(i), "vision", 1, 1, 0, i));
  PassResult result = Scheduler().Schedule(s);
  EXPECT_EQ(result.admitted.size(), 4u);
  const WaitReason* why = ReasonFor(result, "j5");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->kind, WaitReason::Kind::kQueueQuota);
  EXPECT_EQ(why->jobs_ahead, 1);
  EXPECT_THAT(Explain(*why), HasSubstr("queue vision would be 1 H100-80GB over its quota"));
  EXPECT_THAT(Explain(*why), HasSubstr("1 job ahead of it in queue vision"));
}

TEST(SchedulerTest, CohortLendsUnusedQuota) {
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "research"), MakeQueue("b", 4, "research")};
  for (int i = 0; i < 8; ++i)
    s.pending.push_back(MakeJob("a" + std::to_string(i), "a", 1, 1, 0, i));
  PassResult result = Scheduler().Schedule(s);
  ASSERT_EQ(result.admitted.size(), 8u);
  int borrowed = 0;
  for (const Admission& a : result.admitted) borrowed += a.borrowing;
  EXPECT_EQ(borrowed, 4);
}

TEST(SchedulerTest, FairShareSplitsAContendedCohort) {
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  // a submitted everything first; plain FIFO would give it all 8 GPUs.
  for (int i = 0; i < 10; ++i)
    s.pending.push_back(MakeJob("a" + std::to_string(i), "a", 1, 1, 0, i));
  for (int i = 0; i < 10; ++i)
    s.pending.push_back(MakeJob("b" + std::to_string(i), "b", 1, 1, 0, 100 + i));
  Apply(s, Scheduler().Schedule(s));
  auto per_queue = RunningPerQueue(s);
  EXPECT_EQ(per_queue["a"], 4);
  EXPECT_EQ(per_queue["b"], 4);
}

TEST(SchedulerTest, FairShareConvergesAsJobsFinish) {
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  for (int i = 0; i < 16; ++i)
    s.pending.push_back(MakeJob("a" + std::to_string(i), "a", 1, 1, 0, i));
  Apply(s, Scheduler().Schedule(s));
  ASSERT_EQ(RunningPerQueue(s)["a"], 8);  // a borrows everything while b is idle
  for (int i = 0; i < 16; ++i)
    s.pending.push_back(MakeJob("b" + std::to_string(i), "b", 1, 1, 0, 100 + i));
  // Not preemptible: b gets each GPU a frees until the shares are equal.
  for (int step = 0; step < 8; ++step) {
    s.now_ms += 1000;
    auto oldest = std::min_element(
        s.running.begin(), s.running.end(),
        [](const RunningJob& x, const RunningJob& y) { return x.start_time_ms < y.start_time_ms; });
    s.running.erase(oldest);
    Apply(s, Scheduler().Schedule(s));
  }
  auto per_queue = RunningPerQueue(s);
  EXPECT_EQ(per_queue["a"], 4);
  EXPECT_EQ(per_queue["b"], 4);
}

TEST(SchedulerTest, ReclaimPreemptsBorrowedWorkMostRecentFirst) {
  Snapshot s;
  s.now_ms = 10'000;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  ClusterState layout(s.nodes);
  for (int i = 0; i < 8; ++i) {
    JobRequest job = MakeJob("a" + std::to_string(i), "a", 1);
    job.preemptible = true;
    auto allocation = layout.Place(job, kH100);
    ASSERT_TRUE(allocation);
    s.running.push_back(MakeRunning(job, *allocation, /*start=*/i * 100));
  }
  s.pending = {MakeJob("b0", "b", 2, 1, 0, 9000)};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_TRUE(result.admitted.empty());
  ASSERT_EQ(result.preempted.size(), 2u);
  EXPECT_EQ(result.preempted[0].victim_id, "a7");  // latest started first
  EXPECT_EQ(result.preempted[1].victim_id, "a6");
  EXPECT_THAT(result.preempted[0].reason, HasSubstr("reclaims quota lent to queue a"));
  const WaitReason* why = ReasonFor(result, "b0");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->kind, WaitReason::Kind::kAwaitingVictims);
  EXPECT_EQ(why->victims, 2);

  // While the victims stop, the next pass preempts nobody else.
  for (RunningJob& r : s.running) {
    if (r.request.id == "a7" || r.request.id == "a6") {
      r.stopping = true;
      r.preempted_for = "b0";
    }
  }
  PassResult waiting = Scheduler().Schedule(s);
  EXPECT_TRUE(waiting.preempted.empty());
  EXPECT_EQ(ReasonFor(waiting, "b0")->kind, WaitReason::Kind::kAwaitingVictims);
  EXPECT_THAT(Explain(*ReasonFor(waiting, "b0")), HasSubstr("2 preempted jobs to stop"));

  // Once they are gone, b0 starts in the freed room.
  s.running.erase(std::remove_if(s.running.begin(), s.running.end(),
                                 [](const RunningJob& r) { return r.stopping; }),
                  s.running.end());
  EXPECT_THAT(AdmittedIds(Scheduler().Schedule(s)), ::testing::ElementsAre("b0"));
}

TEST(SchedulerTest, NoReclaimBeyondNominal) {
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  ClusterState layout(s.nodes);
  for (int i = 0; i < 8; ++i) {
    JobRequest job = MakeJob("a" + std::to_string(i), "a", 1);
    job.preemptible = true;
    s.running.push_back(MakeRunning(job, *layout.Place(job, kH100)));
  }
  // b asks for more than its nominal 4: reclaiming would not be fair.
  s.pending = {MakeJob("big", "b", 6)};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_TRUE(result.preempted.empty());
}

TEST(SchedulerTest, HigherPriorityDisplacesLowerInItsQueue) {
  Snapshot s;
  s.nodes = MakeNodes(1, 4);
  s.queues = {MakeQueue("q", 8)};
  ClusterState layout(s.nodes);
  auto add = [&](const std::string& id, int priority, bool preemptible, int64_t start) {
    JobRequest job = MakeJob(id, "q", 1, 1, priority);
    job.preemptible = preemptible;
    s.running.push_back(MakeRunning(job, *layout.Place(job, kH100), start));
  };
  add("keep", 0, /*preemptible=*/false, 1);
  add("low-old", 0, true, 2);
  add("mid", 5, true, 3);
  add("low-new", 0, true, 4);
  s.pending = {MakeJob("urgent", "q", 2, 1, 10)};
  PassResult result = Scheduler().Schedule(s);
  ASSERT_EQ(result.preempted.size(), 2u);
  EXPECT_EQ(result.preempted[0].victim_id, "low-new");
  EXPECT_EQ(result.preempted[1].victim_id, "low-old");
  EXPECT_THAT(result.preempted[0].reason, HasSubstr("higher priority (10 > 0)"));
}

TEST(SchedulerTest, PreemptsOnlyWhenItMakesRoom) {
  Snapshot s;
  s.nodes = MakeNodes(1, 4);
  s.queues = {MakeQueue("q", 8)};
  ClusterState layout(s.nodes);
  JobRequest fixed = MakeJob("fixed", "q", 3);
  s.running.push_back(MakeRunning(fixed, *layout.Place(fixed, kH100)));
  JobRequest low = MakeJob("low", "q", 1);
  low.preemptible = true;
  s.running.push_back(MakeRunning(low, *layout.Place(low, kH100)));
  // Even without "low", 2 GPUs never fit beside the non-preemptible 3.
  s.pending = {MakeJob("urgent", "q", 2, 1, 10)};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_TRUE(result.preempted.empty());
  EXPECT_EQ(ReasonFor(result, "urgent")->kind, WaitReason::Kind::kCapacity);
}

TEST(SchedulerTest, GangWaitsWithoutHoldingGpus) {
  Snapshot s;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("q", 100)};
  ClusterState layout(s.nodes);
  JobRequest busy = MakeJob("busy", "q", 4);
  s.running.push_back(MakeRunning(busy, *layout.Place(busy, kH100)));
  JobRequest gang = MakeJob("gang", "q", 8, 2, 0, 1);
  JobRequest small = MakeJob("small", "q", 4, 1, 0, 2);
  s.pending = {gang, small};
  Scheduler no_backfill(SchedulerOptions{.backfill = false});
  PassResult result = no_backfill.Schedule(s);
  // The gang fits one replica, not two: it holds nothing, and the 4-GPU job runs.
  EXPECT_THAT(AdmittedIds(result), ::testing::ElementsAre("small"));
  const WaitReason* why = ReasonFor(result, "gang");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->replicas_placeable, 1);
  EXPECT_THAT(Explain(*why), HasSubstr("waiting for 16 H100-80GB GPUs"));
}

TEST(SchedulerTest, BackfillOnlyWhenTheHeadIsNotDelayed) {
  Snapshot s;
  s.now_ms = 0;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("q", 100)};
  ClusterState layout(s.nodes);
  JobRequest busy = MakeJob("busy", "q", 4);
  busy.max_runtime_ms = 60'000;  // frees node-0 at t=60 s
  s.running.push_back(MakeRunning(busy, *layout.Place(busy, kH100), 0));
  JobRequest gang = MakeJob("gang", "q", 8, 2, 0, 1);
  JobRequest quick = MakeJob("quick", "q", 4, 1, 0, 2);
  quick.max_runtime_ms = 30'000;  // done before the gang could start
  JobRequest slow = MakeJob("slow", "q", 4, 1, 0, 3);
  slow.max_runtime_ms = 120'000;  // would delay the gang
  s.pending = {gang, quick, slow};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_THAT(AdmittedIds(result), ::testing::ElementsAre("quick"));
  const WaitReason* why = ReasonFor(result, "slow");
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(why->kind, WaitReason::Kind::kReserved);
  EXPECT_EQ(why->reserved_for, "gang");
  EXPECT_EQ(why->reserved_until_ms, 60'000);
  EXPECT_THAT(Explain(*why), HasSubstr("would delay job gang"));
}

TEST(SchedulerTest, BackfillUsesNodesOutsideTheReservation) {
  Snapshot s;
  s.nodes = MakeNodes(3, 8);
  s.queues = {MakeQueue("q", 100)};
  ClusterState layout(s.nodes);
  JobRequest busy = MakeJob("busy", "q", 4);  // node-0, no known end
  auto busy_alloc = layout.Place(busy, kH100);
  ASSERT_EQ(busy_alloc->replicas[0].node, "node-0");
  s.running.push_back(MakeRunning(busy, *busy_alloc));
  JobRequest ending = MakeJob("ending", "q", 8);  // node-1, ends at t=60 s
  ending.max_runtime_ms = 60'000;
  auto ending_alloc = layout.Place(ending, kH100);
  ASSERT_EQ(ending_alloc->replicas[0].node, "node-1");
  s.running.push_back(MakeRunning(ending, *ending_alloc));
  // The 2 x 8 gang will get node-1 and node-2 at t=60 s; node-0 is not
  // part of its reservation, so a job of unknown length may use it now.
  JobRequest gang = MakeJob("gang", "q", 8, 2, 0, 1);
  JobRequest on_free_node = MakeJob("filler", "q", 2, 1, 0, 2);
  JobRequest too_big = MakeJob("too-big", "q", 6, 1, 0, 3);  // would need node-2
  s.pending = {gang, on_free_node, too_big};
  PassResult result = Scheduler().Schedule(s);
  ASSERT_THAT(AdmittedIds(result), ::testing::ElementsAre("filler"));
  EXPECT_EQ(result.admitted[0].allocation.replicas[0].node, "node-0");
  EXPECT_EQ(ReasonFor(result, "too-big")->kind, WaitReason::Kind::kReserved);
  EXPECT_EQ(ReasonFor(result, "gang")->kind, WaitReason::Kind::kCapacity);

  // Without backfill the reservation does not exist and too-big takes node-2.
  PassResult plain = Scheduler(SchedulerOptions{.backfill = false}).Schedule(s);
  EXPECT_THAT(AdmittedIds(plain), ::testing::ElementsAre("filler", "too-big"));
}

TEST(SchedulerTest, MigRequestsChargeTheirComputeShare) {
  Snapshot s;
  s.nodes = MakeNodes(1, 1, kH100, /*mig_gpus=*/1);
  QueueConfig q = MakeQueue("q", 1);
  s.queues = {q};
  for (int i = 0; i < 3; ++i) {
    JobRequest job = MakeJob("m" + std::to_string(i), "q", 0, 1, 0, i);
    job.per_replica.mig_profile = "3g.40gb";
    s.pending.push_back(job);
  }
  PassResult result = Scheduler().Schedule(s);
  // Two 3g.40gb slices fit one GPU (6/7 of its quota); the third does not.
  EXPECT_EQ(result.admitted.size(), 2u);
  EXPECT_EQ(result.admitted[0].allocation.replicas[0].gpus[0].mig_profile, "3g.40gb");
}

TEST(SchedulerTest, UnknownQueueIsExplained) {
  Snapshot s;
  s.nodes = MakeNodes(1, 1);
  s.queues = {MakeQueue("q", 1)};
  s.pending = {MakeJob("lost", "nope", 1)};
  PassResult result = Scheduler().Schedule(s);
  ASSERT_NE(ReasonFor(result, "lost"), nullptr);
  EXPECT_THAT(Explain(*ReasonFor(result, "lost")), HasSubstr("queue nope does not exist"));
}

TEST(SchedulerTest, ModelSpecificRequestsUseThatFlavor) {
  Snapshot s;
  s.nodes = MakeNodes(1, 2, "A100-40GB", 0, "a100");
  auto h100 = MakeNodes(1, 2, kH100, 0, "h100");
  s.nodes.insert(s.nodes.end(), h100.begin(), h100.end());
  QueueConfig q = MakeQueue("q", 2);
  q.nominal["A100-40GB"] = 2;
  s.queues = {q};
  JobRequest job = MakeJob("h", "q", 2);
  job.per_replica.gpu_model = kH100;
  s.pending = {job};
  PassResult result = Scheduler().Schedule(s);
  ASSERT_EQ(result.admitted.size(), 1u);
  EXPECT_EQ(result.admitted[0].allocation.flavor, kH100);
  EXPECT_EQ(result.admitted[0].allocation.replicas[0].node, "h100-0");
}

TEST(SchedulerTest, ReclaimedQuotaGoesToItsOwnerNotBackToTheBorrower) {
  // After a reclaim, the victim (earlier submission, equal shares) must not be
  // re-admitted on borrowed quota ahead of the job the room was made for.
  Snapshot s;
  s.nodes = MakeNodes(1, 4);
  s.queues = {MakeQueue("a", 2, "c"), MakeQueue("b", 2, "c")};
  JobRequest victim = MakeJob("victim", "a", 4, 1, 0, 1);
  victim.preemptible = true;
  JobRequest owner = MakeJob("owner", "b", 2, 1, 0, 2);
  s.pending = {victim, owner};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_THAT(AdmittedIds(result), ::testing::ElementsAre("owner"));
  EXPECT_EQ(ReasonFor(result, "victim")->kind, WaitReason::Kind::kCohortQuota);
}

TEST(SchedulerTest, NoPreemptionBehindABackfillReservation) {
  // gang holds a reservation on the only node until t=1000 s. A job that
  // cannot end before then must wait for it rather than preempt: the room
  // it freed would belong to the gang, and the victim would backfill back.
  Snapshot s;
  s.nodes = MakeNodes(1, 8);
  s.queues = {MakeQueue("q", 100)};
  ClusterState layout(s.nodes);
  JobRequest hold = MakeJob("hold", "q", 4);
  hold.max_runtime_ms = 1'000'000;
  s.running.push_back(MakeRunning(hold, *layout.Place(hold, kH100)));
  JobRequest low = MakeJob("low", "q", 4);
  low.preemptible = true;
  low.max_runtime_ms = 1'000'000;
  s.running.push_back(MakeRunning(low, *layout.Place(low, kH100)));
  JobRequest gang = MakeJob("gang", "q", 8, 1, 5, 1);
  JobRequest mid = MakeJob("mid", "q", 4, 1, 3, 2);
  mid.max_runtime_ms = 5'000'000;
  s.pending = {gang, mid};
  PassResult result = Scheduler().Schedule(s);
  EXPECT_TRUE(result.preempted.empty());
  EXPECT_EQ(ReasonFor(result, "mid")->kind, WaitReason::Kind::kReserved);

  // A job that ends before the reservation is not held back by it, so it
  // may still displace lower-priority work.
  s.pending[1].max_runtime_ms = 100'000;
  result = Scheduler().Schedule(s);
  ASSERT_EQ(result.preempted.size(), 1u);
  EXPECT_EQ(result.preempted[0].victim_id, "low");
  EXPECT_EQ(result.preempted[0].preemptor_id, "mid");
}

TEST(SchedulerTest, QuietPassesDecideTheSameWithoutExplaining) {
  Snapshot s;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("a", 8, "c"), MakeQueue("b", 8, "c")};
  ClusterState layout(s.nodes);
  for (int i = 0; i < 12; ++i) {
    JobRequest borrowed = MakeJob("run" + std::to_string(i), "a", 1, 1, 0, i);
    borrowed.preemptible = true;
    s.running.push_back(MakeRunning(borrowed, *layout.Place(borrowed, kH100), i));
  }
  for (int i = 0; i < 10; ++i) {
    s.pending.push_back(MakeJob("b" + std::to_string(i), "b", 1 + i % 3, 1, 0, 100 + i));
    s.pending.push_back(MakeJob("a" + std::to_string(i), "a", 0.5, 1, i % 2, 200 + i));
  }
  PassResult loud = Scheduler().Schedule(s);
  SchedulerOptions options;
  options.explain_waiting = false;
  PassResult quiet = Scheduler(options).Schedule(s);
  EXPECT_TRUE(quiet.waiting.empty());
  EXPECT_FALSE(loud.waiting.empty());
  EXPECT_EQ(AdmittedIds(quiet), AdmittedIds(loud));
  ASSERT_EQ(quiet.preempted.size(), loud.preempted.size());
  EXPECT_FALSE(loud.preempted.empty());
  for (size_t i = 0; i < loud.preempted.size(); ++i) {
    EXPECT_EQ(quiet.preempted[i].victim_id, loud.preempted[i].victim_id);
  }
}

TEST(SchedulerTest, APreemptorKeepsTheRoomItPreemptedFor) {
  // owner reclaims node-1 from a borrowed job and also needs the free node-0;
  // the job after it must not take node-0, or owner would find no room once
  // the victim has stopped and would preempt again.
  Snapshot s;
  s.now_ms = 1000;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("a", 16, "c"), MakeQueue("b", 0, "c")};
  ClusterState layout(s.nodes);
  JobRequest lent = MakeJob("lent", "b", 8);
  lent.preemptible = true;
  Allocation on_node_1 = *layout.Place(lent, kH100);
  ASSERT_EQ(on_node_1.replicas[0].node, "node-0");  // best fit takes the first node
  on_node_1.replicas[0].node = "node-1";
  s.running.push_back(MakeRunning(lent, on_node_1, 0));
  s.pending = {MakeJob("owner", "a", 8, 2, 0, 1), MakeJob("next", "b", 8, 1, 0, 2)};
  PassResult result = Scheduler().Schedule(s);
  ASSERT_EQ(result.preempted.size(), 1u);
  EXPECT_EQ(result.preempted[0].preemptor_id, "owner");
  EXPECT_TRUE(result.admitted.empty());

  // While the victim stops, the owner still holds both nodes.
  s.running[0].stopping = true;
  s.running[0].preempted_for = "owner";
  result = Scheduler().Schedule(s);
  EXPECT_TRUE(result.admitted.empty());
  EXPECT_TRUE(result.preempted.empty());
  EXPECT_EQ(ReasonFor(result, "owner")->kind, WaitReason::Kind::kAwaitingVictims);

  // Once it has stopped, the owner starts on both nodes.
  s.running.clear();
  result = Scheduler().Schedule(s);
  EXPECT_THAT(AdmittedIds(result), ::testing::ElementsAre("owner"));
}

}  // namespace
}  // namespace plinth::sched
