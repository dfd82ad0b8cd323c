#include "plinth/exec/job_user.h"

#include <pwd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace plinth::exec {

absl::Status ParseUidRange(const std::string& text, JobUserPolicy& policy) {
  std::vector<std::string> ends = absl::StrSplit(text, '-');
  int lo = 0, hi = 0;
  if (ends.size() != 2 || !absl::SimpleAtoi(ends[0], &lo) || !absl::SimpleAtoi(ends[1], &hi)) {
    return absl::InvalidArgumentError(absl::StrCat("jobs.uid_range: '", text.substr(0, 100),
                                                   "' is not FIRST-LAST, e.g. 61184-65519"));
  }
  if (lo < 1000 || hi < lo || hi > 2147483646) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jobs.uid_range: ", lo, "-", hi, " must lie within 1000-2147483646, first <= last"));
  }
  policy.uid_min = lo;
  policy.uid_max = hi;
  return absl::OkStatus();
}

absl::StatusOr<JobUser> PickJobUser(const JobUserPolicy& policy, const std::string& team,
                                    const std::set<int>& in_use, int* cursor) {
  if (!policy.switch_users) return JobUser{};
  if (auto named = policy.team_users.find(team); named != policy.team_users.end()) {
    passwd entry{};
    passwd* found = nullptr;
    char buffer[4096];
    if (getpwnam_r(named->second.c_str(), &entry, buffer, sizeof buffer, &found) != 0 ||
        found == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "jobs.team_users.", team, ": there is no account '", named->second, "' on this host"));
    }
    if (found->pw_uid == 0) {
      return absl::FailedPreconditionError(absl::StrCat("jobs.team_users.", team, ": '",
                                                        named->second,
                                                        "' is root; name an unprivileged account"));
    }
    return JobUser{static_cast<int>(found->pw_uid), static_cast<int>(found->pw_gid),
                   absl::StrCat("user ", named->second, " (uid ", found->pw_uid, ")")};
  }
  int span = policy.uid_max - policy.uid_min + 1;
  if (*cursor < policy.uid_min || *cursor > policy.uid_max) *cursor = policy.uid_min;
  for (int tried = 0; tried < span; ++tried) {
    int uid = *cursor;
    *cursor = uid == policy.uid_max ? policy.uid_min : uid + 1;
    if (in_use.count(uid)) continue;
    passwd entry{};
    passwd* found = nullptr;
    char buffer[4096];
    if (getpwuid_r(static_cast<uid_t>(uid), &entry, buffer, sizeof buffer, &found) == 0 &&
        found != nullptr) {
      continue;  // an account owns it: its files would be the job's
    }
    return JobUser{uid, uid, absl::StrCat("uid ", uid)};
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("every UID of jobs.uid_range ", policy.uid_min, "-", policy.uid_max,
                   " is taken by a running job or an account; widen the range"));
}

}  // namespace plinth::exec
