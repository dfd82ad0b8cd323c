// MLflow's search-filter and order_by grammar, shared by run, experiment and
// registry searches.
//
//   filter   := clause (AND clause)*            AND is case-insensitive; OR is rejected
//   clause   := key op value
//   key      := [prefix "."] name               prefix: metrics, params, tags, attributes, datasets
//                                               (and their aliases); none = attribute
//   name     := run of characters other than whitespace and = ! < > ' " ` ( ) ,
//               (dots included: `tags.mlflow.runName` is tag "mlflow.runName")
//             | "quoted" | `quoted`             for names with spaces or operator characters
//   op       := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN
//   value    := number | 'string' | "string" | ( 'string' [, 'string']* )
//   order_by := key [ASC | DESC]
//
// Which entity types, keys, operators and value kinds are allowed is decided
// by a SearchSchema (one per searchable kind), so a clause that is wrong for
// the kind is rejected while parsing, with the position of the offending
// token. Errors are InvalidParameter (MLflow INVALID_PARAMETER_VALUE); their
// messages give a 1-based column ("at column 14").
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::tracking {

// Limits that keep every search inside what SQLite and PostgreSQL accept
// (expression depth, bound parameters), reported as INVALID_PARAMETER_VALUE.
inline constexpr size_t kMaxFilterClauses = 100;
inline constexpr size_t kMaxListValues = 1000;

enum class EntityType { kMetric, kParam, kTag, kAttribute, kDataset };

// "metrics", "params", "tags", "attributes", "datasets".
absl::string_view EntityTypeName(EntityType type);

struct Comparison {
  EntityType type;
  // Attributes and dataset fields carry their canonical name ("start_time"
  // for "created"); metrics, params and tags the key as written (unquoted).
  std::string key;
  // "=", "!=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "IN", "NOT IN".
  std::string op;
  // double for numeric fields, std::string for string fields, the list for IN / NOT IN.
  std::variant<double, std::string, std::vector<std::string>> value;
  int position;  // 0-based offset in the filter where the clause starts
};

struct OrderBy {
  EntityType type;
  std::string key;  // canonical, as in Comparison::key
  bool ascending = true;
};

enum class ValueKind { kNumber, kString };

// What a field accepts.
struct FieldRule {
  ValueKind kind = ValueKind::kString;
  std::vector<std::string> ops;  // empty: not usable in a filter
  bool orderable = true;
};

// A named field. names[0] is canonical; the rest are aliases. Matched
// case-insensitively.
struct KeyRule {
  std::vector<std::string> names;
  FieldRule rule;
};

struct EntityRule {
  EntityType type;
  // Lowercase prefixes that select this entity ("metric", "metrics").
  // prefixes[0] names it in messages.
  std::vector<std::string> prefixes;
  // Set for free-form keys (metrics, params, tags): every key gets this rule.
  std::optional<FieldRule> any_key;
  std::vector<KeyRule> keys;  // used when any_key is unset
};

// The grammar's vocabulary for one searchable kind. An unprefixed key is an
// attribute.
struct SearchSchema {
  std::string noun;  // "runs", for messages
  std::vector<EntityRule> entities;
};

const SearchSchema& RunSearchSchema();
const SearchSchema& ExperimentSearchSchema();
const SearchSchema& RegisteredModelSearchSchema();
const SearchSchema& ModelVersionSearchSchema();

// Parses `filter` against `schema`; an empty or all-whitespace filter gives
// an empty vector.
absl::StatusOr<std::vector<Comparison>> ParseSearchFilter(absl::string_view filter,
                                                          const SearchSchema& schema);
// Run search (RunSearchSchema()).
absl::StatusOr<std::vector<Comparison>> ParseSearchFilter(absl::string_view filter);

// Parses one order_by entry such as "metrics.acc DESC" (ASC by default).
absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view clause, const SearchSchema& schema);
absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view clause);  // run search

// Parses every entry and rejects a field named twice (as MLflow does).
absl::StatusOr<std::vector<OrderBy>> ParseOrderByList(const std::vector<std::string>& clauses,
                                                      const SearchSchema& schema);

}  // namespace plinth::tracking
