#include "plinth/common/event_bus.h"

#include <thread>

#include "gtest/gtest.h"

namespace plinth {
namespace {

BusEvent Event(const std::string& topic, int n) { return {topic, "test", Json{{"n", n}}}; }

TEST(EventBusTest, DeliversToExactAndPrefixSubscribersOnly) {
  EventBus bus;
  std::vector<std::string> seen_one, seen_all;
  auto one = bus.Subscribe({"jobs/a"}, [&](const BusEvent& e) { seen_one.push_back(e.topic); });
  auto all = bus.Subscribe({"jobs/*"}, [&](const BusEvent& e) { seen_all.push_back(e.topic); });
  bus.Publish(Event("jobs/a", 1));
  bus.Publish(Event("jobs/b", 2));
  bus.Publish(Event("runs/a", 3));
  EXPECT_EQ(seen_one, (std::vector<std::string>{"jobs/a"}));
  EXPECT_EQ(seen_all, (std::vector<std::string>{"jobs/a", "jobs/b"}));
  EXPECT_EQ(bus.Subscribers("jobs/a"), 1);
  EXPECT_EQ(bus.Subscribers("jobs/*"), 1);
}

TEST(EventBusTest, NothingArrivesAfterTheSubscriptionIsGone) {
  EventBus bus;
  int calls = 0;
  auto sub = bus.Subscribe({"t"}, [&](const BusEvent&) { ++calls; });
  bus.Publish(Event("t", 1));
  sub.reset();
  bus.Publish(Event("t", 2));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.Subscribers("t"), 0);
}

TEST(EventBusTest, AHandlerMayEndItsOwnSubscription) {
  EventBus bus;
  int calls = 0;
  std::unique_ptr<EventBus::Subscription> sub;
  sub = bus.Subscribe({"t"}, [&](const BusEvent&) {
    ++calls;
    sub.reset();  // must not deadlock
  });
  bus.Publish(Event("t", 1));
  bus.Publish(Event("t", 2));
  EXPECT_EQ(calls, 1);
}

TEST(EventBusTest, UnsubscribingWaitsForARunningHandler) {
  EventBus bus;
  std::atomic<bool> in_handler{false}, release{false}, finished{false};
  auto sub = bus.Subscribe({"t"}, [&](const BusEvent&) {
    in_handler = true;
    while (!release) std::this_thread::yield();
    finished = true;
  });
  std::thread publisher([&] { bus.Publish(Event("t", 1)); });
  while (!in_handler) std::this_thread::yield();
  std::thread releaser([&] {
    std::this_thread::yield();
    release = true;
  });
  sub.reset();  // returns only once the handler is done
  EXPECT_TRUE(finished);
  publisher.join();
  releaser.join();
}

}  // namespace
}  // namespace plinth
