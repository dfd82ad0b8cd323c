// Adapters from typed handler functions to router handlers, one per API
// family's response framing. Domain code returns absl::StatusOr<Json>; the
// adapter renders success and errors in the family's shape.
#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/http/message.h"
#include "plinth/http/router.h"

namespace plinth::http {

using JsonHandler = std::function<absl::StatusOr<Json>(Request&)>;

// MLflow: 200 with the JSON body; errors as {"error_code", "message"}.
Handler MlflowHandler(JsonHandler fn);
Response MlflowError(const absl::Status& status);

// Native /api/v1: 200 with the JSON body; errors as
// {"error": {"code", "message", "details"}}.
Handler NativeHandler(JsonHandler fn);
Response NativeError(const absl::Status& status);

// Permission checks shared by every API (401/403 with a clear message).
absl::Status RequireWrite(const Principal& principal);
absl::Status RequireAdmin(const Principal& principal);
// NotFound-style denial is avoided on purpose: a team may learn that a
// resource exists, but not read or change it.
absl::Status RequireTeamAccess(const Principal& principal, const std::string& owner_team,
                               const std::string& what);

}  // namespace plinth::http
