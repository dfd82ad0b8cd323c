#include "plinth/cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plinth/cli/output.h"

namespace plinth::cli {
namespace {
constexpr size_t kBarWidth = 24;
constexpr size_t kMinBarWidth = 10;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
}  // namespace

std::string FormatProgressLine(const ProgressSnapshot& s, size_t width) {
  std::string amounts = s.total > 0 ? absl::StrCat(FormatBytes(s.done), "/", FormatBytes(s.total))
                                    : FormatBytes(s.done);
  std::string rate =
      s.elapsed_s > 0 ? absl::StrCat(FormatBytes(static_cast<uint64_t>(s.done / s.elapsed_s)), "/s")
                      : "";
  std::string percent;
  std::string bar;
  if (s.total > 0) {
    double fraction = std::min(1.0, static_cast<double>(s.done) / s.total);
    percent = absl::StrFormat("%3d%%", static_cast<int>(fraction * 100));
    // The bar shrinks (down to kMinBarWidth) before the label disappears.
    size_t fixed = percent.size() + amounts.size() + rate.size() + 8;
    size_t bar_width = kBarWidth;
    if (fixed + bar_width > width) {
      bar_width = width > fixed + kMinBarWidth ? width - fixed : kMinBarWidth;
    }
    size_t filled = static_cast<size_t>(fraction * bar_width);
    bar = absl::StrCat("[", std::string(filled, '#'), std::string(bar_width - filled, '-'), "]");
  }
  std::string tail;
  for (const std::string& part : {bar, percent, amounts, rate}) {
    if (part.empty()) continue;
    absl::StrAppend(&tail, tail.empty() ? "" : "  ", part);
  }
  size_t tail_width = DisplayWidth(tail);
  if (s.label.empty() || tail_width + 2 >= width) return tail;
  return absl::StrCat(TruncateToWidth(s.label, width - tail_width - 2), "  ", tail);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

size_t TerminalWidth() {
  size_t columns = 0;
  if (const char* env = std::getenv("COLUMNS");
      env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) {
    return columns;
  }
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

ProgressBar::ProgressBar(std::FILE* out, bool enabled, uint64_t total)
    : out_(out),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - kRedrawInterval),
      width_(enabled ? TerminalWidth() : 80) {
  snapshot_.total = total;
}

ProgressBar::~ProgressBar() {
  if (!finished_) Finish();
}

void ProgressBar::SetLabel(std::string label) { snapshot_.label = std::move(label); }

void ProgressBar::Update(uint64_t done) {
  snapshot_.done = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  Draw();
  std::fputs("\n", out_);
  std::fflush(out_);
}

void ProgressBar::Draw() {
  snapshot_.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // "\r" returns to the line start; "\x1b[K" clears what a longer line left.
  std::string line = FormatProgressLine(snapshot_, width_ > 1 ? width_ - 1 : width_);
  std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  std::fflush(out_);
}

}  // namespace plinth::cli
