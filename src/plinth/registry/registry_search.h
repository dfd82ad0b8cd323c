// Turns MLflow registry search requests (filter, order_by, page_token) into
// SQL over registered_models `m`, model_versions `v` and their tag tables.
// Filters and order_by are parsed by the shared grammar
// (tracking/search_filter.h) with the registry's schemas; this file only
// maps the parsed fields to columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/http/message.h"

namespace plinth::registry {

struct SqlClause {
  std::string sql;  // "" when there is nothing to add
  std::vector<db::Value> params;
};

// Completes `select` (a "SELECT ... WHERE 1 = 1" over registered_models as m)
// for one page: the caller's team unless admin, the filter, the order, and
// LIMIT/OFFSET for page_size + 1 rows (the extra row says a next page exists).
SqlClause PagedSearchSql(std::string select, const http::Principal& principal,
                         const SqlClause& filter, const std::string& order, int64_t page_size,
                         int64_t offset);

// " AND ..." conditions for registered models (alias m): name, tags.<key>.
absl::StatusOr<SqlClause> RegisteredModelFilterSql(const std::string& filter, db::Dialect dialect);
// " AND ..." conditions for model versions (alias v, joined with m): name,
// run_id, source_path, version_number, tags.<key>.
absl::StatusOr<SqlClause> ModelVersionFilterSql(const std::string& filter, db::Dialect dialect);

// "ORDER BY ..." for registered models: the clauses given, then name ASC.
// "timestamp" means last_updated_timestamp, as in MLflow.
absl::StatusOr<std::string> RegisteredModelOrderSql(const std::vector<std::string>& order_by);
// "ORDER BY ..." for model versions: the clauses given (MLflow's default
// when none: last_updated_timestamp DESC), then name ASC, version DESC.
absl::StatusOr<std::string> ModelVersionOrderSql(const std::vector<std::string>& order_by);

// A SQL condition comparing `column` with one `?` parameter using `op`
// (=, !=, LIKE, ILIKE) the same way on both dialects: LIKE is case-sensitive,
// ILIKE is not, '\' escapes a wildcard. Returns the condition and the value
// to bind.
std::string CompareSql(const std::string& column, const std::string& op, db::Dialect dialect,
                       std::string* value);

// MLflow's page tokens: base64 of {"offset": N}.
std::string EncodePageToken(int64_t offset);
absl::StatusOr<int64_t> DecodePageToken(const std::string& token);

}  // namespace plinth::registry
