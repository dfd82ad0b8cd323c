// The model registry part of the import: one transaction per model, so a
// model is either absent or complete.
#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/importer/import_scope.h"

namespace plinth::importer {

absl::Status ImportModels(const Scope& scope, db::Database& target, const std::string& source,
                          const std::string& team, ImportReport& report) {
  for (const SourceModel& m : scope.models) {
    RETURN_IF_ERROR(target.Write([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto imported, s.Query("SELECT 1 FROM import_mlflow_models WHERE source "
                                              "= ? AND name = ?",
                                              {source, m.name}));
      if (!imported.empty()) return absl::OkStatus();  // by an earlier import
      ASSIGN_OR_RETURN(auto existing,
                       s.Query("SELECT 1 FROM registered_models WHERE name = ?", {m.name}));
      if (!existing.empty()) {
        report.warnings.push_back(absl::StrCat(
            "registered model '", m.name,
            "' not imported: Plinth already has a registered model of that name; rename one of "
            "them and import again"));
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(auto inserted,
                       s.Query("INSERT INTO registered_models (name, team, description, "
                               "creation_time, last_updated_time, next_version) VALUES (?, ?, ?, "
                               "?, ?, ?) RETURNING model_id",
                               {m.name, team, m.description, m.creation_time, m.last_updated_time,
                                m.max_version + 1}));
      int64_t id = inserted.at(0).Int(0);
      RETURN_IF_ERROR(s.Execute("INSERT INTO import_mlflow_models (source, name, model_id) VALUES "
                                "(?, ?, ?)",
                                {source, m.name, id})
                          .status());
      report.counts["models"].added++;
      for (const KeyValue& t : m.tags) {
        RETURN_IF_ERROR(s.Execute("INSERT INTO registered_model_tags (model_id, key, value) "
                                  "VALUES (?, ?, ?)",
                                  {id, t.key, t.value})
                            .status());
        report.counts["model tags"].added++;
      }
      for (const SourceVersion& v : m.versions) {
        RETURN_IF_ERROR(
            s.Execute("INSERT INTO model_versions (model_id, version, creation_time, "
                      "last_updated_time, current_stage, description, source, storage_location, "
                      "run_id, run_link, status, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                      "?, ?, ?, ?)",
                      {id, v.version, v.creation_time, v.last_updated_time, v.current_stage,
                       v.description, v.source, v.storage_location, v.run_id, v.run_link, v.status,
                       v.status_message})
                .status());
        report.counts["versions"].added++;
        for (const KeyValue& t : v.tags) {
          RETURN_IF_ERROR(s.Execute("INSERT INTO model_version_tags (model_id, version, key, "
                                    "value) VALUES (?, ?, ?, ?)",
                                    {id, v.version, t.key, t.value})
                              .status());
          report.counts["model tags"].added++;
        }
      }
      for (const auto& [alias, version] : m.aliases) {
        RETURN_IF_ERROR(s.Execute("INSERT INTO registered_model_aliases (model_id, alias, "
                                  "version) VALUES (?, ?, ?)",
                                  {id, alias, version})
                            .status());
        report.counts["aliases"].added++;
      }
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

}  // namespace plinth::importer
