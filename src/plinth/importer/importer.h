// `plinth import mlflow`: copies an MLflow tracking store (experiments,
// runs with their ids, params, full metric histories, tags, dataset inputs,
// the model registry and local artifacts) into a Plinth database.
//
// Idempotent and resumable: experiments are matched through a recorded
// mapping (or same id and name), runs by id; a run is marked complete only
// once all its rows and artifacts are in, and every insert ignores rows that
// are already there, so a second import adds nothing and an interrupted one
// finishes what is missing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/importer/mlflow_source.h"

namespace plinth::importer {

struct ImportOptions {
  std::string source_uri;     // as given by the user (for the mapping table)
  std::string artifacts_dir;  // root of mlflow-artifacts:/ URIs (mlflow --artifacts-destination)
  std::set<std::string> experiments;  // names to import; empty = all
  std::string team = "default";       // owner of imported experiments and models
  std::string target_artifacts_root;  // Plinth's artifact folder (<home>/artifacts)
  int64_t stop_after_points = 0;      // test hook: fail after committing this many (0 = off)
};

// One line of the final report.
struct KindCount {
  int64_t source = 0;  // in the source (within --experiments)
  int64_t added = 0;   // written by this import
};

struct ImportReport {
  // By kind (ReportKinds()); every kind is present.
  std::map<std::string, KindCount> counts;
  std::vector<std::string> warnings;  // name collisions, runs left alone
};

// Reported while importing: a phase name and how far it got.
using ProgressFn = std::function<void(const std::string& phase, int64_t done, int64_t total)>;

// The kinds of ImportReport::counts, in the order they are printed.
const std::vector<std::string>& ReportKinds();

// Counts what `source` holds within options.experiments; writes nothing.
absl::StatusOr<ImportReport> CountSource(MlflowSource& source, const ImportOptions& options,
                                         const ProgressFn& progress);

// Imports into `target` (migrating its schema first).
absl::StatusOr<ImportReport> Import(MlflowSource& source, db::Database& target,
                                    const ImportOptions& options, const ProgressFn& progress);

}  // namespace plinth::importer
