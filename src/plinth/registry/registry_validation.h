// Input rules of the model registry, with MLflow's limits and wording where
// MLflow has them. Every rule is checked before any write, so a rejected
// request changes nothing. Errors are INVALID_PARAMETER_VALUE (400).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plinth::registry {

inline constexpr size_t kMaxModelNameLength = 256;  // MLflow's column width
inline constexpr size_t kMaxTagKeyLength = 250;
inline constexpr size_t kMaxTagValueLength = 5000;
inline constexpr size_t kMaxAliasLength = 255;
inline constexpr size_t kMaxTextLength = 65535;  // description, source, run_link
inline constexpr size_t kMaxRunIdLength = 256;

// Non-empty, at most 256 characters, no '/' (it would make models:/ URIs
// ambiguous) and no control characters. `field` names the request field.
absl::Status ValidateModelName(const std::string& name, const std::string& field = "name");

// MLflow's tag key rule: alphanumerics, '_', '-', '.', ' ', ':', '/', and a
// key that is its own normalized path (no "..", "//", "./", leading '/').
absl::Status ValidateTagKey(const std::string& key);
absl::Status ValidateTag(const std::string& key, const std::string& value);

// `^[\w\-]*$`, non-empty, at most 255 characters, not "latest" or v<digits>
// (any case), which address versions in models:/ URIs.
absl::Status ValidateAlias(const std::string& alias);

// A text field of at most kMaxTextLength characters.
absl::Status ValidateText(const std::string& value, const std::string& field);

// The decimal version number in `version` ("3", " 3 ", "+3").
absl::StatusOr<int64_t> ParseVersion(const std::string& version);

// "none" -> "None", "STAGING" -> "Staging", ...; anything else is an error.
absl::StatusOr<std::string> CanonicalStage(const std::string& stage);

// Python's posixpath.normpath.
std::string NormalizePosixPath(const std::string& path);

// The parts of a URI as Python's urllib.parse.urlparse splits them.
struct UriParts {
  std::string scheme;  // lower case; empty for a plain path
  std::string netloc;
  std::string path;
};
UriParts ParseUri(const std::string& uri);

// MLflow's is_local_uri: no scheme, or file: (on this host).
bool IsLocalUri(const std::string& uri);

// A local source must lie inside the artifact directory of its run (MLflow's
// rule); `run_artifact_uri` is empty when no run was given or found.
absl::Status ValidateLocalSource(const std::string& source, const std::string& run_artifact_uri);

// A non-local source must not reach elsewhere through relative references,
// percent-encoded or not (MLflow's fix for CVE-2023-6909 and friends).
absl::Status ValidateNonLocalSource(const std::string& source);

}  // namespace plinth::registry
