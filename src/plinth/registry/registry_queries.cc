#include "plinth/registry/registry_queries.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/registry/registry_validation.h"

namespace plinth::registry::internal {
namespace {

// Rows per IN (...) list, well under SQLite's and PostgreSQL's parameter limits.
constexpr size_t kBatch = 500;

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "?" : ", ?");
  return out;
}

// The latest version per stage of each model in `ids` (one batch).
absl::StatusOr<std::map<int64_t, std::vector<ModelVersion>>> LatestVersionsFor(
    db::Session& s, const std::vector<db::Value>& ids) {
  std::string sql = absl::StrCat(
      "SELECT ", kVersionColumns,
      ", l.first_version FROM model_versions v JOIN registered_models m ON m.model_id = "
      "v.model_id JOIN (SELECT model_id, current_stage, MAX(version) AS version, MIN(version) AS "
      "first_version FROM model_versions WHERE model_id IN (",
      Placeholders(ids.size()),
      ") GROUP BY model_id, current_stage) l ON l.model_id = v.model_id AND l.version = "
      "v.version ORDER BY v.model_id, l.first_version");
  ASSIGN_OR_RETURN(std::vector<VersionRow> rows, QueryVersions(s, sql, ids));
  RETURN_IF_ERROR(FillVersionDetails(s, rows));
  std::map<int64_t, std::vector<ModelVersion>> out;
  for (VersionRow& r : rows) out[r.model_id].push_back(std::move(r.version));
  return out;
}

}  // namespace

ModelRow ReadModelRow(const db::Row& row) {
  ModelRow out;
  out.model_id = row.Int(0);
  out.model.name = row.Str(1);
  out.model.team = row.Str(2);
  out.model.description = row.Str(3);
  out.model.creation_timestamp = row.Int(4);
  out.model.last_updated_timestamp = row.Int(5);
  out.next_version = row.Int(6);
  return out;
}

absl::StatusOr<ModelRow> FindModel(db::Session& s, const http::Principal& principal,
                                   const std::string& name) {
  ASSIGN_OR_RETURN(
      std::vector<db::Row> rows,
      s.Query(absl::StrCat("SELECT ", kModelColumns, " FROM registered_models m WHERE m.name = ?"),
              {name}));
  if (rows.empty()) {
    return NotFound(absl::StrCat("Registered Model with name=", name, " not found"));
  }
  ModelRow model = ReadModelRow(rows[0]);
  RETURN_IF_ERROR(http::RequireTeamAccess(principal, model.model.team,
                                          absl::StrCat("registered model '", name, "'")));
  return model;
}

absl::StatusOr<std::vector<VersionRow>> QueryVersions(db::Session& s, const std::string& sql,
                                                      const std::vector<db::Value>& params) {
  std::vector<VersionRow> out;
  RETURN_IF_ERROR(s.ForEach(sql, params, [&out](const db::Row& row) {
    VersionRow r;
    r.model_id = row.Int(0);
    ModelVersion& v = r.version;
    v.version = row.Int(1);
    v.creation_timestamp = row.Int(2);
    v.last_updated_timestamp = row.Int(3);
    v.current_stage = row.Str(4);
    v.description = row.Str(5);
    v.source = row.Str(6);
    v.storage_location = row.Str(7);
    v.run_id = row.Str(8);
    v.run_link = row.Str(9);
    v.status = row.Str(10);
    v.status_message = row.Str(11);
    v.name = row.Str(12);
    if (row.size() > 13) r.extra = row.Int(13);
    out.push_back(std::move(r));
    return true;
  }));
  return out;
}

absl::StatusOr<ModelVersion> FindVersion(db::Session& s, const ModelRow& model, int64_t version) {
  ASSIGN_OR_RETURN(
      std::vector<VersionRow> rows,
      QueryVersions(s,
                    absl::StrCat("SELECT ", kVersionColumns,
                                 " FROM model_versions v JOIN registered_models m ON m.model_id "
                                 "= v.model_id WHERE v.model_id = ? AND v.version = ?"),
                    {model.model_id, version}));
  if (rows.empty()) {
    return NotFound(absl::StrCat("Model Version (name=", model.model.name, ", version=", version,
                                 ") not found"));
  }
  RETURN_IF_ERROR(FillVersionDetails(s, rows));
  return std::move(rows[0].version);
}

