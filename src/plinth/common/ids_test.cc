#include "plinth/common/ids.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace plinth {
namespace {

TEST(NewTimeOrderedIdTest, SixteenHexCharacters) {
  std::string id = NewTimeOrderedId();
  ASSERT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
}

TEST(NewTimeOrderedIdTest, StrictlyIncreasingAndUniqueAcrossThreads) {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[t].push_back(NewTimeOrderedId());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : made) {
    // Each thread sees its own ids in creation order.
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(NewTimeOrderedIdTest, LeadingDigitsAreTheTimeInMilliseconds) {
  auto ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  int64_t before = ms();
  std::string id = NewTimeOrderedId();
  int64_t after = ms();
  int64_t stamped = std::stoll(id.substr(0, 11), nullptr, 16);
  EXPECT_GE(stamped, before);
  EXPECT_LE(stamped, after + 1);  // a burst may count into the next millisecond
}

}  // namespace
}  // namespace plinth
