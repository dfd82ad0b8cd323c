// The jobs module's narrow view of API tokens: on a server that requires
// tokens, each job's replicas get one of the job's team (role member) in
// MLFLOW_TRACKING_TOKEN and PLINTH_TOKEN, so an unmodified MLflow script
// can log to its run. The token is revoked when the job ends.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace plinth::jobs {

class JobCredentials {
 public:
  virtual ~JobCredentials() = default;
  // A new token secret for the job (replacing any earlier one of it), or
  // "" when the server needs no token.
  virtual absl::StatusOr<std::string> Issue(const std::string& team, const std::string& job_id) = 0;
  // Revokes the job's token, if it has one. Idempotent.
  virtual absl::Status Revoke(const std::string& job_id) = 0;
};

}  // namespace plinth::jobs
