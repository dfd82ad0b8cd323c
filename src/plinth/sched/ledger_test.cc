#include "plinth/sched/ledger.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using testing::MakeJob;
using testing::MakeNodes;
using testing::MakeQueue;
using testing::MakeRunning;

constexpr char kH100[] = "H100-80GB";

TEST(LedgerTest, ChargesWhatRunsAndReturnsItOnRemove) {
  std::vector<gpu::Node> nodes = MakeNodes(1, 8);
  Ledger ledger(nodes, {MakeQueue("q", 8)});
  ClusterState layout(nodes);
  JobRequest a = MakeJob("a", "q", 6);
  a.preemptible = true;
  ledger.Add(MakeRunning(a, *layout.Place(a, kH100)));
  EXPECT_EQ(ledger.entries().size(), 1u);
  EXPECT_DOUBLE_EQ(ledger.quotas().Usage("q", kH100), 6);
  EXPECT_EQ(ledger.cluster().LargestFreeBlock(kH100), 2);
  ASSERT_NE(ledger.Preemptible(0, 0), nullptr);
  EXPECT_EQ(ledger.Preemptible(0, 0)->size(), 1u);

  EXPECT_TRUE(ledger.MarkStopping("a", "urgent"));
  EXPECT_EQ(ledger.Awaiting("urgent"), 1);
  EXPECT_EQ(ledger.Preemptible(0, 0), nullptr);            // a stopping job is no candidate
  EXPECT_DOUBLE_EQ(ledger.quotas().Usage("q", kH100), 6);  // it still holds its GPUs

  EXPECT_TRUE(ledger.Remove("a"));
  EXPECT_FALSE(ledger.Remove("a"));
  EXPECT_FALSE(ledger.MarkStopping("a", "urgent"));
  EXPECT_EQ(ledger.Awaiting("urgent"), 0);
  EXPECT_TRUE(ledger.entries().empty());
  EXPECT_DOUBLE_EQ(ledger.quotas().Usage("q", kH100), 0);
  EXPECT_EQ(ledger.cluster().LargestFreeBlock(kH100), 8);
}

TEST(LedgerTest, RemovingKeepsTheOthersFindable) {
  std::vector<gpu::Node> nodes = MakeNodes(2, 8);
  Ledger ledger(nodes, {MakeQueue("q", 16)});
  ClusterState layout(nodes);
  for (int i = 0; i < 5; ++i) {
    JobRequest j = MakeJob("j" + std::to_string(i), "q", 2);
    ledger.Add(MakeRunning(j, *layout.Place(j, kH100)));
  }
  EXPECT_TRUE(ledger.Remove("j1"));  // the last entry moves into its place
  EXPECT_TRUE(ledger.Remove("j4"));
  EXPECT_TRUE(ledger.MarkStopping("j3", "x"));
  for (const Ledger::Entry& e : ledger.entries()) {
    EXPECT_EQ(&ledger.entries()[ledger.EntryOf(e.seq)], &e);
  }
  EXPECT_DOUBLE_EQ(ledger.quotas().Usage("q", kH100), 6);
}

TEST(LedgerTest, PassesFromALedgerMatchPassesFromTheSnapshot) {
  Snapshot s;
  s.now_ms = 50'000;
  s.nodes = MakeNodes(2, 8);
  s.queues = {MakeQueue("a", 8, "c"), MakeQueue("b", 8, "c")};
  ClusterState layout(s.nodes);
  for (int i = 0; i < 14; ++i) {
    JobRequest r = MakeJob("r" + std::to_string(i), i < 10 ? "a" : "b", 1, 1, i % 3, i);
    r.preemptible = i % 2 == 0;
    r.max_runtime_ms = 10'000 * (i + 1);
    RunningJob running = MakeRunning(r, *layout.Place(r, kH100), 1000 * i);
    if (i == 13) {
      running.stopping = true;
      running.preempted_for = "b0";
    }
    s.running.push_back(running);
  }
  for (int i = 0; i < 6; ++i) {
    s.pending.push_back(MakeJob("b" + std::to_string(i), "b", 1 + i % 2, 1, 2, 100 + i));
    s.pending.push_back(MakeJob("a" + std::to_string(i), "a", 4, 1, 3, 200 + i));
  }
  Ledger ledger(s.nodes, s.queues);
  for (const RunningJob& r : s.running) ledger.Add(r);
  Snapshot pending_only = s;
  pending_only.running.clear();  // read from the ledger instead
  PassResult direct = Scheduler().Schedule(s);
  PassResult via_ledger = Scheduler().Schedule(pending_only, ledger);
  ASSERT_EQ(direct.admitted.size(), via_ledger.admitted.size());
  for (size_t i = 0; i < direct.admitted.size(); ++i) {
    EXPECT_EQ(direct.admitted[i].job_id, via_ledger.admitted[i].job_id);
    EXPECT_EQ(direct.admitted[i].allocation.replicas[0].node,
              via_ledger.admitted[i].allocation.replicas[0].node);
  }
  ASSERT_EQ(direct.preempted.size(), via_ledger.preempted.size());
  for (size_t i = 0; i < direct.preempted.size(); ++i) {
    EXPECT_EQ(direct.preempted[i].victim_id, via_ledger.preempted[i].victim_id);
  }
  ASSERT_EQ(direct.waiting.size(), via_ledger.waiting.size());
  for (size_t i = 0; i < direct.waiting.size(); ++i) {
    EXPECT_EQ(Explain(direct.waiting[i].reason), Explain(via_ledger.waiting[i].reason));
  }
  // The pass changed nothing in the ledger.
  EXPECT_EQ(ledger.entries().size(), s.running.size());
  EXPECT_EQ(ledger.Awaiting("b0"), 1);
}

}  // namespace
}  // namespace plinth::sched
