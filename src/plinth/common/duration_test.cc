#include "plinth/common/duration.h"

#include "gtest/gtest.h"

namespace plinth {
namespace {

TEST(ParseDurationTextTest, NumbersAreSeconds) {
  EXPECT_EQ(ParseDurationText("90"), 90);
  EXPECT_EQ(ParseDurationText("1.5"), 1.5);
  EXPECT_EQ(ParseDurationText("0"), 0);
}

TEST(ParseDurationTextTest, UnitsAddUp) {
  EXPECT_EQ(ParseDurationText("90s"), 90);
  EXPECT_EQ(ParseDurationText("5m"), 300);
  EXPECT_EQ(ParseDurationText("1h30m"), 5400);
  EXPECT_EQ(ParseDurationText("1d"), 86400);
  EXPECT_EQ(ParseDurationText("0.5m"), 30);
}

TEST(ParseDurationTextTest, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "-5", "5x", "m", "1h30", "ten", "1e11", "nan", "s5"}) {
    EXPECT_FALSE(ParseDurationText(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace plinth
