// Text charts of metric histories for terminals: a one-line block sparkline
// and a multi-row braille line chart with axes. Non-finite values (NaN,
// Infinity) are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace plinth::cli {

struct ChartPoint {
  double x = 0;  // step
  double y = 0;  // value
};

struct SeriesStats {
  size_t count = 0;  // finite values
  double min = 0;
  double max = 0;
  double last = 0;  // value of the last finite point
};

SeriesStats Summarize(const std::vector<ChartPoint>& points);

// One block character (▁..█) per value, or, when there are more values than
// `width`, per bucket of consecutive values (the bucket's mean). A constant
// series is drawn at mid height. "" for no finite values.
std::string Sparkline(const std::vector<double>& values, size_t width);

struct ChartOptions {
  size_t width = 60;  // plot columns (each holds 2 x 4 braille dots)
  size_t height = 8;  // plot rows
};

// Rows of a braille line chart: points joined by straight segments, a y axis
// labelled with the max (top), mid and min (bottom), and an x axis with the
// first and last x. Empty when there is no finite point.
std::vector<std::string> LineChart(const std::vector<ChartPoint>& points,
                                   const ChartOptions& options = {});

}  // namespace plinth::cli
