// Server configuration: defaults, then the YAML file (--config), then
// command-line flags. The home folder falls back to $PLINTH_HOME (then
// ~/.plinth) only when neither the file nor --home sets it. Every key is
// documented in docs/configuration.md.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "plinth/server/jobs_config.h"

namespace plinth::server {

struct Config {
  std::string home;                // data folder; default $PLINTH_HOME or ~/.plinth
  std::string host = "127.0.0.1";  // server.host
  int port = 8470;                 // server.port (0 = any free port)
  // server.url: how jobs (PLINTH_URL, MLFLOW_TRACKING_URI) and the other
  // servers on one database reach this one; default http://<host>:<port>
  // (loopback when the host is 0.0.0.0 or ::).
  std::string url;
  std::string database = "sqlite";  // database.url: "sqlite", "sqlite:///file", "postgresql://..."
  // artifacts.default_root: where new experiments' artifacts go, as a URI
  // prefix ("<root>/<experiment_id>"); MLflow's --default-artifact-root.
  std::string artifact_root = "mlflow-artifacts:";
  // artifacts.destination: the folder the mlflow-artifacts proxy stores
  // files in (default <home>/artifacts); MLflow's --artifacts-destination.
  std::string artifacts_destination;
  bool serve_artifacts = true;      // artifacts.serve: the mlflow-artifacts proxy routes
  bool insecure = false;            // server.insecure: allow non-loopback without tokens
  bool require_tokens = false;      // auth.require_tokens: require a token even with none created
  int io_threads = 2;               // server.io_threads
  int worker_threads = 8;           // server.worker_threads
  int header_timeout_seconds = 30;  // server.header_timeout: to send a request's headers
  int max_connections = 4096;       // server.max_connections: open connections (0 = no cap)
  size_t max_body_bytes = 1 << 20;  // limits.max_body_bytes (MLflow's 1 MB)
  size_t max_artifact_bytes = 512u << 20;  // limits.max_artifact_bytes (one upload)
  std::string log_level = "info";          // log.level: debug, info, warn, error
  JobsSettings jobs;                       // sections gpus, jobs, executors
};

// The default home: $PLINTH_HOME, else $HOME/.plinth.
std::string DefaultHome();

// Reads a YAML config file over `base`. Unknown keys and wrong types are
// errors that name the key ("server.prot: unknown key").
absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config base);

// Checks values that flags and files can get wrong (port range, thread counts).
absl::Status ValidateConfig(const Config& config);

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

}  // namespace plinth::server
