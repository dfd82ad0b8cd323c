// What an import covers: the source's experiments selected by
// --experiments, their runs, inputs and the models registered from them.
// Internal to the importer.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "plinth/importer/importer.h"
#include "plinth/importer/mlflow_source.h"

namespace plinth::importer {

struct Scope {
  std::vector<SourceExperiment> experiments;
  std::vector<SourceRun> runs;
  absl::flat_hash_map<std::string, size_t> run_index;  // run_uuid -> runs[i]
  std::vector<SourceInput> inputs;
  std::vector<SourceModel> models;
};

// Loads the small tables and applies options.experiments (an unknown name is
// an error that lists the source's names).
absl::StatusOr<Scope> LoadScope(MlflowSource& source, const ImportOptions& options);

// Writes the registry part of `scope` (models, versions, tags, aliases);
// a model imported from `source` before is skipped, and one whose name
// Plinth already uses otherwise is left alone with a warning in `report`.
absl::Status ImportModels(const Scope& scope, db::Database& target, const std::string& source,
                          const std::string& team, ImportReport& report);

}  // namespace plinth::importer
