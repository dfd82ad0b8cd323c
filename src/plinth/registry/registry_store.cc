#include "plinth/registry/registry_store.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/migrations.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/registry/registry_queries.h"
#include "plinth/registry/registry_schema.h"
#include "plinth/registry/registry_search.h"
#include "plinth/registry/registry_validation.h"

namespace plinth::registry {

using internal::Assemble;
using internal::FindModel;
using internal::FindVersion;
using internal::ModelRow;
using internal::PageSize;
using internal::PutModelTag;
using internal::RequireName;
using internal::RequireVersion;
using internal::ValidateTags;

absl::StatusOr<std::unique_ptr<RegistryStore>> RegistryStore::Create(db::Database& db,
                                                                     RunLookup& runs,
                                                                     const Clock& clock) {
  RETURN_IF_ERROR(db::Migrate(db, "registry", RegistryMigrations()));
  return std::unique_ptr<RegistryStore>(new RegistryStore(db, runs, clock));
}

// ---- Registered models ----

absl::StatusOr<RegisteredModel> RegistryStore::CreateRegisteredModel(
    const Principal& principal, const std::string& name, const std::vector<Tag>& tags,
    const std::string& description) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateTags(tags));
  RETURN_IF_ERROR(ValidateText(description, "description"));
  int64_t now = clock_.NowMillis();
  RegisteredModel out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_create_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing,
                     s.Query("SELECT 1 FROM registered_models WHERE name = ?", {name}));
    if (!existing.empty()) {
      return AlreadyExists(absl::StrCat("Registered Model (name=", name, ") already exists."));
    }
    RETURN_IF_ERROR(s.Execute("INSERT INTO registered_models (name, team, description, "
                              "creation_time, last_updated_time, next_version) "
                              "VALUES (?, ?, ?, ?, ?, 1)",
                              {name, principal.team, description, now, now})
                        .status());
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    for (const Tag& t : tags) RETURN_IF_ERROR(PutModelTag(s, model.model_id, t));
    ASSIGN_OR_RETURN(out, Assemble(s, std::move(model)));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<RegisteredModel> RegistryStore::GetRegisteredModel(const Principal& principal,
                                                                  const std::string& name) {
  RETURN_IF_ERROR(RequireName(name));
  RegisteredModel out;
  RETURN_IF_ERROR(db_.TimedRead("registry_get_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    ASSIGN_OR_RETURN(out, Assemble(s, std::move(model)));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<RegisteredModel> RegistryStore::RenameRegisteredModel(const Principal& principal,
                                                                     const std::string& name,
                                                                     const std::string& new_name) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateModelName(new_name, "new_name"));
  int64_t now = clock_.NowMillis();
  RegisteredModel out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_rename_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    if (new_name != name) {
      ASSIGN_OR_RETURN(auto taken,
                       s.Query("SELECT 1 FROM registered_models WHERE name = ?", {new_name}));
      if (!taken.empty()) {
        return AlreadyExists(
            absl::StrCat("Registered Model (name=", new_name, ") already exists."));
      }
    }
    RETURN_IF_ERROR(s.Execute("UPDATE registered_models SET name = ?, last_updated_time = ? "
                              "WHERE model_id = ?",
                              {new_name, now, model.model_id})
                        .status());
    RETURN_IF_ERROR(s.Execute("UPDATE model_versions SET last_updated_time = ? WHERE model_id = ?",
                              {now, model.model_id})
                        .status());
    model.model.name = new_name;
    model.model.last_updated_timestamp = now;
    ASSIGN_OR_RETURN(out, Assemble(s, std::move(model)));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<RegisteredModel> RegistryStore::UpdateRegisteredModel(
    const Principal& principal, const std::string& name, const std::string& description) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateText(description, "description"));
  int64_t now = clock_.NowMillis();
  RegisteredModel out;
  RETURN_IF_ERROR(db_.TimedWrite("registry_update_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(s.Execute("UPDATE registered_models SET description = ?, "
                              "last_updated_time = ? WHERE model_id = ?",
                              {description, now, model.model_id})
                        .status());
    model.model.description = description;
    model.model.last_updated_timestamp = now;
    ASSIGN_OR_RETURN(out, Assemble(s, std::move(model)));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RegistryStore::DeleteRegisteredModel(const Principal& principal,
                                                  const std::string& name) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  return db_.TimedWrite("registry_delete_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    for (const char* table : {"model_version_tags", "model_versions", "registered_model_aliases",
                              "registered_model_tags", "registered_models"}) {
      RETURN_IF_ERROR(
          s.Execute(absl::StrCat("DELETE FROM ", table, " WHERE model_id = ?"), {model.model_id})
              .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Page<RegisteredModel>> RegistryStore::SearchRegisteredModels(
    const Principal& principal, const SearchRequest& request) {
  ASSIGN_OR_RETURN(int64_t page_size, PageSize(request.max_results, kDefaultModelSearchResults,
                                               kMaxModelSearchResults));
  ASSIGN_OR_RETURN(SqlClause filter, RegisteredModelFilterSql(request.filter, db_.dialect()));
  ASSIGN_OR_RETURN(std::string order, RegisteredModelOrderSql(request.order_by));
  ASSIGN_OR_RETURN(int64_t offset, DecodePageToken(request.page_token));
  auto [sql, params] = PagedSearchSql(
      absl::StrCat("SELECT ", internal::kModelColumns, " FROM registered_models m WHERE 1 = 1"),
      principal, filter, order, page_size, offset);

  Page<RegisteredModel> page;
  RETURN_IF_ERROR(db_.TimedRead("registry_search_models", [&](db::Session& s) -> absl::Status {
    std::vector<ModelRow> rows;
    RETURN_IF_ERROR(s.ForEach(sql, params, [&rows](const db::Row& row) {
      rows.push_back(internal::ReadModelRow(row));
      return true;
    }));
    if (static_cast<int64_t>(rows.size()) > page_size) {
      rows.resize(page_size);
      page.next_page_token = EncodePageToken(offset + page_size);
    }
    RETURN_IF_ERROR(internal::FillModels(s, rows));
    for (ModelRow& r : rows) page.items.push_back(std::move(r.model));
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<ModelVersion>> RegistryStore::GetLatestVersions(
    const Principal& principal, const std::string& name, const std::vector<std::string>& stages) {
  RETURN_IF_ERROR(RequireName(name));
  std::set<std::string> wanted;
  for (const std::string& stage : stages) {
    ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
    wanted.insert(canonical);
  }
  std::vector<ModelVersion> out;
  RETURN_IF_ERROR(db_.TimedRead("registry_latest_versions", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    ASSIGN_OR_RETURN(std::vector<ModelVersion> latest, internal::LatestVersions(s, model.model_id));
    for (ModelVersion& v : latest) {
      if (wanted.empty() || wanted.count(v.current_stage) > 0) out.push_back(std::move(v));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RegistryStore::SetRegisteredModelTag(const Principal& principal,
                                                  const std::string& name, const std::string& key,
                                                  const std::string& value) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateTag(key, value));
  return db_.TimedWrite("registry_set_model_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    return PutModelTag(s, model.model_id, {key, value});
  });
}

absl::Status RegistryStore::DeleteRegisteredModelTag(const Principal& principal,
                                                     const std::string& name,
                                                     const std::string& key) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateTagKey(key));
  return db_.TimedWrite("registry_delete_model_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    return s
        .Execute("DELETE FROM registered_model_tags WHERE model_id = ? AND key = ?",
                 {model.model_id, key})
        .status();
  });
}

// ---- Aliases ----

absl::Status RegistryStore::SetAlias(const Principal& principal, const std::string& name,
                                     const std::string& alias, const std::string& version) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  return db_.TimedWrite("registry_set_alias", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    RETURN_IF_ERROR(RequireVersion(s, model, number));
    return s
        .Execute(
            "INSERT INTO registered_model_aliases (model_id, alias, version) VALUES (?, ?, ?) "
            "ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version",
            {model.model_id, alias, number})
        .status();
  });
}

absl::Status RegistryStore::DeleteAlias(const Principal& principal, const std::string& name,
                                        const std::string& alias) {
  RETURN_IF_ERROR(http::RequireWrite(principal));
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  return db_.TimedWrite("registry_delete_alias", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    return s
        .Execute("DELETE FROM registered_model_aliases WHERE model_id = ? AND alias = ?",
                 {model.model_id, alias})
        .status();
  });
}

absl::StatusOr<ModelVersion> RegistryStore::GetModelVersionByAlias(const Principal& principal,
                                                                   const std::string& name,
                                                                   const std::string& alias) {
  RETURN_IF_ERROR(RequireName(name));
  RETURN_IF_ERROR(ValidateAlias(alias));
  ModelVersion out;
  RETURN_IF_ERROR(db_.TimedRead("registry_get_alias", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT version FROM registered_model_aliases WHERE "
                                        "model_id = ? AND alias = ?",
                                        {model.model_id, alias}));
    // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, not a 404.
    if (rows.empty()) {
      return InvalidParameter(absl::StrCat("Registered model alias ", alias, " not found."));
    }
    ASSIGN_OR_RETURN(out, FindVersion(s, model, rows[0].Int(0)));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace plinth::registry
