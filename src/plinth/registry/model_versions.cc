// RegistryStore: model version operations.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/registry/registry_queries.h"
#include "plinth/registry/registry_search.h"
#include "plinth/registry/registry_store.h"
#include "plinth/registry/registry_validation.h"

namespace plinth::registry {

using internal::FindModel;
using internal::FindVersion;
using internal::ModelRow;
using internal::PageSize;
using internal::PutVersionTag;
using internal::RequireName;
using internal::RequireVersion;
using internal::ValidateTags;

absl::StatusOr<ModelVersion> RegistryStore::CreateModelVersion(const Principal& principal,
                                                               const NewModelVersion& request) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(request.name));
  if (request.source.empty()) return http::MissingParameter("source");
  RETURN_IF_ERROR(ValidateText(request.source, "source"));
  RETURN_IF_ERROR(ValidateText(request.run_link, "run_link"));
  RETURN_IF_ERROR(ValidateText(request.description, "description"));
  if (request.run_id.size() > kMaxRunIdLength) {
    return InvalidParameter(
        absl::StrCat("'run_id' exceeds the maximum length of ", kMaxRunIdLength, " characters"));
  }
  RETURN_IF_ERROR(ValidateTags(request.tags));
  // Resolved before the write transaction: it may read the tracking store
  // and this registry.
  ASSIGN_OR_RETURN(std::string storage_location, ResolveSource(principal, request));
  int64_t now = clock_.NowMillis();
  ModelVersion out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_create_version", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, request.name));
    int64_t version = model.next_version;
    RETURN_IF_ERROR(s.Execute("UPDATE registered_models SET next_version = ?, "
                              "last_updated_time = ? WHERE model_id = ?",
                              {version + 1, now, model.model_id})
                        .status());
    RETURN_IF_ERROR(
        s.Execute("INSERT INTO model_versions (model_id, version, creation_time, "
                  "last_updated_time, current_stage, description, source, storage_location, "
                  "run_id, run_link, status, status_message) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'READY', '')",
                  {model.model_id, version, now, now, std::string(kStageNone), request.description,
                   request.source, storage_location, request.run_id, request.run_link})
            .status());
    for (const Tag& t : request.tags) {
      RETURN_IF_ERROR(PutVersionTag(s, model.model_id, version, t));
    }
    ASSIGN_OR_RETURN(out, FindVersion(s, model, version));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ModelVersion> RegistryStore::GetModelVersion(const Principal& principal,
                                                            const std::string& name,
                                                            const std::string& version) {
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  ModelVersion out;
  RETURN_IF_ERROR(db_.TimedRead("registry_get_version", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    ASSIGN_OR_RETURN(out, FindVersion(s, model, number));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ModelVersion> RegistryStore::UpdateModelVersion(const Principal& principal,
                                                               const std::string& name,
                                                               const std::string& version,
                                                               const std::string& description) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  RETURN_IF_ERROR(ValidateText(description, "description"));
  int64_t now = clock_.NowMillis();
  ModelVersion out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_update_version", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    RETURN_IF_ERROR(s.Execute("UPDATE model_versions SET description = ?, last_updated_time = ? "
                              "WHERE model_id = ? AND version = ?",
                              {description, now, model.model_id, number})
                        .status());
    ASSIGN_OR_RETURN(out, FindVersion(s, model, number));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RegistryStore::DeleteModelVersion(const Principal& principal, const std::string& name,
                                               const std::string& version) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  int64_t now = clock_.NowMillis();
  return db_.TimedWrite("registry_delete_version", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    for (const char* table : {"model_version_tags", "registered_model_aliases", "model_versions"}) {
      RETURN_IF_ERROR(
          s.Execute(absl::StrCat("DELETE FROM ", table, " WHERE model_id = ? AND version = ?"),
                    {model.model_id, number})
              .status());
    }
    return s
        .Execute("UPDATE registered_models SET last_updated_time = ? WHERE model_id = ?",
                 {now, model.model_id})
        .status();
  });
}

