#include "plinth/registry/registry_search.h"

#include <cmath>
#include <map>
#include <set>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/tracking/search_filter.h"

namespace plinth::registry {
namespace {

using tracking::Comparison;
using tracking::EntityType;

// SQLite's LIKE ignores ASCII case unless case_sensitive_like is set, so a
// case-sensitive LIKE becomes GLOB, which never does: % -> *, _ -> ?, and
// GLOB's own wildcards are bracketed to stay literal.
std::string LikeToGlob(const std::string& pattern) {
  std::string out;
  auto literal = [&out](char c) {
    if (c == '*' || c == '?' || c == '[') {
      absl::StrAppend(&out, "[", std::string(1, c), "]");
    } else {
      out += c;
    }
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      literal(pattern[++i]);
    } else if (c == '%') {
      out += '*';
    } else if (c == '_') {
      out += '?';
    } else {
      literal(c);
    }
  }
  return out;
}

const std::string& StringValue(const Comparison& c) { return std::get<std::string>(c.value); }

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "?" : ", ?");
  return out;
}

absl::Status Unsupported(const Comparison& c, absl::string_view kind, absl::string_view valid) {
  return InvalidParameter(absl::StrCat("Invalid filter key '", tracking::EntityTypeName(c.type),
                                       ".", c.key, "' for searching ", kind, "; use ", valid));
}

// A comparison of `column` with the clause's string value.
void AppendStringCompare(const std::string& column, const Comparison& c, db::Dialect dialect,
                         SqlClause* out) {
  std::string value = StringValue(c);
  absl::StrAppend(&out->sql, " AND ", CompareSql(column, c.op, dialect, &value));
  out->params.emplace_back(std::move(value));
}

// tags.<key> <op> <value>: the entity has that tag and its value matches.
void AppendTagCompare(const std::string& tag_table, const std::string& join, const Comparison& c,
                      db::Dialect dialect, SqlClause* out) {
  std::string value = StringValue(c);
  absl::StrAppend(&out->sql, " AND EXISTS (SELECT 1 FROM ", tag_table, " t WHERE ", join,
                  " AND t.key = ? AND ", CompareSql("t.value", c.op, dialect, &value), ")");
  out->params.emplace_back(c.key);
  out->params.emplace_back(std::move(value));
}

// version_number <op> x with an integer parameter, so both dialects compare
// BIGINT with BIGINT; a fractional x is rounded the way the comparison needs.
void AppendVersionCompare(const Comparison& c, SqlClause* out) {
  double x = std::get<double>(c.value);
  std::string op = c.op;
  if (std::floor(x) != x) {
    if (op == "=") {
      absl::StrAppend(&out->sql, " AND 1 = 0");
      return;
    }
    if (op == "!=") return;
    bool upward = op == ">" || op == ">=";
    x = upward ? std::ceil(x) : std::floor(x);
    op = upward ? ">=" : "<=";
  }
  absl::StrAppend(&out->sql, " AND v.version ", op, " ?");
  out->params.emplace_back(static_cast<int64_t>(x));
}

// MLflow accepts "timestamp" for last_updated_timestamp when ordering models.
std::string RewriteTimestampAlias(const std::string& clause) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(clause);
  size_t end = s.find_first_of(" \t");
  absl::string_view word = s.substr(0, end);
  if (!absl::EqualsIgnoreCase(word, "timestamp")) return clause;
  return absl::StrCat("last_updated_timestamp",
                      end == absl::string_view::npos ? "" : s.substr(end));
}

absl::StatusOr<std::string> OrderSql(const std::vector<std::string>& clauses,
                                     const tracking::SearchSchema& schema,
                                     const std::map<std::string, std::string>& columns,
                                     const std::vector<std::string>& tiebreakers) {
  ASSIGN_OR_RETURN(std::vector<tracking::OrderBy> parsed,
                   tracking::ParseOrderByList(clauses, schema));
  std::vector<std::string> terms;
  std::set<std::string> seen;
  for (const tracking::OrderBy& o : parsed) {
    auto it = columns.find(o.key);
    if (o.type != EntityType::kAttribute || it == columns.end()) {
      return InvalidParameter(absl::StrCat("Invalid order by key '", o.key, "' specified."));
    }
    seen.insert(o.key);
    terms.push_back(absl::StrCat(it->second, o.ascending ? " ASC" : " DESC"));
  }
  for (const std::string& t : tiebreakers) {
    std::string key = t.substr(0, t.find(' '));
    if (seen.count(key) == 0) {
      terms.push_back(absl::StrCat(columns.at(key), t.substr(t.find(' '))));
    }
  }
  return absl::StrCat("ORDER BY ", absl::StrJoin(terms, ", "));
}

}  // namespace

std::string CompareSql(const std::string& column, const std::string& op, db::Dialect dialect,
                       std::string* value) {
  bool sqlite = dialect == db::Dialect::kSqlite;
  if (op == "LIKE") {
    if (sqlite) {
      *value = LikeToGlob(*value);
      return absl::StrCat(column, " GLOB ?");
    }
    return absl::StrCat(column, " LIKE ?");
  }
  if (op == "ILIKE") {
    // LOWER() on both sides: SQLite's LIKE may be case-sensitive
    // (case_sensitive_like), and then ILIKE still must not be.
    return sqlite ? absl::StrCat("LOWER(", column, ") LIKE LOWER(?) ESCAPE '\\'")
                  : absl::StrCat(column, " ILIKE ?");
  }
  return absl::StrCat(column, op == "!=" ? " != ?" : " = ?");
}

