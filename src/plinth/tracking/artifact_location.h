// Experiment artifact locations as MLflow's server stores them, and which
// experiment's Plinth artifact folder a location points into.
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

// The experiment whose proxied artifact folder `uri` lies in:
// "mlflow-artifacts:/7/..." gives 7; anything else (another scheme, a
// non-numeric first segment, a remote "mlflow-artifacts://host/...") gives
// nullopt.
std::optional<int64_t> ProxiedExperimentOf(const std::string& uri);

}  // namespace plinth::tracking
