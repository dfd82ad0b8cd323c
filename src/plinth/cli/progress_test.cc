#include "plinth/cli/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "plinth/cli/output.h"

namespace plinth::cli {
namespace {

TEST(FormatProgressLineTest, ShowsBarPercentAmountsAndRate) {
  ProgressSnapshot s{"model.bin", 512 * 1024, 1024 * 1024, 2.0};
  EXPECT_EQ(FormatProgressLine(s, 100),
            "model.bin  [############------------]   50%  512.0 KiB/1.0 MiB  256.0 KiB/s");
}

TEST(FormatProgressLineTest, CompleteAndUnknownTotal) {
  EXPECT_EQ(FormatProgressLine({"f", 2048, 2048, 1.0}, 100),
            "f  [########################]  100%  2.0 KiB/2.0 KiB  2.0 KiB/s");
  EXPECT_EQ(FormatProgressLine({"f", 1024, 0, 2.0}, 100), "f  1.0 KiB  512 B/s");
  EXPECT_EQ(FormatProgressLine({"", 0, 0, 0}, 100), "0 B");
}

TEST(FormatProgressLineTest, NarrowTerminalsShrinkTheBarThenCutTheLabel) {
  ProgressSnapshot s{"a/very/long/artifact/path/model.bin", 512, 1024, 1.0};
  std::string line = FormatProgressLine(s, 60);
  EXPECT_LE(DisplayWidth(line), 60u);
  EXPECT_NE(line.find("512 B/1.0 KiB"), std::string::npos);
  EXPECT_NE(line.find("…"), std::string::npos);
  // Too narrow for any label: only the numbers remain.
  std::string tiny = FormatProgressLine(s, 20);
  EXPECT_EQ(tiny.find("a/very"), std::string::npos);
  EXPECT_NE(tiny.find("50%"), std::string::npos);
}

std::string Contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(ProgressBarTest, DisabledBarWritesNothing) {
  std::FILE* f = std::tmpfile();
  {
    ProgressBar bar(f, /*enabled=*/false, 100);
    bar.SetLabel("x");
    bar.Update(50);
    bar.Finish();
  }
  EXPECT_EQ(Contents(f), "");
  std::fclose(f);
}

TEST(ProgressBarTest, EnabledBarRedrawsInPlaceAndEndsTheLine) {
  std::FILE* f = std::tmpfile();
  {
    ProgressBar bar(f, /*enabled=*/true, 100);
    bar.SetLabel("weights.bin");
    bar.Update(10);
    bar.Update(100);
  }  // the destructor finishes
  std::string out = Contents(f);
  EXPECT_EQ(out.front(), '\r');
  EXPECT_EQ(out.back(), '\n');
  EXPECT_NE(out.find("weights.bin"), std::string::npos);
  EXPECT_NE(out.find("100%"), std::string::npos);
  std::fclose(f);
}

}  // namespace
}  // namespace plinth::cli