absl::StatusOr<SqlClause> RegisteredModelFilterSql(const std::string& filter, db::Dialect dialect) {
  ASSIGN_OR_RETURN(std::vector<Comparison> clauses,
                   tracking::ParseSearchFilter(filter, tracking::RegisteredModelSearchSchema()));
  SqlClause out;
  for (const Comparison& c : clauses) {
    if (c.type == EntityType::kAttribute && c.key == "name") {
      AppendStringCompare("m.name", c, dialect, &out);
    } else if (c.type == EntityType::kTag) {
      AppendTagCompare("registered_model_tags", "t.model_id = m.model_id", c, dialect, &out);
    } else {
      return Unsupported(c, "registered models", "name or tags.<key>");
    }
  }
  return out;
}

absl::StatusOr<SqlClause> ModelVersionFilterSql(const std::string& filter, db::Dialect dialect) {
  ASSIGN_OR_RETURN(std::vector<Comparison> clauses,
                   tracking::ParseSearchFilter(filter, tracking::ModelVersionSearchSchema()));
  SqlClause out;
  for (const Comparison& c : clauses) {
    if (c.type == EntityType::kTag) {
      AppendTagCompare("model_version_tags", "t.model_id = v.model_id AND t.version = v.version", c,
                       dialect, &out);
    } else if (c.type != EntityType::kAttribute) {
      return Unsupported(c, "model versions",
                         "name, run_id, source_path, version_number or tags.<key>");
    } else if (c.key == "name") {
      AppendStringCompare("m.name", c, dialect, &out);
    } else if (c.key == "source_path") {
      AppendStringCompare("v.source", c, dialect, &out);
    } else if (c.key == "version_number") {
      AppendVersionCompare(c, &out);
    } else if (c.key == "run_id" && (c.op == "IN" || c.op == "NOT IN")) {
      const auto& ids = std::get<std::vector<std::string>>(c.value);
      absl::StrAppend(&out.sql, " AND v.run_id ", c.op, " (", Placeholders(ids.size()), ")");
      out.params.insert(out.params.end(), ids.begin(), ids.end());
    } else if (c.key == "run_id") {
      AppendStringCompare("v.run_id", c, dialect, &out);
    } else {
      return Unsupported(c, "model versions",
                         "name, run_id, source_path, version_number or tags.<key>");
    }
  }
  return out;
}

absl::StatusOr<std::string> RegisteredModelOrderSql(const std::vector<std::string>& order_by) {
  std::vector<std::string> clauses;
  for (const std::string& c : order_by) clauses.push_back(RewriteTimestampAlias(c));
  static const std::map<std::string, std::string> kColumns = {
      {"name", "m.name"},
      {"creation_timestamp", "m.creation_time"},
      {"last_updated_timestamp", "m.last_updated_time"}};
  return OrderSql(clauses, tracking::RegisteredModelSearchSchema(), kColumns, {"name ASC"});
}

absl::StatusOr<std::string> ModelVersionOrderSql(const std::vector<std::string>& order_by) {
  static const std::map<std::string, std::string> kColumns = {
      {"name", "m.name"},
      {"version_number", "v.version"},
      {"creation_timestamp", "v.creation_time"},
      {"last_updated_timestamp", "v.last_updated_time"}};
  std::vector<std::string> clauses = order_by;
  if (clauses.empty()) clauses.push_back("last_updated_timestamp DESC");
  return OrderSql(clauses, tracking::ModelVersionSearchSchema(), kColumns,
                  {"name ASC", "version_number DESC"});
}

std::string EncodePageToken(int64_t offset) {
  // The same bytes MLflow's SearchUtils.create_page_token writes.
  return absl::Base64Escape(absl::StrCat("{\"offset\": ", offset, "}"));
}

absl::StatusOr<int64_t> DecodePageToken(const std::string& token) {
  if (token.empty()) return 0;
  std::string decoded;
  if (!absl::Base64Unescape(token, &decoded)) {
    return InvalidParameter("Invalid page token, could not base64-decode");
  }
  Json parsed = Json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return InvalidParameter(absl::StrCat("Invalid page token, decoded value=", decoded));
  }
  int64_t offset = -1;
  if (parsed.is_object() && parsed.contains("offset")) {
    auto v = JsonToInt64(parsed["offset"]);
    if (v.ok()) offset = *v;
  }
  if (offset < 0) {
    return InvalidParameter(absl::StrCat("Invalid page token, parsed value=", parsed.dump()));
  }
  return offset;
}

SqlClause PagedSearchSql(std::string select, const http::Principal& principal,
                         const SqlClause& filter, const std::string& order, int64_t page_size,
                         int64_t offset) {
  SqlClause out{std::move(select), {}};
  if (!principal.IsAdmin()) {
    absl::StrAppend(&out.sql, " AND m.team = ?");
    out.params.emplace_back(principal.team);
  }
  absl::StrAppend(&out.sql, filter.sql, " ", order, " LIMIT ? OFFSET ?");
  out.params.insert(out.params.end(), filter.params.begin(), filter.params.end());
  out.params.emplace_back(page_size + 1);
  out.params.emplace_back(offset);
  return out;
}

}  // namespace plinth::registry
