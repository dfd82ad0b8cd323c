#include "plinth/common/serial_worker.h"

#include <atomic>
#include <future>
#include <vector>

#include "gtest/gtest.h"

namespace plinth {
namespace {

TEST(SerialWorkerTest, RunsTasksInOrderOffTheCallersThread) {
  SerialWorker worker("test");
  std::vector<int> order;  // only the worker touches it until `done`
  std::promise<std::thread::id> ran_on;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(worker.Post([&order, i] { order.push_back(i); }));
  }
  worker.Post([&ran_on] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

// A task that blocks holds up the tasks behind it, and only those.
TEST(SerialWorkerTest, ABlockedTaskDelaysOnlyItsOwnWorker) {
  SerialWorker slow("slow"), fast("fast");
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> behind_ran{false};
  slow.Post([released] { released.wait(); });
  slow.Post([&behind_ran] { behind_ran = true; });
  std::promise<void> fast_ran;
  fast.Post([&fast_ran] { fast_ran.set_value(); });
  EXPECT_EQ(fast_ran.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(behind_ran);
  EXPECT_EQ(slow.Backlog(), 2u);
  release.set_value();
  slow.Shutdown();  // may drop the second task: it was still queued or had run
}

TEST(SerialWorkerTest, ShutdownFinishesTheRunningTaskAndDropsTheRest) {
  SerialWorker worker("test");
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  worker.Post([&] {
    started.set_value();
    released.wait();
    ++ran;
  });
  worker.Post([&] { ran += 10; });
  started.get_future().wait();
  std::thread stopper([&] { worker.Shutdown(); });
  // Post fails once Shutdown began; what it queued before is dropped too.
  while (worker.Post([&] { ran += 100; })) std::this_thread::yield();
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace plinth
