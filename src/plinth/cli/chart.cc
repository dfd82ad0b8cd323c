#include "plinth/cli/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_cat.h"
#include "plinth/cli/output.h"

namespace plinth::cli {
namespace {

constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

// Braille dot bits by [row 0..3][column 0..1] within one character cell.
constexpr uint8_t kBrailleBits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

std::string BrailleChar(uint8_t bits) {
  // U+2800 + bits, as 3-byte UTF-8.
  uint32_t cp = 0x2800 + bits;
  std::string out;
  out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
  out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  return out;
}

std::string FormatX(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return absl::StrCat(static_cast<int64_t>(x));
  return FormatNumber(x);
}

// A grid of braille dots, `cols` x `rows` characters.
class DotCanvas {
 public:
  DotCanvas(size_t cols, size_t rows) : cols_(cols), rows_(rows), cells_(cols * rows, 0) {}
  size_t dot_width() const { return cols_ * 2; }
  size_t dot_height() const { return rows_ * 4; }

  void Set(int x, int y) {
    if (x < 0 || y < 0 || x >= static_cast<int>(dot_width()) || y >= static_cast<int>(dot_height()))
      return;
    cells_[(y / 4) * cols_ + x / 2] |= kBrailleBits[y % 4][x % 2];
  }

  // Bresenham's line from (x0, y0) to (x1, y1), both ends included.
  void Line(int x0, int y0, int x1, int y1) {
    int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    while (true) {
      Set(x0, y0);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  std::string Row(size_t r) const {
    std::string out;
    for (size_t c = 0; c < cols_; ++c) out += BrailleChar(cells_[r * cols_ + c]);
    return out;
  }

 private:
  size_t cols_, rows_;
  std::vector<uint8_t> cells_;
};

}  // namespace

SeriesStats Summarize(const std::vector<ChartPoint>& points) {
  SeriesStats stats;
  for (const ChartPoint& p : points) {
    if (!std::isfinite(p.y)) continue;
    if (stats.count == 0) stats.min = stats.max = p.y;
    stats.min = std::min(stats.min, p.y);
    stats.max = std::max(stats.max, p.y);
    stats.last = p.y;
    ++stats.count;
  }
  return stats;
}

std::string Sparkline(const std::vector<double>& values, size_t width) {
  if (width == 0 || values.empty()) return "";
  size_t buckets = std::min(width, values.size());
  std::vector<std::optional<double>> means(buckets);
  for (size_t b = 0; b < buckets; ++b) {
    size_t begin = b * values.size() / buckets;
    size_t end = (b + 1) * values.size() / buckets;
    double sum = 0;
    size_t n = 0;
    for (size_t i = begin; i < end; ++i) {
      if (!std::isfinite(values[i])) continue;
      sum += values[i];
      ++n;
    }
    if (n > 0) means[b] = sum / n;
  }
  std::optional<double> lo, hi;
  for (const auto& m : means) {
    if (!m) continue;
    lo = lo ? std::min(*lo, *m) : *m;
    hi = hi ? std::max(*hi, *m) : *m;
  }
  if (!lo) return "";
  std::string out;
  for (const auto& m : means) {
    if (!m) {
      out += " ";
      continue;
    }
    int level = *hi == *lo ? 3 : static_cast<int>(std::lround((*m - *lo) / (*hi - *lo) * 7));
    out += kBlocks[std::clamp(level, 0, 7)];
  }
  return out;
}

std::vector<std::string> LineChart(const std::vector<ChartPoint>& points,
                                   const ChartOptions& options) {
  std::vector<ChartPoint> finite;
  for (const ChartPoint& p : points) {
    if (std::isfinite(p.x) && std::isfinite(p.y)) finite.push_back(p);
  }
  if (finite.empty() || options.width == 0 || options.height == 0) return {};
  std::stable_sort(finite.begin(), finite.end(),
                   [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
  double x_min = finite.front().x, x_max = finite.back().x;
  double y_min = finite.front().y, y_max = y_min;
  for (const ChartPoint& p : finite) {
    y_min = std::min(y_min, p.y);
    y_max = std::max(y_max, p.y);
  }

  DotCanvas canvas(options.width, options.height);
  int w = static_cast<int>(canvas.dot_width()) - 1;
  int h = static_cast<int>(canvas.dot_height()) - 1;
  auto px = [&](double x) {
    return x_max == x_min ? 0 : static_cast<int>(std::lround((x - x_min) / (x_max - x_min) * w));
  };
  auto py = [&](double y) {  // 0 is the top row of dots
    return y_max == y_min ? h / 2
                          : static_cast<int>(std::lround((y_max - y) / (y_max - y_min) * h));
  };
  int prev_x = px(finite[0].x), prev_y = py(finite[0].y);
  canvas.Set(prev_x, prev_y);
  for (size_t i = 1; i < finite.size(); ++i) {
    int x = px(finite[i].x), y = py(finite[i].y);
    canvas.Line(prev_x, prev_y, x, y);
    prev_x = x;
    prev_y = y;
  }

  // Y labels on the top, bottom and (when there is room) middle rows.
  size_t rows = options.height;
  std::vector<std::string> labels(rows);
  labels[0] = FormatNumber(y_max);
  if (rows > 1) labels[rows - 1] = FormatNumber(y_min);
  if (rows >= 5) {
    size_t mid = rows / 2;
    double center_dot = mid * 4 + 1.5;  // the middle of that row's dots
    labels[mid] = FormatNumber(y_max - center_dot / h * (y_max - y_min));
  }
  size_t label_width = 0;
  for (const auto& l : labels) label_width = std::max(label_width, DisplayWidth(l));

  std::vector<std::string> out;
  for (size_t r = 0; r < rows; ++r) {
    std::string line(label_width - DisplayWidth(labels[r]), ' ');
    absl::StrAppend(&line, labels[r], labels[r].empty() ? " │" : " ┤", canvas.Row(r));
    out.push_back(std::move(line));
  }
  std::string axis(label_width, ' ');
  axis += " └";
  for (size_t c = 0; c < options.width; ++c) axis += "─";
  out.push_back(std::move(axis));

  std::string first = FormatX(x_min), last = FormatX(x_max);
  std::string ticks(label_width + 2, ' ');
  ticks += first;
  if (x_max != x_min) {
    size_t used = first.size() + last.size();
    ticks.append(options.width > used ? options.width - used : 1, ' ');
    ticks += last;
  }
  out.push_back(std::move(ticks));
  return out;
}

}  // namespace plinth::cli
