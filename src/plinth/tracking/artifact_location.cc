#include "plinth/tracking/artifact_location.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace plinth::tracking {
namespace {

// "scheme:" per RFC 3986; one letter is a Windows drive, not a scheme.
bool HasScheme(const std::string& s) {
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon < 2 || !absl::ascii_isalpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// urllib.parse.quote(path) with '/' kept, as pathlib's as_uri() encodes.
std::string QuotePath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (absl::ascii_isalnum(c) || absl::StrContains("/_.-~", c)) {
      out += c;
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string ResolveArtifactLocation(const std::string& location, const std::string& cwd) {
  if (location.empty() || HasScheme(location)) return location;
  std::filesystem::path path(location);
  if (path.is_relative()) path = std::filesystem::path(cwd) / path;
  return "file://" + QuotePath(path.lexically_normal().string());
}

}  // namespace plinth::tracking
