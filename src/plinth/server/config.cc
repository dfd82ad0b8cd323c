#include "plinth/server/config.h"

#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/duration.h"
#include "plinth/server/yaml_read.h"
#include "yaml-cpp/yaml.h"

namespace plinth::server {
namespace {

// A duration ("30s", "2m", or a number of seconds) as whole seconds.
absl::Status ReadSeconds(const YAML::Node& v, const std::string& key, int& out) {
  std::string text;
  if (absl::Status s = ReadYaml(v, key, text); !s.ok()) return s;
  std::optional<double> seconds = ParseDurationText(text);
  if (!seconds || *seconds < 0 || *seconds > 86400) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": '", text, "' is not a duration; write e.g. 30s or 2m"));
  }
  out = static_cast<int>(*seconds);
  return absl::OkStatus();
}

}  // namespace

std::string DefaultHome() {
  if (const char* env = std::getenv("PLINTH_HOME"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return absl::StrCat(home && *home ? home : ".", "/.plinth");
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": invalid YAML: ", e.what()));
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping"));
  static const std::set<std::string> kSections = {"server", "database", "artifacts",
                                                  "auth",   "limits",   "log"};
  static const std::set<std::string> kJobSections = {"gpus", "jobs", "executors"};
  for (const auto& section : root) {
    std::string name = section.first.as<std::string>();
    if (kJobSections.count(name)) {
      absl::Status s = ReadJobsSection(name, section.second, config.jobs);
      if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
      continue;
    }
    if (!kSections.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", name,
          ": unknown section (use server, database, artifacts, auth, limits, log, gpus, jobs, "
          "executors)"));
    }
    if (!section.second.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", name, ": expected a mapping"));
    }
    for (const auto& entry : section.second) {
      std::string key = absl::StrCat(name, ".", entry.first.as<std::string>());
      const YAML::Node& v = entry.second;
      absl::Status s;
      int64_t bytes = 0;
      if (key == "server.host")
        s = ReadYaml(v, key, config.host);
      else if (key == "server.port")
        s = ReadYaml(v, key, config.port);
      else if (key == "server.home")
        s = ReadYaml(v, key, config.home);
      else if (key == "server.url")
        s = ReadYaml(v, key, config.url);
      else if (key == "server.insecure")
        s = ReadYaml(v, key, config.insecure);
      else if (key == "server.io_threads")
        s = ReadYaml(v, key, config.io_threads);
      else if (key == "server.worker_threads")
        s = ReadYaml(v, key, config.worker_threads);
      else if (key == "server.header_timeout")
        s = ReadSeconds(v, key, config.header_timeout_seconds);
      else if (key == "server.max_connections")
        s = ReadYaml(v, key, config.max_connections);
      else if (key == "database.url")
        s = ReadYaml(v, key, config.database);
      else if (key == "artifacts.default_root")
        s = ReadYaml(v, key, config.artifact_root);
      else if (key == "artifacts.destination")
        s = ReadYaml(v, key, config.artifacts_destination);
      else if (key == "artifacts.serve")
        s = ReadYaml(v, key, config.serve_artifacts);
      else if (key == "auth.require_tokens")
        s = ReadYaml(v, key, config.require_tokens);
      else if (key == "log.level")
        s = ReadYaml(v, key, config.log_level);
      else if (key == "limits.max_body_bytes" || key == "limits.max_artifact_bytes") {
        s = ReadYaml(v, key, bytes);
        if (s.ok() && bytes <= 0) s = absl::InvalidArgumentError(key + ": must be positive");
        if (s.ok()) {
          (key == "limits.max_body_bytes" ? config.max_body_bytes : config.max_artifact_bytes) =
              static_cast<size_t>(bytes);
        }
      } else {
        s = absl::InvalidArgumentError(absl::StrCat(key, ": unknown key"));
      }
      if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
  }
  return config;
}

absl::Status ValidateConfig(const Config& c) {
  if (c.port < 0 || c.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", c.port, " is outside 0-65535"));
  }
  if (!c.url.empty() && !absl::StartsWith(c.url, "http://") &&
      !absl::StartsWith(c.url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("server.url '", c.url, "': use http://host:port or https://host:port"));
  }
  if (c.header_timeout_seconds < 1) {
    return absl::InvalidArgumentError("server.header_timeout must be at least 1s");
  }
  if (c.max_connections < 0) {
    return absl::InvalidArgumentError("server.max_connections must be 0 (no cap) or positive");
  }
  if (c.io_threads < 1 || c.worker_threads < 1) {
    return absl::InvalidArgumentError("server.io_threads and server.worker_threads must be >= 1");
  }
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
  if (!kLevels.count(c.log_level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("log.level '", c.log_level, "': use debug, info, warn or error"));
  }
  return absl::OkStatus();
}

}  // namespace plinth::server
