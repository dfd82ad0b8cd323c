// The registry module's tables and their numbered migrations.
//
//   registered_models(model_id -- internal integer id, so a rename touches one row
//                     name UNIQUE, team, description, creation_time,
//                     last_updated_time, next_version -- never reused after a delete)
//   registered_model_tags(model_id, key, value)            PK (model_id, key)
//   model_versions(model_id, version, creation_time, last_updated_time,
//                  current_stage, description, source, storage_location,
//                  run_id, run_link, status, status_message)
//                                                          PK (model_id, version)
//   model_version_tags(model_id, version, key, value)      PK (model_id, version, key)
//   registered_model_aliases(model_id, alias, version)     PK (model_id, alias)
//
// Times are milliseconds since the epoch. Child rows are deleted explicitly,
// in the same transaction as their parent (no reliance on FK cascades, which
// SQLite leaves off by default).
#pragma once

#include <vector>

#include "plinth/db/migrations.h"

namespace plinth::registry {

const std::vector<db::Migration>& RegistryMigrations();

}  // namespace plinth::registry
