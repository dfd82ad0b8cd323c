#include "plinth/tracking/search_filter.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::tracking {
namespace {

const std::vector<std::string> kNumericOps = {"=", "!=", ">", ">=", "<", "<="};
const std::vector<std::string> kStringOps = {"=", "!=", "LIKE", "ILIKE"};
const std::vector<std::string> kIdOps = {"=", "!=", "IN", "NOT IN"};
const std::vector<std::string> kStringAndListOps = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"};

FieldRule Numeric() { return {ValueKind::kNumber, kNumericOps, true}; }
FieldRule String() { return {ValueKind::kString, kStringOps, true}; }
FieldRule OrderOnly() { return {ValueKind::kNumber, {}, true}; }
FieldRule Unordered(FieldRule rule) {
  rule.orderable = false;
  return rule;
}

EntityRule Metrics() { return {EntityType::kMetric, {"metrics", "metric"}, Numeric(), {}}; }
EntityRule Params() { return {EntityType::kParam, {"params", "param"}, String(), {}}; }
EntityRule Tags(bool orderable) {
  FieldRule rule = String();
  rule.orderable = orderable;
  return {EntityType::kTag, {"tags", "tag"}, rule, {}};
}
EntityRule Attributes(std::vector<KeyRule> keys) {
  return {EntityType::kAttribute,
          {"attributes", "attribute", "attr", "run"},
          std::nullopt,
          std::move(keys)};
}

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

// Characters that may appear in an unquoted key (or number, or keyword).
bool IsNameChar(char c) {
  if (IsSpace(c) || c == '\0') return false;
  return absl::string_view("=!<>'\"`(),").find(c) == absl::string_view::npos;
}

bool IsOperatorChar(char c) { return c == '=' || c == '!' || c == '<' || c == '>'; }

bool Contains(const std::vector<std::string>& list, absl::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// A resolved left-hand side of a clause or order_by entry.
struct Field {
  EntityType type;
  std::string key;
  FieldRule rule;
  absl::string_view source;  // as written, for messages
};

// A hand-written scanner over one filter or order_by entry. Positions are
// 0-based offsets into text_; messages report them as 1-based columns.
class Parser {
 public:
  enum class Mode { kFilter, kOrderBy };

  Parser(absl::string_view text, const SearchSchema& schema, Mode mode)
      : text_(text), schema_(schema), mode_(mode) {}

  absl::StatusOr<std::vector<Comparison>> ParseFilter() {
    std::vector<Comparison> out;
    SkipSpace();
    if (AtEnd()) return out;
    while (true) {
      if (out.size() == kMaxFilterClauses) {
        return Error(pos_, absl::StrCat("a filter may have at most ", kMaxFilterClauses,
                                        " clauses; split the search"));
      }
      ASSIGN_OR_RETURN(Comparison clause, ParseClause());
      out.push_back(std::move(clause));
      SkipSpace();
      if (AtEnd()) return out;
      size_t pos = pos_;
      std::string word = absl::AsciiStrToUpper(ReadWhile(IsNameChar));
      if (word == "AND") {
        SkipSpace();
        if (AtEnd()) return Error(pos, "expected a clause after AND, got end of filter");
        continue;
      }
      if (word == "OR") return Error(pos, "OR is not supported; join clauses with AND");
      return Error(pos, absl::StrCat("expected AND or the end of the filter after '",
                                     text_.substr(out.back().position,
                                                  last_clause_end_ - out.back().position),
                                     "', got ", Got(pos)));
    }
  }

  absl::StatusOr<OrderBy> ParseOrderBy() {
    SkipSpace();
    if (AtEnd()) return Error(pos_, "the order_by clause is empty");
    ASSIGN_OR_RETURN(Field field, ParseField());
    OrderBy order{field.type, field.key, true};
    SkipSpace();
    if (AtEnd()) return order;
    size_t pos = pos_;
    std::string word = absl::AsciiStrToUpper(ReadWhile(IsNameChar));
    if (word == "DESC") {
      order.ascending = false;
    } else if (word != "ASC") {
      return Error(pos,
                   absl::StrCat("expected ASC or DESC after '", field.source, "', got ", Got(pos)));
    }
    SkipSpace();
    if (!AtEnd()) {
      return Error(pos_, absl::StrCat("unexpected ", Got(pos_), " after ", word));
    }
    return order;
  }

 private:
  absl::StatusOr<Comparison> ParseClause() {
    size_t start = pos_;
    ASSIGN_OR_RETURN(Field field, ParseField());
    ASSIGN_OR_RETURN(std::string op, ParseOperator(field));
    std::string after = absl::StrCat(field.source, " ", op);
    Comparison clause{field.type, field.key, op, 0.0, static_cast<int>(start)};
    SkipSpace();
    size_t value_pos = pos_;
    if (op == "IN" || op == "NOT IN") {
      ASSIGN_OR_RETURN(clause.value, ParseList(after));
    } else if (field.rule.kind == ValueKind::kNumber) {
      std::optional<double> number = ReadNumber();
      if (!number) {
        return Error(value_pos,
                     absl::StrCat("expected a number after '", after, "', got ", Got(value_pos)));
      }
      clause.value = *number;
    } else {
      if (AtEnd() || (Peek() != '\'' && Peek() != '"')) {
        return Error(value_pos, absl::StrCat("expected a quoted string after '", after, "', got ",
                                             Got(value_pos)));
      }
      ASSIGN_OR_RETURN(clause.value, ReadQuoted());
    }
    last_clause_end_ = pos_;
    return clause;
  }

  // key := [prefix "."] name, resolved against the schema.
  absl::StatusOr<Field> ParseField() {
    size_t start = pos_;
    std::string prefix;
    bool has_prefix = false;
    std::string name;
    size_t name_pos = pos_;
    if (!AtEnd() && (Peek() == '"' || Peek() == '`')) {
      ASSIGN_OR_RETURN(name, ReadQuoted());
    } else if (!AtEnd() && IsNameChar(Peek())) {
      std::string word = ReadWhile([](char c) { return IsNameChar(c) && c != '.'; });
      if (!AtEnd() && Peek() == '.') {
        has_prefix = true;
        prefix = absl::AsciiStrToLower(word);
        ++pos_;
        name_pos = pos_;
        if (!AtEnd() && (Peek() == '"' || Peek() == '`')) {
          ASSIGN_OR_RETURN(name, ReadQuoted());
        } else {
          name = ReadWhile(IsNameChar);
          if (name.empty()) {
            return Error(pos_, absl::StrCat("expected a key after '", word, ".', got ", Got(pos_)));
          }
        }
      } else {
        name = std::move(word);
        std::string upper = absl::AsciiStrToUpper(name);
        if (mode_ == Mode::kFilter && (upper == "AND" || upper == "OR")) {
          return Error(start, absl::StrCat("expected a clause, got ", name));
        }
      }
    } else {
      return Error(start, absl::StrCat("expected a key such as metrics.<name>, params.<name>, "
                                       "tags.<name> or an attribute, got ",
                                       Got(start)));
    }
    absl::string_view source = text_.substr(start, pos_ - start);

    const EntityRule* entity = nullptr;
    for (const EntityRule& e : schema_.entities) {
      if (has_prefix ? Contains(e.prefixes, prefix) : e.type == EntityType::kAttribute) {
        entity = &e;
        break;
      }
    }
    if (entity == nullptr) {
      std::vector<std::string> names;
      for (const EntityRule& e : schema_.entities) names.push_back(e.prefixes[0]);
      if (!has_prefix) {
        return Error(start,
                     absl::StrCat("'", name, "' needs a prefix; use ", absl::StrJoin(names, ", "),
                                  " (e.g. ", names[0], ".", name, ")"));
      }
      return Error(start, absl::StrCat("unknown entity type '", prefix, "'; use ",
                                       absl::StrJoin(names, ", ")));
    }
    if (name.empty()) return Error(name_pos, "the key is empty");

    Field field{entity->type, name, {}, source};
    if (entity->any_key) {
      field.rule = *entity->any_key;
    } else {
      const KeyRule* match = nullptr;
      for (const KeyRule& k : entity->keys) {
        for (const std::string& alias : k.names) {
          if (absl::EqualsIgnoreCase(alias, name)) match = &k;
        }
      }
      bool usable = match != nullptr &&
                    (mode_ == Mode::kFilter ? !match->rule.ops.empty() : match->rule.orderable);
      if (match != nullptr && !usable) {
        return Error(start, absl::StrCat("cannot ", mode_ == Mode::kFilter ? "filter " : "order ",
                                         schema_.noun, " by ", source));
      }
      if (!usable) {
        std::vector<std::string> valid;
        for (const KeyRule& k : entity->keys) {
          if (mode_ == Mode::kFilter ? !k.rule.ops.empty() : k.rule.orderable) {
            valid.push_back(k.names[0]);
          }
        }
        absl::string_view what =
            entity->type == EntityType::kDataset ? "dataset field" : "attribute";
        return Error(name_pos, absl::StrCat("unknown ", what, " '", name, "' for ",
                                            mode_ == Mode::kFilter ? "filtering " : "ordering ",
                                            schema_.noun, "; use ", absl::StrJoin(valid, ", ")));
      }
      field.key = match->names[0];
      field.rule = match->rule;
    }
    if (mode_ == Mode::kFilter && field.rule.ops.empty()) {
      return Error(start, absl::StrCat("cannot filter ", schema_.noun, " by ", source));
    }
    if (mode_ == Mode::kOrderBy && !field.rule.orderable) {
      return Error(start, absl::StrCat("cannot order ", schema_.noun, " by ", source));
    }
    return field;
  }

  absl::StatusOr<std::string> ParseOperator(const Field& field) {
    SkipSpace();
    size_t pos = pos_;
    std::string op;
    if (!AtEnd() && IsOperatorChar(Peek())) {
      op = ReadWhile(IsOperatorChar);
      if (!Contains(kNumericOps, op)) {
        return Error(pos, absl::StrCat("unknown operator '", op, "'"));
      }
    } else if (!AtEnd() && absl::ascii_isalpha(static_cast<unsigned char>(Peek()))) {
      op = absl::AsciiStrToUpper(ReadWhile(IsNameChar));
      if (op == "NOT") {
        SkipSpace();
        size_t in_pos = pos_;
        if (absl::AsciiStrToUpper(ReadWhile(IsNameChar)) != "IN") {
          return Error(in_pos, absl::StrCat("expected IN after NOT, got ", Got(in_pos)));
        }
        op = "NOT IN";
      } else if (op == "IS") {
        return Error(pos, "IS NULL / IS NOT NULL comparisons are not supported");
      } else if (op != "LIKE" && op != "ILIKE" && op != "IN") {
        op.clear();
      }
    }
    if (op.empty()) {
      return Error(pos, absl::StrCat("expected an operator (", absl::StrJoin(field.rule.ops, ", "),
                                     ") after '", field.source, "', got ", Got(pos)));
    }
    if (!Contains(field.rule.ops, op)) {
      return Error(pos, absl::StrCat("operator ", op, " is not supported for ", field.source,
                                     "; use ", absl::StrJoin(field.rule.ops, ", ")));
    }
    return op;
  }

  // ( 'a' [, 'b']* )
  absl::StatusOr<std::vector<std::string>> ParseList(absl::string_view after) {
    if (AtEnd() || Peek() != '(') {
      return Error(pos_, absl::StrCat("expected a parenthesized list of quoted strings after '",
                                      after, "', got ", Got(pos_)));
    }
    ++pos_;
    std::vector<std::string> values;
    while (true) {
      SkipSpace();
      if (values.empty() && !AtEnd() && Peek() == ')') {
        return Error(pos_, absl::StrCat("the list after '", after, "' is empty"));
      }
      if (AtEnd() || (Peek() != '\'' && Peek() != '"')) {
        return Error(pos_, absl::StrCat("expected a quoted string in the list after '", after,
                                        "', got ", Got(pos_)));
      }
      if (values.size() == kMaxListValues) {
        return Error(pos_, absl::StrCat("the list after '", after, "' may have at most ",
                                        kMaxListValues, " values"));
      }
      ASSIGN_OR_RETURN(std::string value, ReadQuoted());
      values.push_back(std::move(value));
      SkipSpace();
      if (!AtEnd() && Peek() == ',') {
        ++pos_;
        continue;
      }
      if (!AtEnd() && Peek() == ')') {
        ++pos_;
        return values;
      }
      return Error(pos_, absl::StrCat("expected ',' or ')' in the list after '", after, "', got ",
                                      Got(pos_)));
    }
  }

  // A quoted string or identifier at pos_; the quote is doubled ('it''s')
  // or backslash-escaped ('it\'s') inside.
  absl::StatusOr<std::string> ReadQuoted() {
    size_t start = pos_;
    char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (AtEnd()) {
        return Error(start, absl::StrCat("unterminated quoted string starting with ",
                                         std::string(1, quote)));
      }
      char c = text_[pos_];
      bool has_next = pos_ + 1 < text_.size();
      if (c == quote && has_next && text_[pos_ + 1] == quote) {
        out.push_back(quote);
        pos_ += 2;
      } else if (c == quote) {
        ++pos_;
        return out;
      } else if (c == '\\' && has_next && (text_[pos_ + 1] == quote || text_[pos_ + 1] == '\\')) {
        out.push_back(text_[pos_ + 1]);
        pos_ += 2;
      } else {
        out.push_back(c);
        ++pos_;
      }
    }
  }

  // [+-] digits [. digits] [e [+-] digits], not followed by a name character.
  // Leaves pos_ unchanged when there is no number.
  std::optional<double> ReadNumber() {
    size_t p = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (p < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[p]))) {
        ++p;
        ++n;
      }
      return n;
    };
    if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
    size_t n = digits();
    if (p < text_.size() && text_[p] == '.') {
      ++p;
      n += digits();
    }
    if (n == 0) return std::nullopt;
    if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E')) {
      size_t mark = p++;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (digits() == 0) p = mark;
    }
    if (p < text_.size() && IsNameChar(text_[p])) return std::nullopt;
    std::string token(text_.substr(pos_, p - pos_));
    pos_ = p;
    return std::strtod(token.c_str(), nullptr);
  }

  template <typename Pred>
  std::string ReadWhile(Pred pred) {
    size_t start = pos_;
    while (!AtEnd() && pred(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // The token at or after `pos` for messages: "end of filter", a quoted
  // string with its quotes, or a run of name characters.
  std::string Got(size_t pos) const {
    while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
    if (pos >= text_.size()) {
      return mode_ == Mode::kFilter ? "end of filter" : "end of clause";
    }
    size_t end = pos + 1;
    char c = text_[pos];
    if (c == '\'' || c == '"' || c == '`') {
      while (end < text_.size() && text_[end] != c) ++end;
      if (end < text_.size()) ++end;
    } else if (IsNameChar(c)) {
      while (end < text_.size() && IsNameChar(text_[end])) ++end;
    }
    constexpr size_t kMax = 40;
    absl::string_view token = text_.substr(pos, end - pos);
    if (token.size() > kMax) return absl::StrCat(token.substr(0, kMax), "...");
    return std::string(token);
  }

  absl::Status Error(size_t pos, absl::string_view what) const {
    if (mode_ == Mode::kFilter) {
      return InvalidParameter(
          absl::StrCat("Invalid search filter at column ", pos + 1, ": ", what));
    }
    return InvalidParameter(
        absl::StrCat("Invalid order_by clause '", text_, "' at column ", pos + 1, ": ", what));
  }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  absl::string_view text_;
  const SearchSchema& schema_;
  Mode mode_;
  size_t pos_ = 0;
  size_t last_clause_end_ = 0;
};

}  // namespace

absl::string_view EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kMetric:
      return "metrics";
    case EntityType::kParam:
      return "params";
    case EntityType::kTag:
      return "tags";
    case EntityType::kAttribute:
      return "attributes";
    case EntityType::kDataset:
      return "datasets";
  }
  return "unknown";
}

