#include "plinth/common/json.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plinth/common/errors.h"

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

absl::StatusOr<Json> ParseJsonLenient(absl::string_view text) {
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
  return absl::InvalidArgumentError(absl::StrCat("expected a number, got ", value.dump()));
}

absl::StatusOr<int64_t> JsonToInt64(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::floor(d) == d && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (value.is_string()) {
    int64_t v;
    if (absl::SimpleAtoi(value.get_ref<const std::string&>(), &v)) return v;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected an integer, got ", value.dump()));
}

Json DoubleToJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

}  // namespace plinth
