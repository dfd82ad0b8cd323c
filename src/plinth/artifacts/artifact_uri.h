// Which experiment's artifact folder a URI points into, so that an
// experiment location or a model version source cannot reach into the
// folder of another team's experiment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace plinth::artifacts {

// "mlflow-artifacts:/7/..." (this server's proxied folders) gives 7; so does
// "<file_root_uri>/7/..." when the server's default artifact root is the
// file:// URI `file_root_uri` (without a trailing '/'). Anything else (another
// scheme, a non-numeric first segment, a remote "mlflow-artifacts://host/...")
// gives nullopt.
std::optional<int64_t> ExperimentFolderOf(const std::string& uri,
                                          const std::string& file_root_uri = "");

}  // namespace plinth::artifacts
