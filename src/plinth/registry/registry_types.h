// Plain values of the model registry (MLflow's RegisteredModel and
// ModelVersion entities).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plinth::registry {

struct Tag {
  std::string key;
  std::string value;
};

// MLflow's stages, in canonical spelling.
inline constexpr const char* kStageNone = "None";
inline constexpr const char* kStageStaging = "Staging";
inline constexpr const char* kStageProduction = "Production";
inline constexpr const char* kStageArchived = "Archived";

struct ModelVersion {
  std::string name;  // the registered model's current name
  int64_t version = 0;
  int64_t creation_timestamp = 0;  // ms since the epoch
  int64_t last_updated_timestamp = 0;
  std::string current_stage;  // canonical stage
  std::string description;
  std::string source;            // as given by the client
  std::string storage_location;  // where the files are: `source` with runs:/ and models:/ resolved
  std::string run_id;
  std::string run_link;
  std::string status = "READY";
  std::string status_message;
  std::vector<Tag> tags;
  std::vector<std::string> aliases;  // alias names pointing at this version
};

struct Alias {
  std::string alias;
  int64_t version = 0;
};

struct RegisteredModel {
  std::string name;
  std::string team;  // owning team
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string description;
  // The latest version in each stage that has one (MLflow's latest_versions).
  std::vector<ModelVersion> latest_versions;
  std::vector<Tag> tags;
  std::vector<Alias> aliases;
};

// A page of search results.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty when there is no next page
};

// The fields of a search request, as MLflow names them.
struct SearchRequest {
  std::string filter;
  std::optional<int64_t> max_results;  // the kind's default when unset
  std::vector<std::string> order_by;
  std::string page_token;
};

struct NewModelVersion {
  std::string name;
  std::string source;
  std::string run_id;
  std::vector<Tag> tags;
  std::string run_link;
  std::string description;
};

}  // namespace plinth::registry
