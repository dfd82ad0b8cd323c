// Typed access to a request's fields, the same way for GET (query string) and
// POST/PATCH/DELETE (JSON body), as the MLflow and native APIs need. Type
// errors name the field and what to send instead (INVALID_PARAMETER_VALUE).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/http/message.h"

namespace plinth::http {

class Args {
 public:
  // GET/HEAD read the query string (repeated keys become lists); other
  // methods read the JSON body, which must be an object (empty body = {}).
  static absl::StatusOr<Args> FromRequest(const Request& request);
  explicit Args(Json object) : json_(std::move(object)) {}

  bool Has(const std::string& name) const;
  absl::StatusOr<std::optional<std::string>> String(const std::string& name) const;
  absl::StatusOr<std::string> RequiredString(const std::string& name) const;
  absl::StatusOr<std::optional<int64_t>> Int64(const std::string& name) const;
  absl::StatusOr<std::optional<double>> Double(const std::string& name) const;
  absl::StatusOr<std::optional<bool>> Bool(const std::string& name) const;
  // A list of strings; a single string counts as a one-element list.
  absl::StatusOr<std::vector<std::string>> StringList(const std::string& name) const;
  // The first of `names` that is present (for aliases such as run_id/run_uuid).
  absl::StatusOr<std::string> RequiredStringOneOf(const std::vector<std::string>& names) const;

  const Json& json() const { return json_; }

 private:
  const Json* Find(const std::string& name) const;
  Json json_;
};

// Status for a missing required field, in MLflow's wording.
absl::Status MissingParameter(const std::string& name);
// Status for a field of the wrong type or form, in MLflow's exact wording
// ("Invalid value 5 for parameter 'tags' supplied. Hint: Value was of type
// 'int'. ..."), which clients match on. `want` (what the field must be)
// documents the call site; MLflow's sentence has no room for it.
absl::Status InvalidValue(const std::string& name, const Json& value, const std::string& want);

}  // namespace plinth::http
