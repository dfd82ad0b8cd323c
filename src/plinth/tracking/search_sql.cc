#include "plinth/tracking/search_sql.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::tracking {
namespace {

// Distinct keys one search may join (see QueryBuilder::NewAlias).
constexpr int kMaxSearchKeys = 40;

struct AttributeColumn {
  absl::string_view key;     // canonical name from search_filter.cc's schemas
  absl::string_view column;  // qualified column
  bool nullable = false;
  bool integer = false;  // bind integral numbers as int64 so indexes on BIGINT apply
};

struct OrderTerm {
  absl::string_view key;  // an attribute
  bool ascending;
};

// How one searchable kind maps onto tables.
struct Target {
  absl::string_view noun;
  absl::string_view table;  // base table
  absl::string_view id;     // its key column, selected; value tables join on it
  std::vector<AttributeColumn> attributes;
  std::map<EntityType, absl::string_view> value_tables;  // key/value tables by entity
  std::vector<OrderTerm> default_order;                  // when order_by is empty
  std::vector<OrderTerm> tie_breakers;                   // appended unless already ordered by
};

const Target& RunTarget() {
  static const Target* const kTarget = new Target{"runs",
                                                  "runs",
                                                  "run_key",
                                                  {{"run_id", "runs.run_uuid"},
                                                   {"run_name", "runs.name"},
                                                   {"status", "runs.status"},
                                                   {"user_id", "runs.user_id"},
                                                   {"artifact_uri", "runs.artifact_uri"},
                                                   {"lifecycle_stage", "runs.lifecycle_stage"},
                                                   {"start_time", "runs.start_time", false, true},
                                                   {"end_time", "runs.end_time", true, true}},
                                                  {{EntityType::kMetric, "latest_metrics"},
                                                   {EntityType::kParam, "params"},
                                                   {EntityType::kTag, "tags"}},
                                                  {},
                                                  {{"start_time", false}, {"run_id", true}}};
  return *kTarget;
}

const Target& ExperimentTarget() {
  static const Target* const kTarget =
      new Target{"experiments",
                 "experiments",
                 "experiment_id",
                 {{"experiment_id", "experiments.experiment_id", false, true},
                  {"name", "experiments.name"},
                  {"creation_time", "experiments.creation_time", false, true},
                  {"last_update_time", "experiments.last_update_time", false, true}},
                 {{EntityType::kTag, "experiment_tags"}},
                 {{"creation_time", false}, {"experiment_id", true}},
                 {{"experiment_id", false}}};
  return *kTarget;
}

const AttributeColumn* FindAttribute(const Target& target, absl::string_view key) {
  for (const AttributeColumn& a : target.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

absl::string_view StageFor(ViewType view) {
  return view == ViewType::kDeletedOnly ? "deleted" : "active";
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, i ? ", ?" : "?");
  return out;
}

absl::Status AppendCondition(absl::string_view column, const Comparison& c, bool integer_column,
                             db::Dialect dialect, std::string* sql,
                             std::vector<db::Value>* params) {
  const auto* list = std::get_if<std::vector<std::string>>(&c.value);
  bool list_op = c.op == "IN" || c.op == "NOT IN";
  if (list_op != (list != nullptr) || (list && list->empty())) {
    return InvalidParameter(absl::StrCat("operator ", c.op, " on '", c.key, "' needs ",
                                         list_op ? "a non-empty list" : "a single value"));
  }
  if (list_op) {
    absl::StrAppend(sql, column, " ", c.op, " (", Placeholders(list->size()), ")");
    for (const std::string& v : *list) params->push_back(v);
    return absl::OkStatus();
  }
  if (c.op == "LIKE" || c.op == "ILIKE") {
    if (!std::holds_alternative<std::string>(c.value)) {
      return InvalidParameter(absl::StrCat(c.op, " on '", c.key, "' needs a string pattern"));
    }
    if (dialect == db::Dialect::kPostgres) {
      absl::StrAppend(sql, column, " ", c.op, " ?");
    } else if (c.op == "LIKE") {
      // SQLite has no default escape character: name PostgreSQL's, so
      // 'a\_b' means the same on both.
      absl::StrAppend(sql, column, " LIKE ? ESCAPE '\\'");
    } else {
      // SQLite connections run with case_sensitive_like=ON, so LIKE is
      // case-sensitive as in PostgreSQL and ILIKE needs LOWER on both sides.
      absl::StrAppend(sql, "LOWER(", column, ") LIKE LOWER(?) ESCAPE '\\'");
    }
    params->push_back(std::get<std::string>(c.value));
    return absl::OkStatus();
  }
  static const char* const kOps[] = {"=", "!=", ">", ">=", "<", "<="};
  if (std::find(std::begin(kOps), std::end(kOps), c.op) == std::end(kOps)) {
    return InvalidParameter(absl::StrCat("unknown operator '", c.op, "'"));
  }
  absl::StrAppend(sql, column, " ", c.op, " ?");
  if (const auto* number = std::get_if<double>(&c.value)) {
    if (integer_column && std::trunc(*number) == *number && std::fabs(*number) < 9e18) {
      params->emplace_back(std::in_place_type<int64_t>, static_cast<int64_t>(*number));
    } else {
      params->emplace_back(std::in_place_type<double>, *number);
    }
  } else {
    params->push_back(std::get<std::string>(c.value));
  }
  return absl::OkStatus();
}

// Accumulates the pieces of one search query. Parameters are kept per
// clause so they line up with the `?`s in the final text.
class QueryBuilder {
 public:
  QueryBuilder(const Target& target, db::Dialect dialect) : target_(target), dialect_(dialect) {}

  void AddWhere(std::string condition, std::vector<db::Value> params) {
    where_.push_back(std::move(condition));
    for (auto& p : params) where_params_.push_back(std::move(p));
  }

  absl::Status AddFilter(const std::vector<Comparison>& filter) {
    // Clauses on one metric/param/tag key share one INNER JOIN: the key
    // tables hold at most one row per (entity, key).
    std::vector<std::pair<EntityType, std::string>> groups;
    std::map<std::pair<EntityType, std::string>, std::vector<const Comparison*>> by_key;
    std::vector<const Comparison*> datasets;
    for (const Comparison& c : filter) {
      if (c.type == EntityType::kAttribute) {
        const AttributeColumn* a = FindAttribute(target_, c.key);
        if (a == nullptr) {
          return InvalidParameter(
              absl::StrCat("cannot filter ", target_.noun, " by attribute '", c.key, "'"));
        }
        std::string sql;
        std::vector<db::Value> params;
        RETURN_IF_ERROR(AppendCondition(a->column, c, a->integer, dialect_, &sql, &params));
        AddWhere(std::move(sql), std::move(params));
      } else if (c.type == EntityType::kDataset) {
        datasets.push_back(&c);
      } else {
        if (!target_.value_tables.contains(c.type)) {
          return InvalidParameter(
              absl::StrCat("cannot filter ", target_.noun, " by ", EntityTypeName(c.type)));
        }
        auto key = std::make_pair(c.type, c.key);
        if (!by_key.contains(key)) groups.push_back(key);
        by_key[key].push_back(&c);
      }
    }
    for (const auto& key : groups) {
      ASSIGN_OR_RETURN(std::string alias, NewAlias("f"));
      absl::StrAppend(&joins_, " JOIN ", target_.value_tables.at(key.first), " ", alias, " ON ",
                      alias, ".", target_.id, " = ", target_.table, ".", target_.id, " AND ", alias,
                      ".key = ?");
      join_params_.push_back(key.second);
      if (key.first == EntityType::kMetric) absl::StrAppend(&joins_, " AND ", alias, ".is_nan = 0");
      for (const Comparison* c : by_key[key]) {
        absl::StrAppend(&joins_, " AND ");
        RETURN_IF_ERROR(AppendCondition(absl::StrCat(alias, ".value"), *c, false, dialect_, &joins_,
                                        &join_params_));
      }
      filter_alias_[key] = alias;
    }
    if (!datasets.empty()) RETURN_IF_ERROR(AddDatasetFilter(datasets));
    return absl::OkStatus();
  }

  absl::Status AddOrder(const std::vector<OrderBy>& order_by) {
    std::vector<std::string> ordered_attributes;
    for (size_t i = 0; i < order_by.size(); ++i) {
      const OrderBy& o = order_by[i];
      absl::string_view dir = o.ascending ? " ASC" : " DESC";
      if (o.type == EntityType::kAttribute) {
        const AttributeColumn* a = FindAttribute(target_, o.key);
        if (a == nullptr) {
          return InvalidParameter(
              absl::StrCat("cannot order ", target_.noun, " by attribute '", o.key, "'"));
        }
        if (a->nullable) {
          order_.push_back(absl::StrCat("CASE WHEN ", a->column, " IS NULL THEN 1 ELSE 0 END"));
        }
        order_.push_back(OrderTermSql(a->column, !a->integer, dir));
        ordered_attributes.push_back(o.key);
        continue;
      }
      auto table = target_.value_tables.find(o.type);
      if (table == target_.value_tables.end()) {
        return InvalidParameter(
            absl::StrCat("cannot order ", target_.noun, " by ", EntityTypeName(o.type)));
      }
      auto filtered = filter_alias_.find({o.type, o.key});
      if (filtered != filter_alias_.end()) {
        // An INNER JOIN already requires the key (and a non-NaN metric), so
        // the value orders alone and SQLite may walk the (key, value) index.
        order_.push_back(OrderTermSql(absl::StrCat(filtered->second, ".value"),
                                      o.type != EntityType::kMetric, dir));
        continue;
      }
      if (i == 0 && dialect_ == db::Dialect::kSqlite) {
        leading_key_ = LeadingKey{table->second, o.key, o.type == EntityType::kMetric, dir};
        continue;
      }
      ASSIGN_OR_RETURN(std::string alias, NewAlias("o"));
      absl::StrAppend(&joins_, " LEFT JOIN ", table->second, " ", alias, " ON ", alias, ".",
                      target_.id, " = ", target_.table, ".", target_.id, " AND ", alias,
                      ".key = ?");
      join_params_.push_back(o.key);
      if (o.type == EntityType::kMetric) {
        order_.push_back(absl::StrCat("CASE WHEN ", alias, ".value IS NULL THEN 2 WHEN ", alias,
                                      ".is_nan = 1 THEN 1 ELSE 0 END"));
      } else {
        order_.push_back(absl::StrCat("CASE WHEN ", alias, ".value IS NULL THEN 1 ELSE 0 END"));
      }
      order_.push_back(
          OrderTermSql(absl::StrCat(alias, ".value"), o.type != EntityType::kMetric, dir));
    }
    std::vector<OrderTerm> extra =
        order_by.empty() ? target_.default_order : std::vector<OrderTerm>{};
    for (const OrderTerm& t : extra) ordered_attributes.emplace_back(t.key);
    for (const OrderTerm& t : target_.tie_breakers) {
      if (std::find(ordered_attributes.begin(), ordered_attributes.end(), t.key) ==
          ordered_attributes.end()) {
        extra.push_back(t);
      }
    }
    for (const OrderTerm& t : extra) {
      const AttributeColumn* a = FindAttribute(target_, t.key);
      order_.push_back(OrderTermSql(a->column, !a->integer, t.ascending ? " ASC" : " DESC"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<SqlQuery> Finish(int64_t limit, int64_t offset) {
    if (limit < 0 || offset < 0) {
      return InvalidParameter(
          absl::StrCat("limit and offset must not be negative (got ", limit, ", ", offset, ")"));
    }
    SqlQuery q;
    if (leading_key_) {
      if (offset > std::numeric_limits<int64_t>::max() - limit) {
        return InvalidParameter("limit plus offset is too large");
      }
      const LeadingKey& k = *leading_key_;
      std::string join = absl::StrCat(" JOIN ", k.table, " s ON s.", target_.id, " = ",
                                      target_.table, ".", target_.id, " AND s.key = ?");
      std::string missing =
          absl::StrCat("NOT EXISTS (SELECT 1 FROM ", k.table, " s WHERE s.", target_.id, " = ",
                       target_.table, ".", target_.id, " AND s.key = ?)");
      // Arms in output order: runs with a value (ordered by it), then NaN
      // metrics (stored as value 0 with is_nan 1, see tracking_schema.h),
      // then runs without the key.
      AppendArm(&q, join + (k.metric ? " AND s.is_nan = 0" : ""), k.key, "", {},
                absl::StrCat("s.value", k.direction), limit + offset);
      if (k.metric) {
        AppendArm(&q, join + " AND s.value = 0 AND s.is_nan = 1", k.key, "", {}, "",
                  limit + offset);
      }
      AppendArm(&q, "", {}, missing, k.key, "", limit + offset);
    } else {
      absl::StrAppend(&q.sql, "SELECT ", target_.table, ".", target_.id, " FROM ", target_.table,
                      joins_);
      if (!where_.empty()) absl::StrAppend(&q.sql, " WHERE ", absl::StrJoin(where_, " AND "));
      absl::StrAppend(&q.sql, " ORDER BY ", absl::StrJoin(order_, ", "));
      q.params = join_params_;
      q.params.insert(q.params.end(), where_params_.begin(), where_params_.end());
    }
    absl::StrAppend(&q.sql, " LIMIT ? OFFSET ?");
    q.params.emplace_back(std::in_place_type<int64_t>, limit);
    q.params.emplace_back(std::in_place_type<int64_t>, offset);
    return q;
  }

 private:
  // Text sorts byte-wise on both backends (SQLite's BINARY collation), not
  // by the PostgreSQL database's locale, so pages come out the same.
  std::string OrderTermSql(absl::string_view expr, bool text, absl::string_view dir) const {
    if (text && dialect_ == db::Dialect::kPostgres) {
      return absl::StrCat(expr, " COLLATE \"C\"", dir);
    }
    return absl::StrCat(expr, dir);
  }

  // The first order_by entry when it is an unfiltered metric, param or tag
  // on SQLite. A single query would have to LEFT JOIN that key for every
  // run and sort them all (about 0.5 s at 100k runs); instead the query is a
  // UNION ALL of arms in output order, the first walking the (key, value)
  // index, under one LIMIT/OFFSET. SQLite runs UNION ALL arms in order and
  // stops once the limit is filled, so later arms usually never run.
  struct LeadingKey {
    absl::string_view table;
    std::string key;
    bool metric;
    absl::string_view direction;  // " ASC" or " DESC"
  };

  // Appends "[UNION ALL ]SELECT id FROM (<arm> LIMIT n)" where the arm is the
  // search with `join` (binding `join_param`) in front of the other joins,
  // `where` (binding `where_param`) added to the conditions and `order`
  // in front of the remaining order terms.
  void AppendArm(SqlQuery* q, const std::string& join, std::optional<std::string> join_param,
                 const std::string& where, std::optional<std::string> where_param,
                 const std::string& order, int64_t n) {
    if (!q->sql.empty()) absl::StrAppend(&q->sql, " UNION ALL ");
    absl::StrAppend(&q->sql, "SELECT ", target_.id, " FROM (SELECT ", target_.table, ".",
                    target_.id, " FROM ", target_.table, join, joins_);
    if (join_param) q->params.push_back(*join_param);
    q->params.insert(q->params.end(), join_params_.begin(), join_params_.end());
    std::vector<std::string> conditions = where_;
    if (!where.empty()) conditions.push_back(where);
    if (!conditions.empty()) {
      absl::StrAppend(&q->sql, " WHERE ", absl::StrJoin(conditions, " AND "));
    }
    q->params.insert(q->params.end(), where_params_.begin(), where_params_.end());
    if (where_param) q->params.push_back(*where_param);
    std::vector<std::string> terms;
    if (!order.empty()) terms.push_back(order);
    terms.insert(terms.end(), order_.begin(), order_.end());
    absl::StrAppend(&q->sql, " ORDER BY ", absl::StrJoin(terms, ", "), " LIMIT ?)");
    q->params.emplace_back(std::in_place_type<int64_t>, n);
  }

  // All dataset clauses must hold for the same dataset input, as in MLflow.
  absl::Status AddDatasetFilter(const std::vector<const Comparison*>& clauses) {
    if (target_.table != "runs") {
      return InvalidParameter(absl::StrCat("cannot filter ", target_.noun, " by datasets"));
    }
    std::string sql =
        "EXISTS (SELECT 1 FROM run_inputs ri JOIN datasets d ON d.dataset_id = ri.dataset_id "
        "WHERE ri.run_key = runs.run_key";
    std::vector<db::Value> params;
    for (const Comparison* c : clauses) {
      std::string column;
      if (c->key == "name" || c->key == "digest") {
        column = absl::StrCat("d.", c->key);
      } else if (c->key == "context") {
        column = dialect_ == db::Dialect::kPostgres
                     ? "(SELECT jt->>'value' FROM jsonb_array_elements(ri.tags_json::jsonb) jt "
                       "WHERE jt->>'key' = 'mlflow.data.context' LIMIT 1)"
                     : "(SELECT json_extract(jt.value, '$.value') FROM json_each(ri.tags_json) jt "
                       "WHERE json_extract(jt.value, '$.key') = 'mlflow.data.context' LIMIT 1)";
      } else {
        return InvalidParameter(absl::StrCat("unknown dataset field '", c->key, "'"));
      }
      absl::StrAppend(&sql, " AND ");
      RETURN_IF_ERROR(AppendCondition(column, *c, false, dialect_, &sql, &params));
    }
    absl::StrAppend(&sql, ")");
    AddWhere(std::move(sql), std::move(params));
    return absl::OkStatus();
  }

  const Target& target_;
  db::Dialect dialect_;
  std::string joins_;
  std::vector<db::Value> join_params_;
  std::vector<std::string> where_;
  std::vector<db::Value> where_params_;
  std::vector<std::string> order_;
  std::map<std::pair<EntityType, std::string>, std::string> filter_alias_;
  std::optional<LeadingKey> leading_key_;
  int next_alias_ = 0;

  // A name for one more joined key table. SQLite joins at most 64 tables in
  // one query; the limit keeps well inside it and says so in the API's terms.
  absl::StatusOr<std::string> NewAlias(absl::string_view prefix) {
    if (next_alias_ == kMaxSearchKeys) {
      return InvalidParameter(absl::StrCat(
          "a search may use at most ", kMaxSearchKeys,
          " distinct metric, param or tag keys (filter and order_by together); split it"));
    }
    return absl::StrCat(prefix, next_alias_++);
  }
};

}  // namespace

absl::StatusOr<ViewType> ParseViewType(absl::string_view text) {
  std::string upper = absl::AsciiStrToUpper(text);
  if (upper.empty() || upper == "ACTIVE_ONLY" || upper == "1") return ViewType::kActiveOnly;
  if (upper == "DELETED_ONLY" || upper == "2") return ViewType::kDeletedOnly;
  if (upper == "ALL" || upper == "3") return ViewType::kAll;
  return InvalidParameter(
      absl::StrCat("invalid view type '", text, "'; use ACTIVE_ONLY, DELETED_ONLY or ALL"));
}

absl::Status AppendComparisonSql(absl::string_view column, const Comparison& comparison,
                                 db::Dialect dialect, std::string* sql,
                                 std::vector<db::Value>* params) {
  return AppendCondition(column, comparison, false, dialect, sql, params);
}

absl::StatusOr<SqlQuery> BuildRunSearchSql(const RunSearch& search, db::Dialect dialect) {
  QueryBuilder builder(RunTarget(), dialect);
  if (search.experiment_ids.empty()) {
    builder.AddWhere("1 = 0", {});
  } else {
    std::vector<db::Value> ids(search.experiment_ids.begin(), search.experiment_ids.end());
    std::string condition = absl::StrCat("runs.experiment_id IN (", Placeholders(ids.size()), ")");
    builder.AddWhere(std::move(condition), std::move(ids));
  }
  if (search.view != ViewType::kAll) {
    builder.AddWhere("runs.lifecycle_stage = ?", {std::string(StageFor(search.view))});
  }
  RETURN_IF_ERROR(builder.AddFilter(search.filter));
  RETURN_IF_ERROR(builder.AddOrder(search.order_by));
  return builder.Finish(search.limit, search.offset);
}

absl::StatusOr<SqlQuery> BuildExperimentSearchSql(const ExperimentSearch& search,
                                                  db::Dialect dialect) {
  QueryBuilder builder(ExperimentTarget(), dialect);
  if (search.view != ViewType::kAll) {
    builder.AddWhere("experiments.lifecycle_stage = ?", {std::string(StageFor(search.view))});
  }
  if (!search.teams.empty()) {
    std::vector<db::Value> teams(search.teams.begin(), search.teams.end());
    std::string condition = absl::StrCat("experiments.team IN (", Placeholders(teams.size()), ")");
    builder.AddWhere(std::move(condition), std::move(teams));
  }
  RETURN_IF_ERROR(builder.AddFilter(search.filter));
  RETURN_IF_ERROR(builder.AddOrder(search.order_by));
  return builder.Finish(search.limit, search.offset);
}

}  // namespace plinth::tracking
