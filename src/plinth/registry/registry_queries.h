// Reads shared by the registry store's operations, each inside a caller's
// Read or Write session. Internal to the registry module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/http/message.h"
#include "plinth/registry/registry_types.h"

namespace plinth::registry::internal {

// Columns of registered_models `m`, in the order ReadModelRow expects.
inline constexpr const char* kModelColumns =
    "m.model_id, m.name, m.team, m.description, m.creation_time, m.last_updated_time, "
    "m.next_version";
// Columns of model_versions `v` (joined with `m`), in the order QueryVersions expects.
inline constexpr const char* kVersionColumns =
    "v.model_id, v.version, v.creation_time, v.last_updated_time, v.current_stage, "
    "v.description, v.source, v.storage_location, v.run_id, v.run_link, v.status, "
    "v.status_message, m.name";

struct ModelRow {
  int64_t model_id = 0;
  int64_t next_version = 1;
  RegisteredModel model;  // tags, aliases and latest_versions empty until FillModels
};

struct VersionRow {
  int64_t model_id = 0;
  ModelVersion version;  // tags and aliases empty until FillVersionDetails
  int64_t extra = 0;     // a 14th selected column, if any
};

ModelRow ReadModelRow(const db::Row& row);

// The model named `name` (RESOURCE_DOES_NOT_EXIST if none), if `principal`
// may access it (PERMISSION_DENIED otherwise).
absl::StatusOr<ModelRow> FindModel(db::Session& s, const http::Principal& principal,
                                   const std::string& name);

// Runs `sql` (selecting kVersionColumns) and reads the versions.
absl::StatusOr<std::vector<VersionRow>> QueryVersions(db::Session& s, const std::string& sql,
                                                      const std::vector<db::Value>& params);

// Version `version` of `model` with its tags and aliases; RESOURCE_DOES_NOT_EXIST if none.
absl::StatusOr<ModelVersion> FindVersion(db::Session& s, const ModelRow& model, int64_t version);

// Loads tags and alias names of each version.
absl::Status FillVersionDetails(db::Session& s, std::vector<VersionRow>& rows);

// Loads tags, aliases and latest_versions of each model.
absl::Status FillModels(db::Session& s, std::vector<ModelRow>& rows);

// The latest version of `model_id` in each stage, ordered as MLflow lists
// them (by the stage's first version), with tags and aliases.
absl::StatusOr<std::vector<ModelVersion>> LatestVersions(db::Session& s, int64_t model_id);

// MLflow checks only that a name is present when it looks a model up; the
// character rules apply when a name is created.
absl::Status RequireName(const std::string& name);

absl::Status ValidateTags(const std::vector<Tag>& tags);

// The page size for `requested` (`fallback` when unset): 1..limit.
absl::StatusOr<int64_t> PageSize(const std::optional<int64_t>& requested, int64_t fallback,
                                 int64_t limit);

// RESOURCE_DOES_NOT_EXIST unless `model` has version `version`.
absl::Status RequireVersion(db::Session& s, const ModelRow& model, int64_t version);

// `row` with its tags, aliases and latest versions.
absl::StatusOr<RegisteredModel> Assemble(db::Session& s, ModelRow row);

// Insert-or-replace of one tag.
absl::Status PutModelTag(db::Session& s, int64_t model_id, const Tag& tag);
absl::Status PutVersionTag(db::Session& s, int64_t model_id, int64_t version, const Tag& tag);

}  // namespace plinth::registry::internal
