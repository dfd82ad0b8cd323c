// Experiment artifact locations as MLflow's server stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace plinth::tracking {

// MLflow's resolve_uri_if_local: a plain local path (relative to `cwd`, or
// absolute) becomes "file://" + its absolute path, percent-encoded as
// pathlib's as_uri() does; a URI with a scheme (s3://, file://,
// mlflow-artifacts:/...) is kept as given.
std::string ResolveArtifactLocation(const std::string& location, const std::string& cwd);

}  // namespace plinth::tracking