absl::Status FillVersionDetails(db::Session& s, std::vector<VersionRow>& rows) {
  for (size_t start = 0; start < rows.size(); start += kBatch) {
    size_t end = std::min(rows.size(), start + kBatch);
    // (model_id, version) -> index in rows
    std::map<std::pair<int64_t, int64_t>, size_t> index;
    std::map<int64_t, std::vector<int64_t>> versions_by_model;
    for (size_t i = start; i < end; ++i) {
      index[{rows[i].model_id, rows[i].version.version}] = i;
      versions_by_model[rows[i].model_id].push_back(rows[i].version.version);
    }
    std::string where;
    std::vector<db::Value> params;
    std::vector<db::Value> model_ids;
    for (const auto& [model_id, versions] : versions_by_model) {
      absl::StrAppend(&where, where.empty() ? "" : " OR ", "(model_id = ? AND version IN (",
                      Placeholders(versions.size()), "))");
      params.emplace_back(model_id);
      params.insert(params.end(), versions.begin(), versions.end());
      model_ids.emplace_back(model_id);
    }
    RETURN_IF_ERROR(s.ForEach(
        absl::StrCat("SELECT model_id, version, key, value FROM model_version_tags WHERE ", where,
                     " ORDER BY key"),
        params, [&](const db::Row& row) {
          auto it = index.find({row.Int(0), row.Int(1)});
          if (it != index.end()) rows[it->second].version.tags.push_back({row.Str(2), row.Str(3)});
          return true;
        }));
    RETURN_IF_ERROR(s.ForEach(
        absl::StrCat("SELECT model_id, version, alias FROM registered_model_aliases WHERE "
                     "model_id IN (",
                     Placeholders(model_ids.size()), ") ORDER BY alias"),
        model_ids, [&](const db::Row& row) {
          auto it = index.find({row.Int(0), row.Int(1)});
          if (it != index.end()) rows[it->second].version.aliases.push_back(row.Str(2));
          return true;
        }));
  }
  return absl::OkStatus();
}

absl::Status FillModels(db::Session& s, std::vector<ModelRow>& rows) {
  for (size_t start = 0; start < rows.size(); start += kBatch) {
    size_t end = std::min(rows.size(), start + kBatch);
    std::map<int64_t, size_t> index;
    std::vector<db::Value> ids;
    for (size_t i = start; i < end; ++i) {
      index[rows[i].model_id] = i;
      ids.emplace_back(rows[i].model_id);
    }
    std::string in = absl::StrCat("(", Placeholders(ids.size()), ")");
    RETURN_IF_ERROR(s.ForEach(
        absl::StrCat("SELECT model_id, key, value FROM registered_model_tags WHERE model_id IN ",
                     in, " ORDER BY key"),
        ids, [&](const db::Row& row) {
          rows[index.at(row.Int(0))].model.tags.push_back({row.Str(1), row.Str(2)});
          return true;
        }));
    RETURN_IF_ERROR(s.ForEach(
        absl::StrCat("SELECT model_id, alias, version FROM registered_model_aliases WHERE "
                     "model_id IN ",
                     in, " ORDER BY alias"),
        ids, [&](const db::Row& row) {
          rows[index.at(row.Int(0))].model.aliases.push_back({row.Str(1), row.Int(2)});
          return true;
        }));
    ASSIGN_OR_RETURN(auto latest, LatestVersionsFor(s, ids));
    for (auto& [model_id, versions] : latest) {
      rows[index.at(model_id)].model.latest_versions = std::move(versions);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ModelVersion>> LatestVersions(db::Session& s, int64_t model_id) {
  ASSIGN_OR_RETURN(auto latest, LatestVersionsFor(s, {model_id}));
  return std::move(latest[model_id]);
}

absl::Status RequireName(const std::string& name) {
  return name.empty() ? http::MissingParameter("name") : absl::OkStatus();
}

absl::Status ValidateTags(const std::vector<Tag>& tags) {
  for (const Tag& t : tags) RETURN_IF_ERROR(ValidateTag(t.key, t.value));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PageSize(const std::optional<int64_t>& requested, int64_t fallback,
                                 int64_t limit) {
  int64_t n = requested.value_or(fallback);
  if (n < 1) {
    return InvalidParameter(
        absl::StrCat("Invalid value for max_results. It must be a positive integer, but got ", n));
  }
  if (n > limit) {
    return InvalidParameter(
        absl::StrCat("Invalid value for request parameter max_results. It must be at most ", limit,
                     ", but got value ", n));
  }
  return n;
}

absl::Status RequireVersion(db::Session& s, const ModelRow& model, int64_t version) {
  ASSIGN_OR_RETURN(std::vector<db::Row> rows,
                   s.Query("SELECT 1 FROM model_versions WHERE model_id = ? AND version = ?",
                           {model.model_id, version}));
  if (rows.empty()) {
    return NotFound(absl::StrCat("Model Version (name=", model.model.name, ", version=", version,
                                 ") not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RegisteredModel> Assemble(db::Session& s, ModelRow row) {
  std::vector<ModelRow> rows = {std::move(row)};
  RETURN_IF_ERROR(internal::FillModels(s, rows));
  return std::move(rows[0].model);
}

// Upserts in the common subset of SQLite (>= 3.24) and PostgreSQL.
absl::Status PutModelTag(db::Session& s, int64_t model_id, const Tag& tag) {
  return s
      .Execute(
          "INSERT INTO registered_model_tags (model_id, key, value) VALUES (?, ?, ?) "
          "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
          {model_id, tag.key, tag.value})
      .status();
}

absl::Status PutVersionTag(db::Session& s, int64_t model_id, int64_t version, const Tag& tag) {
  return s
      .Execute(
          "INSERT INTO model_version_tags (model_id, version, key, value) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value",
          {model_id, version, tag.key, tag.value})
      .status();
}

}  // namespace plinth::registry::internal
