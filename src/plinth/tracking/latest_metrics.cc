#include "plinth/tracking/latest_metrics.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"

namespace plinth::tracking {
namespace {

constexpr char kColumns[] =
    "step, timestamp, value, is_nan, step_first, step_last, step_stride, steps_regular";

StepRange RangeFromRow(const db::Row& r, int first_column) {
  return {r.Int(first_column), r.Int(first_column + 1), r.Int(first_column + 2),
          r.Int(first_column + 3) != 0};
}

}  // namespace

bool IsLater(const LatestPoint& a, const LatestPoint& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  if (b.is_nan) return !a.is_nan;
  return !a.is_nan && a.value > b.value;
}

absl::Status MergeLatestMetric(db::Session& s, int64_t run_key, const std::string& key,
                               const LatestPoint& latest, const StepRange& steps) {
  std::string select =
      absl::StrCat("SELECT ", kColumns, " FROM latest_metrics WHERE run_key = ? AND key = ?");
  if (s.dialect() == db::Dialect::kPostgres) select += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto rows, s.Query(select, {run_key, key}));
  LatestPoint point = latest;
  StepRange range = steps;
  if (!rows.empty()) {
    const db::Row& r = rows[0];
    LatestPoint stored{r.Int(0), r.Int(1), r.Double(2), r.Int(3) != 0};
    if (!IsLater(latest, stored)) point = stored;
    range = MergeStepRanges(RangeFromRow(r, 4), steps);
  }
  return s
      .Execute(absl::StrCat("INSERT INTO latest_metrics (run_key, key, ", kColumns,
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_key, key) "
                            "DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, "
                            "value = excluded.value, is_nan = excluded.is_nan, step_first = "
                            "excluded.step_first, step_last = excluded.step_last, step_stride = "
                            "excluded.step_stride, steps_regular = excluded.steps_regular"),
               {run_key, key, point.step, point.timestamp, point.is_nan ? 0.0 : point.value,
                int64_t{point.is_nan ? 1 : 0}, range.first, range.last, range.stride,
                int64_t{range.regular ? 1 : 0}})
      .status();
}

absl::StatusOr<std::optional<StepRange>> ReadStepRange(db::Session& s, int64_t run_key,
                                                       const std::string& key) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT step_first, step_last, step_stride, steps_regular "
                                      "FROM latest_metrics WHERE run_key = ? AND key = ?",
                                      {run_key, key}));
  if (rows.empty()) return std::optional<StepRange>();
  return std::optional<StepRange>(RangeFromRow(rows[0], 0));
}

}  // namespace plinth::tracking
