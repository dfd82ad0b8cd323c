#include "plinth/registry/registry_validation.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"
#include "plinth/http/args.h"
#include "plinth/http/message.h"

namespace plinth::registry {
namespace {

absl::Status TooLong(const std::string& field, size_t limit) {
  return InvalidParameter(
      absl::StrCat("'", field, "' exceeds the maximum length of ", limit, " characters"));
}

// Python's \w on UTF-8 text: ASCII word characters, and any non-ASCII byte
// (letters of other scripts), which MLflow's Unicode regexes accept too.
bool IsWordByte(unsigned char c) { return absl::ascii_isalnum(c) || c == '_' || c >= 0x80; }

bool PathNotUnique(const std::string& name) {
  std::string norm = NormalizePosixPath(name);
  return norm != name || norm == "." || absl::StartsWith(norm, "..") || absl::StartsWith(norm, "/");
}

std::string FullyPercentDecoded(std::string s) {
  for (int i = 0; i < 16; ++i) {  // bounded: each round shortens the string
    std::string decoded = http::PercentDecode(s, /*plus_is_space=*/true);
    if (decoded == s) break;
    s = std::move(decoded);
  }
  return s;
}

std::string CollapseSlashes(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  return out;
}

}  // namespace

absl::Status ValidateModelName(const std::string& name, const std::string& field) {
  if (name.empty()) return http::MissingParameter(field);
  if (name.size() > kMaxModelNameLength) return TooLong(field, kMaxModelNameLength);
  for (unsigned char c : name) {
    if (c == '/' || c < 0x20 || c == 0x7f) {
      return InvalidParameter(
          absl::StrCat("Invalid value ", Json(name).dump(), " for parameter '", field,
                       "' supplied: model names may not contain '/' or control characters."));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTagKey(const std::string& key) {
  for (unsigned char c : key) {
    if (!IsWordByte(c) && c != '/' && c != '.' && c != '-' && c != ' ' && c != ':') {
      return http::InvalidValue("key", Json(key),
                                "Names may only contain alphanumerics, underscores (_), dashes "
                                "(-), periods (.), spaces ( ), colon(:) and slashes (/).");
    }
  }
  if (PathNotUnique(key)) {
    return http::InvalidValue(
        "key", Json(key),
        absl::StrCat("Names may be treated as files in certain cases, and must not resolve to "
                     "other names when treated as such. This name would resolve to '",
                     NormalizePosixPath(key), "'"));
  }
  if (key.size() > kMaxTagKeyLength) return TooLong("key", kMaxTagKeyLength);
  return absl::OkStatus();
}

absl::Status ValidateTag(const std::string& key, const std::string& value) {
  if (absl::Status s = ValidateTagKey(key); !s.ok()) return s;
  if (value.size() > kMaxTagValueLength) return TooLong("value", kMaxTagValueLength);
  return absl::OkStatus();
}

absl::Status ValidateAlias(const std::string& alias) {
  if (alias.empty()) return InvalidParameter("Registered model alias name cannot be empty.");
  for (unsigned char c : alias) {
    if (!IsWordByte(c) && c != '-') {
      return InvalidParameter(absl::StrCat("Invalid alias name: '", alias,
                                           "'. Names may only contain alphanumerics, "
                                           "underscores (_), and dashes (-)."));
    }
  }
  if (alias.size() > kMaxAliasLength) {
    return TooLong("Registered model alias name", kMaxAliasLength);
  }
  if (absl::AsciiStrToLower(alias) == "latest") {
    return InvalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (alias.size() > 1 && (alias[0] == 'v' || alias[0] == 'V') &&
      std::all_of(alias.begin() + 1, alias.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return InvalidParameter(absl::StrCat("Version alias name '", alias, "' is reserved."));
  }
  return absl::OkStatus();
}

absl::Status ValidateText(const std::string& value, const std::string& field) {
  if (value.size() > kMaxTextLength) return TooLong(field, kMaxTextLength);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseVersion(const std::string& version) {
  absl::string_view digits = absl::StripAsciiWhitespace(version);
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int64_t out = 0;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return absl::ascii_isdigit(c); }) ||
      !absl::SimpleAtoi(digits, &out)) {
    return InvalidParameter(
        absl::StrCat("Parameter 'version' must be an integer, got '", version, "'."));
  }
  return negative ? -out : out;
}

absl::StatusOr<std::string> CanonicalStage(const std::string& stage) {
  static const char* const kStages[] = {"None", "Staging", "Production", "Archived"};
  std::string lower = absl::AsciiStrToLower(stage);
  for (const char* s : kStages) {
    if (lower == absl::AsciiStrToLower(s)) return std::string(s);
  }
  return InvalidParameter(absl::StrCat("Invalid Model Version stage: ", stage,
                                       ". Value must be one of None, Staging, Production, "
                                       "Archived."));
}

std::string NormalizePosixPath(const std::string& path) {
  if (path.empty()) return ".";
  int initial_slashes = absl::StartsWith(path, "/") ? 1 : 0;
  if (absl::StartsWith(path, "//") && !absl::StartsWith(path, "///")) initial_slashes = 2;
  std::vector<std::string> comps;
  for (absl::string_view comp : absl::StrSplit(path, '/')) {
    if (comp.empty() || comp == ".") continue;
    if (comp != ".." || (initial_slashes == 0 && comps.empty()) ||
        (!comps.empty() && comps.back() == "..")) {
      comps.emplace_back(comp);
    } else if (!comps.empty()) {
      comps.pop_back();
    }
  }
  std::string out = std::string(initial_slashes, '/') + absl::StrJoin(comps, "/");
  return out.empty() ? "." : out;
}

UriParts ParseUri(const std::string& uri) {
  UriParts parts;
  absl::string_view rest = uri;
  size_t colon = rest.find(':');
  if (colon != absl::string_view::npos && colon > 0 && absl::ascii_isalpha(rest[0])) {
    bool valid = true;
    for (char c : rest.substr(0, colon)) {
      if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') valid = false;
    }
    if (valid) {
      parts.scheme = absl::AsciiStrToLower(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
    }
  }
  if (absl::StartsWith(rest, "//")) {
    rest.remove_prefix(2);
    size_t end = rest.find_first_of("/?#");
    parts.netloc = std::string(rest.substr(0, end));
    rest = end == absl::string_view::npos ? absl::string_view() : rest.substr(end);
  }
  parts.path = std::string(rest.substr(0, rest.find_first_of("?#")));
  return parts;
}

bool IsLocalUri(const std::string& uri) {
  UriParts parts = ParseUri(uri);
  return parts.scheme.empty() || parts.scheme == "file";
}

absl::Status ValidateLocalSource(const std::string& source, const std::string& run_artifact_uri) {
  auto local_path = [](const std::string& uri) {
    UriParts parts = ParseUri(uri);
    return parts.scheme == "file" ? http::PercentDecode(parts.path, false) : uri;
  };
  if (!run_artifact_uri.empty() && IsLocalUri(run_artifact_uri)) {
    std::string path = local_path(source);
    std::string root = local_path(run_artifact_uri);
    if (absl::StartsWith(path, "/") && absl::StartsWith(root, "/")) {
      path = NormalizePosixPath(path);
      root = NormalizePosixPath(root);
      if (path == root || absl::StartsWith(path, root == "/" ? root : root + "/")) {
        return absl::OkStatus();
      }
    }
  }
  return InvalidParameter(absl::StrCat(
      "Invalid model version source: '", source,
      "'. To use a local path as a model version source, the run_id request parameter has to be "
      "specified and the local path has to be contained within the artifact directory of the "
      "run specified by the run_id."));
}

absl::Status ValidateNonLocalSource(const std::string& source) {
  std::string decoded = FullyPercentDecoded(source);
  UriParts parts = ParseUri(decoded);
  std::string path = parts.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  path = CollapseSlashes(path);
  bool bad = absl::StrContains(path, absl::string_view("\0", 1));
  for (absl::string_view part : absl::StrSplit(decoded, '/')) bad = bad || part == "..";
  size_t query = decoded.find('?');
  if (query != std::string::npos && absl::StrContains(decoded.substr(query), "..")) bad = true;
  // What MLflow's Path.resolve() check amounts to: an absolute path with no
  // "." segments (an empty path, "s3://bucket", is accepted here).
  if (!path.empty() && (path[0] != '/' || NormalizePosixPath(path) != path)) bad = true;
  if (bad) {
    return InvalidParameter(absl::StrCat(
        "Invalid model version source: '", source,
        "'. If supplying a source as an http, https, local file path, ftp, objectstore, or "
        "mlflow-artifacts uri, an absolute path must be provided without relative path "
        "references present. Please provide an absolute path."));
  }
  return absl::OkStatus();
}

}  // namespace plinth::registry
