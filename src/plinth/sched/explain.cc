// Explain(): the one sentence `plinth jobs why` prints.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "plinth/sched/scheduler.h"

namespace plinth::sched {
namespace {

// GPU amounts print as integers when they are whole ("2", "0.5").
std::string Gpus(double amount) {
  if (std::isinf(amount)) return "unlimited";
  if (std::fabs(amount - std::round(amount)) < 1e-9) return absl::StrCat(std::llround(amount));
  return absl::StrFormat("%.2g", amount);
}

// A wait or a setting as "42s", "1m30s", "2h": rounded up to whole seconds,
// so that a wait of 0.2 s does not read "0s".
std::string Duration(int64_t ms) {
  return absl::FormatDuration(absl::Seconds((std::max<int64_t>(ms, 0) + 999) / 1000));
}

std::string Ahead(const WaitReason& r) {
  if (r.jobs_ahead == 0) return "";
  std::string where = r.cohort.empty() ? "queue " + r.queue : "cohort " + r.cohort;
  return absl::StrCat("; ", r.jobs_ahead, r.jobs_ahead == 1 ? " job" : " jobs", " ahead of it in ",
                      where);
}

}  // namespace

std::string Explain(const WaitReason& r) {
  using Kind = WaitReason::Kind;
  switch (r.kind) {
    case Kind::kNone:
      return "not yet considered by the scheduler";
    case Kind::kUnknownQueue:
      return absl::StrCat("queue ", r.queue, " does not exist; resubmit to an existing queue");
    case Kind::kQueueQuota: {
      double over = r.used + r.needed - r.limit;
      std::string limit = std::isinf(r.limit) || r.limit == r.nominal
                              ? absl::StrCat("nominal ", Gpus(r.nominal))
                              : absl::StrCat("nominal ", Gpus(r.nominal), " + borrowing ",
                                             Gpus(r.limit - r.nominal));
      return absl::StrCat("queue ", r.queue, " would be ", Gpus(over), " ", r.flavor,
                          " over its quota (using ", Gpus(r.used), " of ", limit, ", needs ",
                          Gpus(r.needed), ")", Ahead(r));
    }
    case Kind::kCohortQuota:
      return absl::StrCat("cohort ", r.cohort, " has no unused ", r.flavor, " quota to lend (",
                          Gpus(r.used), " of ", Gpus(r.limit), " in use, needs ", Gpus(r.needed),
                          " beyond queue ", r.queue, "'s nominal ", Gpus(r.nominal), ")", Ahead(r));
    case Kind::kCapacity: {
      std::string what = r.flavor.empty() ? "CPU and memory"
                                          : absl::StrCat(Gpus(r.needed), " ", r.flavor, " GPUs");
      std::string detail = r.flavor.empty()
                               ? ""
                               : absl::StrCat(" (", r.replicas_placeable,
                                              " replicas placeable now; largest free "
                                              "block ",
                                              Gpus(r.largest_free), " GPUs on one node)");
      return absl::StrCat("waiting for ", what, " to free up", detail, Ahead(r));
    }
    case Kind::kReserved:
      return absl::StrCat(
          "would delay job ", r.reserved_for, ", which has ", r.flavor, " GPUs reserved",
          r.reserved_until_ms > 0 && r.reserved_until_ms < INT64_MAX
              ? absl::StrCat(" from ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                                        absl::FromUnixMillis(r.reserved_until_ms),
                                                        absl::UTCTimeZone()))
              : "",
          "; it can backfill only if its max runtime ends before then", Ahead(r));
    case Kind::kAwaitingVictims:
      return absl::StrCat("waiting for ", r.victims,
                          r.victims == 1 ? " preempted job" : " preempted jobs",
                          " to stop and free room for it");
    case Kind::kPreemptExempt: {
      std::string what = r.flavor.empty() ? "CPU and memory"
                                          : absl::StrCat(Gpus(r.needed), " ", r.flavor, " GPUs");
      return absl::StrCat("waiting for ", what, "; job ", r.exempt_job,
                          " can be preempted for it in ", Duration(r.exempt_in_ms),
                          " (preempt_exempt_time: running jobs are not preempted before they "
                          "have run ",
                          Duration(r.preempt_exempt_ms), ")", Ahead(r));
    }
  }
  return "unknown";
}

}  // namespace plinth::sched
