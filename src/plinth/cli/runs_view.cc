#include "plinth/cli/runs_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace plinth::cli {
namespace {

double ValueOf(const Json& metric) {
  absl::StatusOr<double> v = JsonToDouble(JsonMember(metric, "value"));
  return v.ok() ? *v : std::numeric_limits<double>::quiet_NaN();
}

// data.<kind> of `run` as key -> entry.
std::map<std::string, Json> Entries(const Json& run, const std::string& kind) {
  std::map<std::string, Json> out;
  const Json& list = JsonMember(JsonMember(run, "data"), kind.c_str());
  if (!list.is_array()) return out;
  for (const Json& entry : list) out[JsonString(entry, "key")] = entry;
  return out;
}

// "metrics.acc DESC" -> "acc" for kind "metrics" (also "metric.", quoted keys).
std::optional<std::string> OrderByKey(absl::string_view clause, const std::string& kind) {
  clause = absl::StripAsciiWhitespace(clause);
  std::string singular = kind.substr(0, kind.size() - 1);
  absl::string_view rest;
  if (absl::StartsWith(clause, kind + ".")) {
    rest = clause.substr(kind.size() + 1);
  } else if (absl::StartsWith(clause, singular + ".")) {
    rest = clause.substr(singular.size() + 1);
  } else {
    return std::nullopt;
  }
  for (absl::string_view suffix : {" ASC", " DESC", " asc", " desc"}) {
    if (absl::ConsumeSuffix(&rest, suffix)) break;
  }
  rest = absl::StripAsciiWhitespace(rest);
  if (rest.size() >= 2 && (rest.front() == '`' || rest.front() == '"') &&
      rest.back() == rest.front()) {
    rest = rest.substr(1, rest.size() - 2);
  }
  return std::string(rest);
}

std::string RunDuration(const Json& info) {
  int64_t start = JsonInt(info, "start_time");
  int64_t end = JsonInt(info, "end_time");
  if (start <= 0 || end < start) return "-";
  return FormatDuration(end - start);
}

std::string MetricsTable(const Json& run, const std::vector<MetricHistory>& histories) {
  std::map<std::string, const MetricHistory*> by_key;
  for (const MetricHistory& h : histories) by_key[h.key] = &h;
  Table table{{"metric", "last", "min", "max", "points", "history"}, {}, {1, 2, 3, 4}};
  for (const auto& [key, latest] : Entries(run, "metrics")) {
    auto it = by_key.find(key);
    if (it == by_key.end() || it->second->points.empty()) {
      table.rows.push_back({key, FormatNumber(ValueOf(latest)), "-", "-", "-", ""});
      continue;
    }
    const std::vector<ChartPoint>& points = it->second->points;
    SeriesStats stats = Summarize(points);
    std::vector<double> values;
    values.reserve(points.size());
    for (const ChartPoint& p : points) values.push_back(p.y);
    table.rows.push_back({key, FormatNumber(ValueOf(latest)), FormatNumber(stats.min),
                          FormatNumber(stats.max), absl::StrCat(points.size()),
                          Sparkline(values, 40)});
  }
  if (table.rows.empty()) return "";
  return RenderTable(table, {.max_cell_width = 64});
}

std::string LineCharts(const std::vector<MetricHistory>& histories,
                       const RunDetailsOptions& options) {
  std::string out;
  for (const MetricHistory& h : histories) {
    SeriesStats stats = Summarize(h.points);
    absl::StrAppend(&out, "\n", h.key, ": ", h.points.size(), " points");
    if (stats.count > 0) {
      absl::StrAppend(&out, ", min ", FormatNumber(stats.min), ", max ", FormatNumber(stats.max),
                      ", last ", FormatNumber(stats.last));
    }
    absl::StrAppend(&out, "\n");
    for (const std::string& line :
         LineChart(h.points, {.width = options.chart_width, .height = options.chart_height})) {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> ColumnKeys(const std::vector<Json>& runs, const std::string& kind,
                                    const std::vector<std::string>& order_by, size_t limit) {
  std::vector<std::string> keys;
  for (const std::string& clause : order_by) {
    std::optional<std::string> key = OrderByKey(clause, kind);
    if (key && std::find(keys.begin(), keys.end(), *key) == keys.end()) keys.push_back(*key);
  }
  std::map<std::string, int> counts;
  for (const Json& run : runs) {
    for (const auto& [key, entry] : Entries(run, kind)) ++counts[key];
  }
  std::vector<std::pair<std::string, int>> common(counts.begin(), counts.end());
  std::stable_sort(common.begin(), common.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [key, count] : common) {
    if (keys.size() >= limit) break;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  if (keys.size() > limit) keys.resize(limit);
  return keys;
}

Table RunsTable(const std::vector<Json>& runs, const std::vector<std::string>& metric_keys,
                const std::vector<std::string>& param_keys, absl::TimeZone tz) {
  Table table{{"run id", "name", "status", "started", "duration"}, {}, {4}};
  for (const std::string& key : metric_keys) {
    table.right_aligned.insert(table.headers.size());
    table.headers.push_back(absl::StrCat("metrics.", key));
  }
  for (const std::string& key : param_keys) table.headers.push_back(absl::StrCat("params.", key));
  for (const Json& run : runs) {
    const Json& info = JsonMember(run, "info");
    std::vector<std::string> row = {
        JsonString(info, "run_id"), JsonString(info, "run_name"), JsonString(info, "status"),
        FormatTimestamp(JsonInt(info, "start_time"), tz), RunDuration(info)};
    std::map<std::string, Json> metrics = Entries(run, "metrics");
    for (const std::string& key : metric_keys) {
      auto it = metrics.find(key);
      row.push_back(it == metrics.end() ? "-" : FormatNumber(ValueOf(it->second)));
    }
    std::map<std::string, Json> params = Entries(run, "params");
    for (const std::string& key : param_keys) {
      auto it = params.find(key);
      row.push_back(it == params.end() ? "-" : JsonString(it->second, "value"));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::vector<ChartPoint> HistoryPoints(const std::vector<Json>& metrics) {
  std::vector<ChartPoint> points;
  points.reserve(metrics.size());
  for (const Json& m : metrics) {
    points.push_back({static_cast<double>(JsonInt(m, "step")), ValueOf(m)});
  }
  return points;
}

std::string RenderRunDetails(const Json& run, const std::vector<MetricHistory>& histories,
                             const RunDetailsOptions& options) {
  const Json& info = JsonMember(run, "info");
  std::string experiment = JsonString(info, "experiment_id");
  if (!options.experiment_name.empty())
    absl::StrAppend(&experiment, " (", options.experiment_name, ")");
  int64_t start = JsonInt(info, "start_time");
  std::string out = RenderKeyValues({
      {"run id", JsonString(info, "run_id")},
      {"name", JsonString(info, "run_name")},
      {"experiment", experiment},
      {"status", JsonString(info, "status")},
      {"user", JsonString(info, "user_id")},
      {"started", FormatTimestamp(start, options.tz)},
      {"ended", FormatTimestamp(JsonInt(info, "end_time"), options.tz)},
      {"duration", RunDuration(info)},
      {"artifact uri", JsonString(info, "artifact_uri")},
      {"stage", JsonString(info, "lifecycle_stage")},
  });

  Table params{{"param", "value"}, {}, {}};
  for (const auto& [key, entry] : Entries(run, "params")) {
    params.rows.push_back({key, JsonString(entry, "value")});
  }
  if (!params.rows.empty())
    absl::StrAppend(&out, "\n", RenderTable(params, {.max_cell_width = 80}));

  if (options.line_charts) {
    absl::StrAppend(&out, LineCharts(histories, options));
  } else if (std::string metrics = MetricsTable(run, histories); !metrics.empty()) {
    absl::StrAppend(&out, "\n", metrics);
  }

  Table tags{{"tag", "value"}, {}, {}};
  for (const auto& [key, entry] : Entries(run, "tags")) {
    tags.rows.push_back({key, JsonString(entry, "value")});
  }
  if (!tags.rows.empty()) absl::StrAppend(&out, "\n", RenderTable(tags, {.max_cell_width = 80}));
  return out;
}

}  // namespace plinth::cli
