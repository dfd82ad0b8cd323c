// TrackingStore: metric history, paged and sampled.
//
// History pages use keyset pagination on (step, timestamp) through the index
// metrics(run_key, key, step, timestamp), so page N costs the same as page 1
// even for millions of points. The token carries the last (step, timestamp)
// and how many rows with exactly that pair were already returned.
#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
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

// The steps to return for one run: every distinct step in [lo, hi] when there
// are at most `max` of them, else `max` evenly spaced step values from lo to
// hi, each moved to the first logged step at or after it. Both paths use only
// index reads bounded by `max`, never a scan of the whole history.
absl::StatusOr<std::vector<int64_t>> SampleSteps(db::Session& s, int64_t run_key,
                                                 const std::string& key, int64_t lo, int64_t hi,
                                                 int64_t max) {
  std::vector<int64_t> steps;
  RETURN_IF_ERROR(
      s.ForEach("SELECT DISTINCT step FROM metrics WHERE run_key = ? AND key = ? AND "
                "step >= ? AND step <= ? ORDER BY step LIMIT ?",
                {run_key, key, lo, hi, max + 1}, [&](const db::Row& r) {
                  steps.push_back(r.Int(0));
                  return true;
                }));
  if (static_cast<int64_t>(steps.size()) <= max) return steps;
  steps.clear();
  for (int64_t i = 0; i < max; ++i) {
    int64_t target =
        max == 1 ? lo
                 : lo + static_cast<int64_t>((static_cast<long double>(hi - lo) * i) / (max - 1));
    if (!steps.empty() && target <= steps.back()) target = steps.back() + 1;
    if (target > hi) break;
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT step FROM metrics WHERE run_key = ? AND key = ? "
                                        "AND step >= ? AND step <= ? ORDER BY step LIMIT 1",
                                        {run_key, key, target, hi}));
    if (rows.empty()) break;
    steps.push_back(rows[0].Int(0));
  }
  // Always end on the last step, without exceeding `max`.
  if (steps.back() != hi) {
    if (static_cast<int64_t>(steps.size()) == max) {
      steps.back() = hi;
    } else {
      steps.push_back(hi);
    }
  }
  return steps;
}

Metric MetricFromRow(const std::string& key, const db::Row& r) {
  double v = r.Int(3) ? std::numeric_limits<double>::quiet_NaN() : r.Double(2);
  return {key, v, r.Int(1), r.Int(0)};
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
        for (const std::string& run_id : run_ids) {
          ASSIGN_OR_RETURN(auto runs,
                           s.Query("SELECT run_key FROM runs WHERE run_uuid = ?", {run_id}));
          if (runs.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
          int64_t run_key = runs[0].Int(0);
          // Two index seeks: SQLite cannot answer MIN and MAX together from
          // an index and would scan the whole history.
          std::vector<db::Value> bounds = {run_key, key,
                                           start_step.value_or(std::numeric_limits<int64_t>::min()),
                                           end_step.value_or(std::numeric_limits<int64_t>::max())};
          ASSIGN_OR_RETURN(auto first, s.Query("SELECT step FROM metrics WHERE run_key = ? AND "
                                               "key = ? AND step >= ? AND step <= ? ORDER BY "
                                               "step LIMIT 1",
                                               bounds));
          if (first.empty()) continue;
          ASSIGN_OR_RETURN(auto last, s.Query("SELECT step FROM metrics WHERE run_key = ? AND "
                                              "key = ? AND step >= ? AND step <= ? ORDER BY step "
                                              "DESC LIMIT 1",
                                              bounds));
          int64_t lo = first[0].Int(0), hi = last.at(0).Int(0);
          ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                           SampleSteps(s, run_key, key, lo, hi, std::max<int64_t>(1, max_results)));
          for (int64_t step : steps) {
            ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT step, timestamp, value, is_nan FROM metrics "
                                     "WHERE run_key = ? AND key = ? AND step = ? ORDER BY "
                                     "timestamp LIMIT 1",
                                     {run_key, key, step}));
            if (!rows.empty()) out.push_back({run_id, MetricFromRow(key, rows[0])});
          }
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace plinth::tracking