const SearchSchema& RunSearchSchema() {
  static const SearchSchema* const kSchema =
      new SearchSchema{"runs",
                       {Metrics(),
                        Params(),
                        Tags(true),
                        Attributes({
                            {{"run_id"}, {ValueKind::kString, kIdOps, true}},
                            {{"run_name"}, String()},
                            {{"status"}, String()},
                            {{"user_id"}, String()},
                            {{"artifact_uri"}, String()},
                            {{"lifecycle_stage"}, String()},
                            {{"start_time", "created"}, Numeric()},
                            {{"end_time"}, Numeric()},
                        }),
                        {EntityType::kDataset,
                         {"datasets", "dataset"},
                         std::nullopt,
                         {{{"name"}, Unordered({ValueKind::kString, kStringAndListOps})},
                          {{"digest"}, Unordered({ValueKind::kString, kStringAndListOps})},
                          {{"context"}, Unordered({ValueKind::kString, kStringAndListOps})}}}}};
  return *kSchema;
}

const SearchSchema& ExperimentSearchSchema() {
  static const SearchSchema* const kSchema =
      new SearchSchema{"experiments",
                       {Tags(false), Attributes({
                                         {{"name"}, String()},
                                         {{"creation_time"}, Numeric()},
                                         {{"last_update_time"}, Numeric()},
                                         {{"experiment_id"}, OrderOnly()},
                                     })}};
  return *kSchema;
}

