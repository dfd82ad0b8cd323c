// Progress bars for long transfers, drawn in place on a terminal (stderr).
// Off when stderr is not a terminal or --quiet is given, so scripts and logs
// see no control characters.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace plinth::cli {

struct ProgressSnapshot {
  std::string label;     // what is moving (a file name)
  uint64_t done = 0;     // bytes so far
  uint64_t total = 0;    // bytes expected; 0 = unknown
  double elapsed_s = 0;  // since the transfer started
};

// One line of at most `width` columns, e.g.
// "model.bin  [#########-----------]  45%  12.0 MiB/26.7 MiB  3.2 MiB/s".
// The label is cut first when space is short; the numbers always show.
std::string FormatProgressLine(const ProgressSnapshot& snapshot, size_t width);

// Whether stderr is an interactive terminal.
bool StderrIsTerminal();
// The terminal's width in columns (COLUMNS, then the tty, then 80).
size_t TerminalWidth();

// Draws a progress line on `out`, redrawing at most ten times a second.
// When disabled every call is a no-op. Not thread-safe.
class ProgressBar {
 public:
  ProgressBar(std::FILE* out, bool enabled, uint64_t total);
  ~ProgressBar();  // Finish()es if still drawing

  void SetLabel(std::string label);
  void Update(uint64_t done);
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw();

  std::FILE* out_;
  bool enabled_;
  bool finished_ = false;
  ProgressSnapshot snapshot_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t width_;
};

}  // namespace plinth::cli
