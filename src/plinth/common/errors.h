// Error vocabulary shared by every module.
//
// Modules return absl::Status with the canonical code that fits; the HTTP
// layer maps codes to status lines. Where a wire protocol needs a finer name
// than the canonical code carries (MLflow's BAD_REQUEST vs
// INVALID_PARAMETER_VALUE), the name rides along as a payload.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace plinth {

// Attaches a protocol-level error name (e.g. "BAD_REQUEST") to `status`.
absl::Status WithErrorName(absl::Status status, absl::string_view name);

// The name attached by WithErrorName, if any.
std::optional<std::string> ErrorNameOf(const absl::Status& status);

// Overrides the HTTP status HttpStatusFor derives (405, 413, ...).
absl::Status WithHttpStatus(absl::Status status, int http_status);

// The HTTP status for `status`: the override if set, else from the canonical code.
int HttpStatusFor(const absl::Status& status);

// MLflow's error_code for a status: the attached name, else derived from the code.
std::string MlflowErrorCode(const absl::Status& status);

// Shorthands with MLflow names attached.
absl::Status BadRequest(absl::string_view message);        // 400 BAD_REQUEST
absl::Status InvalidParameter(absl::string_view message);  // 400 INVALID_PARAMETER_VALUE
absl::Status AlreadyExists(absl::string_view message);     // 400 RESOURCE_ALREADY_EXISTS
absl::Status NotFound(absl::string_view message);          // 404 RESOURCE_DOES_NOT_EXIST
absl::Status InvalidState(absl::string_view message);      // 400 INVALID_STATE

}  // namespace plinth
