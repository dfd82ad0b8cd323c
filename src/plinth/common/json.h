// JSON parsing helpers shared by every API.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace plinth {

using Json = nlohmann::json;

// The deepest nesting of arrays and objects a client may send. Parsing is
// iterative, but printing, comparing and walking a value recurse, so a
// 50,000-deep body would overflow a worker's stack; no API needs more than a
// few levels. Documented in docs/security.md.
inline constexpr int kMaxJsonDepth = 64;

// BAD_REQUEST when `text` nests arrays/objects deeper than `max_depth`,
// found by a scan of the bytes (outside strings) before anything recurses.
absl::Status CheckJsonDepth(absl::string_view text, int max_depth = kMaxJsonDepth);

// Parses `text` as JSON. Python clients (MLflow's among them) send the bare
// tokens NaN, Infinity and -Infinity for non-finite floats; those are
// accepted and become the strings "NaN", "Infinity" and "-Infinity", which
// the numeric getters understand. A syntax error is a BAD_REQUEST naming the
// byte offset; so is nesting deeper than kMaxJsonDepth.
absl::StatusOr<Json> ParseJsonLenient(absl::string_view text);

// As ParseJsonLenient, and a key given twice in one object is a BAD_REQUEST
// naming it (rather than the last one silently winning): for specs, where a
// repeated key is a mistake worth reporting.
absl::StatusOr<Json> ParseJsonSpec(absl::string_view text);

// Reads a JSON number, or a numeric string ("1.5", "NaN", "Infinity",
// "-Infinity"), as a double.
absl::StatusOr<double> JsonToDouble(const Json& value);
// Reads a JSON integer, or a string of decimal digits (protobuf's int64 JSON
// form). Values outside int64 are an error, never wrapped.
absl::StatusOr<int64_t> JsonToInt64(const Json& value);

// `value` as an error message shows it: compact JSON, invalid UTF-8
// replaced, cut at kMaxEchoedChars (see common/text.h).
std::string ShowJson(const Json& value);

// Non-finite doubles as MLflow writes them in JSON ("NaN", "Infinity", "-Infinity").
Json DoubleToJson(double v);

}  // namespace plinth