const SearchSchema& RegisteredModelSearchSchema() {
  static const SearchSchema* const kSchema =
      new SearchSchema{"registered models",
                       {Tags(false), Attributes({
                                         {{"name"}, String()},
                                         {{"creation_timestamp"}, OrderOnly()},
                                         {{"last_updated_timestamp"}, OrderOnly()},
                                     })}};
  return *kSchema;
}

const SearchSchema& ModelVersionSearchSchema() {
  static const SearchSchema* const kSchema =
      new SearchSchema{"model versions",
                       {Tags(false), Attributes({
                                         {{"name"}, String()},
                                         {{"run_id"}, {ValueKind::kString, kIdOps, false}},
                                         {{"source_path"}, Unordered(String())},
                                         {{"version_number"}, Numeric()},
                                         {{"creation_timestamp"}, OrderOnly()},
                                         {{"last_updated_timestamp"}, OrderOnly()},
                                     })}};
  return *kSchema;
}

absl::StatusOr<std::vector<Comparison>> ParseSearchFilter(absl::string_view filter,
                                                          const SearchSchema& schema) {
  return Parser(filter, schema, Parser::Mode::kFilter).ParseFilter();
}

absl::StatusOr<std::vector<Comparison>> ParseSearchFilter(absl::string_view filter) {
  return ParseSearchFilter(filter, RunSearchSchema());
}

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view clause, const SearchSchema& schema) {
  return Parser(clause, schema, Parser::Mode::kOrderBy).ParseOrderBy();
}

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view clause) {
  return ParseOrderBy(clause, RunSearchSchema());
}

absl::StatusOr<std::vector<OrderBy>> ParseOrderByList(const std::vector<std::string>& clauses,
                                                      const SearchSchema& schema) {
  std::vector<OrderBy> out;
  std::set<std::pair<EntityType, std::string>> seen;
  for (const std::string& clause : clauses) {
    ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(clause, schema));
    if (!seen.insert({order.type, order.key}).second) {
      return InvalidParameter(absl::StrCat("order_by names ", EntityTypeName(order.type), ".",
                                           order.key, " more than once"));
    }
    out.push_back(std::move(order));
  }
  return out;
}

}  // namespace plinth::tracking
