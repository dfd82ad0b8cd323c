// JSON parsing helpers shared by every API.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace plinth {

using Json = nlohmann::json;

// Parses `text` as JSON. Python clients (MLflow's among them) send the bare
// tokens NaN, Infinity and -Infinity for non-finite floats; those are
// accepted and become the strings "NaN", "Infinity" and "-Infinity", which
// the numeric getters understand. A syntax error is a BAD_REQUEST naming the
// byte offset.
absl::StatusOr<Json> ParseJsonLenient(absl::string_view text);

// Reads a JSON number, or a numeric string ("1.5", "NaN", "Infinity",
// "-Infinity"), as a double.
absl::StatusOr<double> JsonToDouble(const Json& value);
// Reads a JSON integer, or a string of decimal digits (protobuf's int64 JSON form).
absl::StatusOr<int64_t> JsonToInt64(const Json& value);

// Non-finite doubles as MLflow writes them in JSON ("NaN", "Infinity", "-Infinity").
Json DoubleToJson(double v);

}  // namespace plinth
