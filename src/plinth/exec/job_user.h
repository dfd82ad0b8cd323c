// Which Unix user a local job runs as. A server running as root never runs
// a job as root (unless jobs.allow_root): each job gets a user of its own,
// either the one configured for its team (jobs.team_users) or a numeric
// UID from a range no account uses (jobs.uid_range; the range systemd's
// DynamicUser= draws from by default), so that jobs cannot read each
// other's processes (/proc/<pid>/environ), folders or the server's files.
// A server that is not root cannot switch users: jobs share its user, and
// it says so at start.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace plinth::exec {

struct JobUserPolicy {
  bool switch_users = false;  // set when the server is root and allow_root is off
  int uid_min = 61184;
  int uid_max = 65519;
  std::map<std::string, std::string> team_users;  // team -> account name
};

struct JobUser {
  int uid = -1;  // -1: the server's own user
  int gid = -1;
  std::string describe;  // "uid 61190" or "user svc-vision (uid 1001)"
};

// "61184-65519" -> the two ends. InvalidArgument names what to change.
absl::Status ParseUidRange(const std::string& text, JobUserPolicy& policy);

// The user for a job of `team`; `in_use` holds the UIDs of jobs still
// running (a dynamic UID is never shared by two live jobs). Dynamic UIDs
// skip any UID that has an account, rotating from `*cursor`.
absl::StatusOr<JobUser> PickJobUser(const JobUserPolicy& policy, const std::string& team,
                                    const std::set<int>& in_use, int* cursor);

}  // namespace plinth::exec