absl::StatusOr<ModelVersion> RegistryStore::TransitionStage(const Principal& principal,
                                                            const std::string& name,
                                                            const std::string& version,
                                                            const std::string& stage,
                                                            bool archive_existing) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
  if (archive_existing && canonical != kStageStaging && canonical != kStageProduction) {
    return InvalidParameter(absl::StrCat(
        "Model version transition cannot archive existing model versions because '", stage,
        "' is not an Active stage. Valid stages are ['Staging', 'Production']"));
  }
  int64_t now = clock_.NowMillis();
  ModelVersion out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_transition_stage", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    if (archive_existing) {
      RETURN_IF_ERROR(
          s.Execute("UPDATE model_versions SET current_stage = ?, "
                    "last_updated_time = ? WHERE model_id = ? AND version != ? AND "
                    "current_stage = ?",
                    {std::string(kStageArchived), now, model.model_id, number, canonical})
              .status());
    }
    RETURN_IF_ERROR(s.Execute("UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                              "WHERE model_id = ? AND version = ?",
                              {canonical, now, model.model_id, number})
                        .status());
    RETURN_IF_ERROR(
        s.Execute("UPDATE registered_models SET last_updated_time = ? WHERE model_id = ?",
                  {now, model.model_id})
            .status());
    ASSIGN_OR_RETURN(out, FindVersion(s, model, number));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> RegistryStore::GetDownloadUri(const Principal& principal,
                                                          const std::string& name,
                                                          const std::string& version) {
  ASSIGN_OR_RETURN(ModelVersion v, GetModelVersion(principal, name, version));
  return v.storage_location.empty() ? v.source : v.storage_location;
}

absl::StatusOr<Page<ModelVersion>> RegistryStore::SearchModelVersions(
    const Principal& principal, const SearchRequest& request) {
  ASSIGN_OR_RETURN(int64_t page_size, PageSize(request.max_results, kDefaultVersionSearchResults,
                                               kMaxVersionSearchResults));
  ASSIGN_OR_RETURN(SqlClause filter, ModelVersionFilterSql(request.filter, db_.dialect()));
  ASSIGN_OR_RETURN(std::string order, ModelVersionOrderSql(request.order_by));
  ASSIGN_OR_RETURN(int64_t offset, DecodePageToken(request.page_token));
  auto [sql, params] = PagedSearchSql(
      absl::StrCat("SELECT ", internal::kVersionColumns,
                   " FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id "
                   "WHERE 1 = 1"),
      principal, filter, order, page_size, offset);

  Page<ModelVersion> page;
  RETURN_IF_ERROR(db_.TimedRead("registry_search_versions", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<internal::VersionRow> rows,
                     internal::QueryVersions(s, sql, params));
    if (static_cast<int64_t>(rows.size()) > page_size) {
      rows.resize(page_size);
      page.next_page_token = EncodePageToken(offset + page_size);
    }
    RETURN_IF_ERROR(internal::FillVersionDetails(s, rows));
    for (internal::VersionRow& r : rows) page.items.push_back(std::move(r.version));
    return absl::OkStatus();
  }));
  return page;
}

absl::Status RegistryStore::SetModelVersionTag(const Principal& principal, const std::string& name,
                                               const std::string& version, const std::string& key,
                                               const std::string& value) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  RETURN_IF_ERROR(ValidateTag(key, value));
  return db_.TimedWrite("registry_set_version_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    return PutVersionTag(s, model.model_id, number, {key, value});
  });
}

absl::Status RegistryStore::DeleteModelVersionTag(const Principal& principal,
                                                  const std::string& name,
                                                  const std::string& version,
                                                  const std::string& key) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  RETURN_IF_ERROR(ValidateTagKey(key));
  return db_.TimedWrite("registry_delete_version_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    return s
        .Execute("DELETE FROM model_version_tags WHERE model_id = ? AND version = ? AND key = ?",
                 {model.model_id, number, key})
        .status();
  });
}

}  // namespace plinth::registry
