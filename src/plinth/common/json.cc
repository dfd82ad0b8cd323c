#include "plinth/common/json.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plinth/common/errors.h"
#include "plinth/common/text.h"

namespace plinth {
namespace {

// Rewrites bare NaN / Infinity / -Infinity tokens (outside strings) as strings.
// `quoted_ends` receives, for each rewritten token, its end offset in the
// output, so an error offset in the output can be mapped back to the input.
std::string QuoteNonFiniteTokens(absl::string_view text, std::vector<size_t>& quoted_ends) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    for (absl::string_view token : {"-Infinity", "Infinity", "NaN"}) {
      if (text.substr(i, token.size()) == token) {
        absl::StrAppend(&out, "\"", token, "\"");
        quoted_ends.push_back(out.size());
        i += token.size() - 1;
        c = 0;
        break;
      }
    }
    if (c) out += c;
  }
  return out;
}

}  // namespace

absl::Status CheckJsonDepth(absl::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return BadRequest(absl::StrCat("JSON in request body nests deeper than ", max_depth,
                                       " levels (at byte ", i, "): flatten the value"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseJsonLenient(absl::string_view text) {
  if (absl::Status depth = CheckJsonDepth(text); !depth.ok()) return depth;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) return parsed;
  std::vector<size_t> quoted_ends;
  std::string rewritten = QuoteNonFiniteTokens(text, quoted_ends);
  try {
    return Json::parse(rewritten);
  } catch (const Json::parse_error& e) {
    // Report the offset in the client's text: each quoted token added 2 bytes.
    size_t shift = 0;
    for (size_t end : quoted_ends) shift += end <= e.byte ? 2 : 0;
    return BadRequest(absl::StrCat("malformed JSON in request body at byte ", e.byte - shift,
                                   ": fix the JSON syntax"));
  } catch (const Json::exception& e) {
    // e.g. out_of_range for a number beyond a double (1e999).
    return BadRequest(absl::StrCat("invalid JSON in request body: ", e.what()));
  }
}

absl::StatusOr<Json> ParseJsonSpec(absl::string_view text) {
  if (absl::Status depth = CheckJsonDepth(text); !depth.ok()) return depth;
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  Json::parser_callback_t check = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty() && !duplicate &&
               !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json parsed = Json::parse(text, check, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return ParseJsonLenient(text);  // its error message
  if (duplicate) {
    return BadRequest(absl::StrCat("duplicate key '", Abbreviate(*duplicate),
                                   "' in the JSON: give each key once"));
  }
  return parsed;
}

absl::StatusOr<double> JsonToDouble(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity" || s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
    double d;
    if (absl::SimpleAtod(s, &d)) return d;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected a number, got ", ShowJson(value)));
}

absl::StatusOr<int64_t> JsonToInt64(const Json& value) {
  // nlohmann keeps integers above int64's range as unsigned; get<int64_t>
  // would wrap 2^63 to -2^63.
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an integer, got ", ShowJson(value), " (beyond 64-bit range)"));
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::floor(d) == d && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (value.is_string()) {
    int64_t v;
    if (absl::SimpleAtoi(value.get_ref<const std::string&>(), &v)) return v;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected an integer, got ", ShowJson(value)));
}

std::string ShowJson(const Json& value) {
  return Abbreviate(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Json DoubleToJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

}  // namespace plinth
