#include "plinth/http/args.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/text.h"

namespace plinth::http {

absl::Status MissingParameter(const std::string& name) {
  return InvalidParameter(absl::StrCat("Missing value for required parameter '", name,
                                       "'. See the API docs for more information about "
                                       "request parameters."));
}

namespace {

// The Python type MLflow's server names for a JSON value.
const char* PythonTypeName(const Json& value) {
  if (value.is_boolean()) return "bool";
  if (value.is_number_integer()) return "int";
  if (value.is_number()) return "float";
  if (value.is_string()) return "str";
  if (value.is_array()) return "list";
  if (value.is_object()) return "dict";
  return "NoneType";
}

}  // namespace

absl::Status InvalidValue(const std::string& name, const Json& value, const std::string& /*want*/) {
  std::string shown = ShowJson(value);
  return InvalidParameter(absl::StrCat("Invalid value ", shown, " for parameter '", name,
                                       "' supplied. Hint: Value was of type '",
                                       PythonTypeName(value),
                                       "'. See the API docs for more information about request "
                                       "parameters."));
}

absl::StatusOr<Args> Args::FromRequest(const Request& request) {
  if (request.method == "GET" || request.method == "HEAD" ||
      (request.body.empty() && !request.query.empty())) {
    Json object = Json::object();
    for (const auto& [key, value] : request.query) {
      // JSON bodies are checked by the parser; the query string is raw bytes.
      if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
        return BadRequest(absl::StrCat("query parameter '", Abbreviate(key),
                                       "' is not valid UTF-8: percent-encode UTF-8 text"));
      }
      if (!object.contains(key)) {
        object[key] = value;
      } else {
        if (!object[key].is_array()) object[key] = Json::array({object[key]});
        object[key].push_back(value);
      }
    }
    return Args(std::move(object));
  }
  if (request.body.empty()) return Args(Json::object());
  auto parsed = ParseJsonLenient(request.body);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return BadRequest("request body must be a JSON object");
  return Args(*std::move(parsed));
}

const Json* Args::Find(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Args::Has(const std::string& name) const { return Find(name) != nullptr; }

absl::StatusOr<std::optional<std::string>> Args::String(const std::string& name) const {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_array() && v->size() == 1 && (*v)[0].is_string()) return (*v)[0].get<std::string>();
  return InvalidValue(name, *v, "must be a string");
}

absl::StatusOr<std::string> Args::RequiredString(const std::string& name) const {
  auto v = String(name);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return MissingParameter(name);
  return **v;
}

absl::StatusOr<std::string> Args::RequiredStringOneOf(const std::vector<std::string>& names) const {
  for (const auto& name : names) {
    auto v = String(name);
    if (!v.ok()) return v.status();
    if (v->has_value() && !(*v)->empty()) return **v;
  }
  return MissingParameter(names.front());
}

absl::StatusOr<std::optional<int64_t>> Args::Int64(const std::string& name) const {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  const Json& scalar = (v->is_array() && v->size() == 1) ? (*v)[0] : *v;
  auto parsed = JsonToInt64(scalar);
  if (!parsed.ok()) return InvalidValue(name, *v, "must be an integer");
  return *parsed;
}

absl::StatusOr<std::optional<double>> Args::Double(const std::string& name) const {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  const Json& scalar = (v->is_array() && v->size() == 1) ? (*v)[0] : *v;
  auto parsed = JsonToDouble(scalar);
  if (!parsed.ok()) return InvalidValue(name, *v, "must be a number");
  return *parsed;
}

absl::StatusOr<std::optional<bool>> Args::Bool(const std::string& name) const {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s == "true" || s == "True" || s == "1") return true;
    if (s == "false" || s == "False" || s == "0") return false;
  }
  return InvalidValue(name, *v, "must be true or false");
}

absl::StatusOr<std::vector<std::string>> Args::StringList(const std::string& name) const {
  const Json* v = Find(name);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) return InvalidValue(name, *v, "must be a list of strings");
  for (const auto& item : *v) {
    if (!item.is_string()) return InvalidValue(name, *v, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace plinth::http
