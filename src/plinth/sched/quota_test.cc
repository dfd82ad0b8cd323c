#include "plinth/sched/quota.h"

#include <cmath>

#include "gtest/gtest.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using testing::MakeQueue;

constexpr char kH100[] = "H100-80GB";

TEST(QuotaBookTest, WithinNominalIsNotBorrowing) {
  QuotaBook book({MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")}, {{kH100, 8}});
  bool borrowing = true;
  WaitReason why;
  EXPECT_TRUE(book.Admits("a", kH100, 4, &borrowing, &why));
  EXPECT_FALSE(borrowing);
}

TEST(QuotaBookTest, BorrowsUnusedCohortQuota) {
  QuotaBook book({MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")}, {{kH100, 8}});
  book.Charge("a", kH100, 4);
  bool borrowing = false;
  WaitReason why;
  EXPECT_TRUE(book.Admits("a", kH100, 3, &borrowing, &why));
  EXPECT_TRUE(borrowing);
  book.Charge("a", kH100, 3);
  EXPECT_TRUE(book.IsBorrowing("a", kH100));
  book.Charge("b", kH100, 1);
  // The cohort's 8 are all in use.
  EXPECT_FALSE(book.Admits("a", kH100, 1, &borrowing, &why));
  EXPECT_EQ(why.kind, WaitReason::Kind::kCohortQuota);
  EXPECT_EQ(why.cohort, "c");
}

TEST(QuotaBookTest, BorrowingLimitCaps) {
  QueueConfig a = MakeQueue("a", 2, "c");
  a.borrowing_limit[kH100] = 1;
  QuotaBook book({a, MakeQueue("b", 6, "c")}, {{kH100, 8}});
  bool borrowing = false;
  WaitReason why;
  EXPECT_TRUE(book.Admits("a", kH100, 3, &borrowing, &why));
  EXPECT_FALSE(book.Admits("a", kH100, 4, &borrowing, &why));
  EXPECT_EQ(why.kind, WaitReason::Kind::kQueueQuota);
  EXPECT_DOUBLE_EQ(why.limit, 3);
  EXPECT_NE(Explain(why).find("over its quota"), std::string::npos);
}

TEST(QuotaBookTest, NoCohortMeansNoBorrowing) {
  QuotaBook book({MakeQueue("solo", 2)}, {{kH100, 8}});
  bool borrowing = false;
  WaitReason why;
  EXPECT_FALSE(book.Admits("solo", kH100, 3, &borrowing, &why));
  EXPECT_EQ(why.kind, WaitReason::Kind::kQueueQuota);
}

TEST(QuotaBookTest, DominantShareUsesNominalAndWeight) {
  QueueConfig heavy = MakeQueue("heavy", 4, "c");
  heavy.weight = 2;
  QuotaBook book({MakeQueue("a", 4, "c"), heavy}, {{kH100, 8}});
  book.Charge("a", kH100, 2);
  book.Charge("heavy", kH100, 2);
  EXPECT_DOUBLE_EQ(book.DominantShare("a"), 0.5);
  EXPECT_DOUBLE_EQ(book.DominantShare("heavy"), 0.25);
}

TEST(QuotaBookTest, CpuOnlyJobsUseNoQuota) {
  QuotaBook book({MakeQueue("a", 0)}, {{kH100, 8}});
  bool borrowing = false;
  WaitReason why;
  EXPECT_TRUE(book.Admits("a", "", 0, &borrowing, &why));
}

TEST(QuotaBookTest, UnlimitedNominalAdmitsAnythingAndSharesAgainstTheCluster) {
  QueueConfig open = MakeQueue("open", 0);
  open.nominal[kH100] = kUnlimited;
  QuotaBook book({open}, {{kH100, 8}});
  bool borrowing = true;
  WaitReason why;
  EXPECT_TRUE(book.Admits("open", kH100, 1000, &borrowing, &why));
  EXPECT_FALSE(borrowing);
  EXPECT_TRUE(std::isinf(book.Limit("open", kH100)));
  book.Charge("open", kH100, 4);
  EXPECT_DOUBLE_EQ(book.DominantShare("open"), 0.5);  // 4 of the cluster's 8
  EXPECT_FALSE(book.IsBorrowing("open", kH100));
}

TEST(QuotaBookTest, NumbersAndCopies) {
  QuotaBook book({MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")}, {{kH100, 8}});
  EXPECT_EQ(book.QueueIndex("b"), 1);
  EXPECT_EQ(book.QueueIndex("nope"), -1);
  EXPECT_EQ(book.CohortOf(0), book.CohortOf(1));
  int h100 = book.FlavorIndex(kH100);
  ASSERT_GE(h100, 0);
  EXPECT_EQ(book.FlavorIndex("A100-40GB"), -1);
  int a100 = book.AddFlavor("A100-40GB");
  EXPECT_EQ(book.AddFlavor("A100-40GB"), a100);
  EXPECT_DOUBLE_EQ(book.Nominal(0, a100), 0);
  QuotaBook copy = book;
  copy.Charge(0, h100, 3);
  EXPECT_DOUBLE_EQ(copy.Usage("a", kH100), 3);
  EXPECT_DOUBLE_EQ(copy.CohortUsage("c", kH100), 3);
  EXPECT_DOUBLE_EQ(book.Usage("a", kH100), 0);  // the original is untouched
  book.Charge("nope", kH100, 5);                // an unknown queue is ignored
  EXPECT_DOUBLE_EQ(book.CohortUsage("c", kH100), 0);
}

}  // namespace
}  // namespace plinth::sched
