#include "plinth/importer/import_scope.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/status_macros.h"

namespace plinth::importer {

absl::StatusOr<Scope> LoadScope(MlflowSource& source, const ImportOptions& options) {
  Scope scope;
  ASSIGN_OR_RETURN(std::vector<SourceExperiment> experiments, source.Experiments());
  std::set<std::string> missing = options.experiments;
  std::set<int64_t> ids;
  std::vector<std::string> names;
  for (SourceExperiment& e : experiments) {
    names.push_back(e.name);
    if (!options.experiments.empty() && !options.experiments.count(e.name)) continue;
    missing.erase(e.name);
    ids.insert(e.experiment_id);
    scope.experiments.push_back(std::move(e));
  }
  if (!missing.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no experiment named '", *missing.begin(),
                     "' in the MLflow store (it has: ", absl::StrJoin(names, ", "), ")"));
  }
  ASSIGN_OR_RETURN(std::vector<SourceRun> runs, source.Runs());
  for (SourceRun& r : runs) {
    if (!ids.count(r.experiment_id)) continue;
    scope.run_index[r.run_uuid] = scope.runs.size();
    scope.runs.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(std::vector<SourceInput> inputs, source.Inputs());
  for (SourceInput& in : inputs) {
    if (scope.run_index.contains(in.run_uuid)) scope.inputs.push_back(std::move(in));
  }
  ASSIGN_OR_RETURN(std::vector<SourceModel> models, source.Models());
  for (SourceModel& m : models) {
    bool selected = options.experiments.empty();
    for (const SourceVersion& v : m.versions) selected |= scope.run_index.contains(v.run_id);
    if (selected) scope.models.push_back(std::move(m));
  }
  return scope;
}

}  // namespace plinth::importer
