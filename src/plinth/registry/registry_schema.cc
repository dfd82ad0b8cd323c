#include "plinth/registry/registry_schema.h"

#include <string>

#include "absl/strings/str_replace.h"

namespace plinth::registry {
namespace {

// Written once; the PostgreSQL variant only swaps the auto-increment key.
constexpr const char* kV1 = R"sql(
CREATE TABLE registered_models (
  model_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  team TEXT NOT NULL,
  description TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_updated_time BIGINT NOT NULL,
  next_version BIGINT NOT NULL);
CREATE INDEX registered_models_by_team ON registered_models (team, name);
CREATE TABLE registered_model_tags (
  model_id BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (model_id, key));
CREATE TABLE model_versions (
  model_id BIGINT NOT NULL,
  version BIGINT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_updated_time BIGINT NOT NULL,
  current_stage TEXT NOT NULL,
  description TEXT NOT NULL,
  source TEXT NOT NULL,
  storage_location TEXT NOT NULL,
  run_id TEXT NOT NULL,
  run_link TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  PRIMARY KEY (model_id, version));
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE TABLE model_version_tags (
  model_id BIGINT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (model_id, version, key));
CREATE TABLE registered_model_aliases (
  model_id BIGINT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL,
  PRIMARY KEY (model_id, alias))
)sql";

}  // namespace

const std::vector<db::Migration>& RegistryMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "registered models, versions, tags, aliases", kV1,
       absl::StrReplaceAll(kV1, {{"INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"}})},
  };
  return kMigrations;
}

}  // namespace plinth::registry
