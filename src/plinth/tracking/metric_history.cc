// TrackingStore: metric history, paged and sampled.
//
// History pages use keyset pagination on (step, timestamp) through the index
// metrics(run_key, key, step, timestamp), so page N costs the same as page 1
// even for millions of points. The token carries the last (step, timestamp)
// and how many rows with exactly that pair were already returned.
#include <algorithm>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/tracking/latest_metrics.h"
#include "plinth/tracking/step_sampling.h"
#include "plinth/tracking/tracking_store.h"

namespace plinth::tracking {
namespace {

struct HistoryCursor {
  int64_t step = std::numeric_limits<int64_t>::min();
  int64_t timestamp = std::numeric_limits<int64_t>::min();
  int64_t skip = 0;
};

std::string EncodeCursor(const HistoryCursor& c) {
  return absl::WebSafeBase64Escape(
      Json({{"step", c.step}, {"timestamp", c.timestamp}, {"skip", c.skip}}).dump());
}

absl::StatusOr<HistoryCursor> DecodeCursor(const std::string& token) {
  HistoryCursor c;
  if (token.empty()) return c;
  std::string decoded;
  if (absl::WebSafeBase64Unescape(token, &decoded)) {
    Json j = Json::parse(decoded, nullptr, false);
    if (j.is_object() && j["step"].is_number_integer() && j["timestamp"].is_number_integer() &&
        j["skip"].is_number_integer()) {
      c.step = j["step"];
      c.timestamp = j["timestamp"];
      c.skip = j["skip"];
      return c;
    }
  }
  return InvalidParameter(absl::StrCat("Invalid page token '", token.substr(0, 40),
                                       "': pass the next_page_token of a previous response"));
}

// MLflow returns at most this many points per run from the chosen steps
// (MAX_RESULTS_GET_METRIC_HISTORY).
constexpr int64_t kMaxPointsPerRun = 25000;
// Steps per `step IN (...)` query, well below SQLite's bound-parameter limit.
constexpr size_t kStepChunk = 500;

Metric MetricFromRow(const std::string& key, const db::Row& r) {
  double v = r.Int(3) ? std::numeric_limits<double>::quiet_NaN() : r.Double(2);
  return {key, v, r.Int(1), r.Int(0)};
}

absl::StatusOr<SortedSteps> ReadDistinctSteps(db::Session& s, const std::vector<int64_t>& run_keys,
                                              const std::string& key) {
  std::string sql = "SELECT DISTINCT step FROM metrics WHERE key = ? AND run_key IN (";
  std::vector<db::Value> params = {key};
  for (size_t i = 0; i < run_keys.size(); ++i) {
    absl::StrAppend(&sql, i ? ",?" : "?");
    params.push_back(run_keys[i]);
  }
  sql += ") ORDER BY step";
  std::vector<int64_t> steps;
  RETURN_IF_ERROR(s.ForEach(sql, params, [&](const db::Row& r) {
    steps.push_back(r.Int(0));
    return true;
  }));
  return SortedSteps(steps);
}

}  // namespace

absl::StatusOr<Page<Metric>> TrackingStore::GetMetricHistory(const std::string& run_id,
                                                             const std::string& key,
                                                             const std::string& page_token,
                                                             int64_t max_results) {
  ASSIGN_OR_RETURN(HistoryCursor cursor, DecodeCursor(page_token));
  if (max_results < 0) {
    return InvalidParameter("max_results must be a positive number of points per page");
  }
  Page<Metric> page;
  RETURN_IF_ERROR(db_.TimedRead("get_metric_history", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto runs, s.Query("SELECT run_key FROM runs WHERE run_uuid = ?", {run_id}));
    if (runs.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    int64_t run_key = runs[0].Int(0);
    std::string sql =
        "SELECT step, timestamp, value, is_nan FROM metrics WHERE run_key = ? AND key = ? AND "
        "step >= ? AND (step > ? OR (step = ? AND timestamp >= ?)) ORDER BY step, timestamp";
    // The redundant `step >= ?` gives the planner a range on the index, so a
    // late page does not scan from the first point.
    std::vector<db::Value> params = {run_key,     key,         cursor.step,
                                     cursor.step, cursor.step, cursor.timestamp};
    if (max_results > 0) {
      sql += " LIMIT ?";
      params.push_back(max_results + cursor.skip + 1);
    }
    int64_t skipped = 0;
    HistoryCursor last = cursor;
    bool more = false;
    RETURN_IF_ERROR(s.ForEach(sql, params, [&](const db::Row& r) {
      int64_t step = r.Int(0), ts = r.Int(1);
      if (skipped < cursor.skip && step == cursor.step && ts == cursor.timestamp) {
        ++skipped;
        return true;
      }
      if (max_results > 0 && static_cast<int64_t>(page.items.size()) == max_results) {
        more = true;
        return false;
      }
      page.items.push_back(MetricFromRow(key, r));
      if (step == last.step && ts == last.timestamp) {
        ++last.skip;
      } else {
        last = {step, ts, 1};
      }
      return true;
    }));
    // `last` started as the cursor, so its skip count already includes the
    // rows with the same (step, timestamp) returned by earlier pages.
    if (more) page.next_page_token = EncodeCursor(last);
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<RunMetric>> TrackingStore::GetMetricHistoryBulkInterval(
    const std::vector<std::string>& run_ids, const std::string& key,
    std::optional<int64_t> start_step, std::optional<int64_t> end_step, int64_t max_results) {
  std::vector<RunMetric> out;
  RETURN_IF_ERROR(
      db_.TimedRead("get_metric_history_bulk_interval", [&](db::Session& s) -> absl::Status {
        std::vector<int64_t> run_keys;
        std::vector<StepRange> ranges;
        for (const std::string& run_id : run_ids) {
          ASSIGN_OR_RETURN(auto runs,
                           s.Query("SELECT run_key FROM runs WHERE run_uuid = ?", {run_id}));
          if (runs.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
          run_keys.push_back(runs[0].Int(0));
          ASSIGN_OR_RETURN(std::optional<StepRange> range, ReadStepRange(s, run_keys.back(), key));
          if (range) ranges.push_back(*range);
        }
        // MLflow samples positions in the union of all runs' steps. Regular
        // runs on one lattice give it from their summaries; otherwise the
        // distinct steps are read from the index.
        std::optional<SortedSteps> all_steps = SortedSteps::UnionOf(ranges);
        if (!all_steps) {
          ASSIGN_OR_RETURN(all_steps, ReadDistinctSteps(s, run_keys, key));
        }
        std::vector<int64_t> steps =
            ChooseBulkIntervalSteps(*all_steps, ranges, start_step, end_step, max_results);
        for (size_t i = 0; i < run_ids.size(); ++i) {
          int64_t taken = 0;
          for (size_t begin = 0; begin < steps.size() && taken < kMaxPointsPerRun;
               begin += kStepChunk) {
            size_t end = std::min(steps.size(), begin + kStepChunk);
            std::string q =
                "SELECT step, timestamp, value, is_nan FROM metrics WHERE run_key = ? AND key = ? "
                "AND step IN (";
            std::vector<db::Value> args = {run_keys[i], key};
            for (size_t j = begin; j < end; ++j) {
              absl::StrAppend(&q, j == begin ? "?" : ",?");
              args.push_back(steps[j]);
            }
            absl::StrAppend(&q, ") ORDER BY step, timestamp LIMIT ?");
            args.push_back(kMaxPointsPerRun - taken);
            RETURN_IF_ERROR(s.ForEach(q, args, [&](const db::Row& r) {
              out.push_back({run_ids[i], MetricFromRow(key, r)});
              ++taken;
              return true;
            }));
          }
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace plinth::tracking
