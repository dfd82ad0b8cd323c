#include "plinth/jobs/spec_reader.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "plinth/common/text.h"

namespace plinth::jobs {

absl::StatusOr<SpecReader> SpecReader::Make(const Json& object, std::string path) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.empty() ? "spec" : path, ": expected an object, got ", ShowJson(object)));
  }
  return SpecReader(object, std::move(path));
}

std::string SpecReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : absl::StrCat(path_, ".", key);
}

absl::Status SpecReader::Error(const std::string& key, const std::string& message) const {
  return absl::InvalidArgumentError(absl::StrCat(Abbreviate(PathOf(key)), ": ", message));
}

const Json* SpecReader::Get(const std::string& key) {
  known_.insert(key);
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

void SpecReader::Ignore(const std::vector<std::string>& keys) {
  known_.insert(keys.begin(), keys.end());
}

absl::StatusOr<std::optional<std::string>> SpecReader::String(const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) return Error(key, absl::StrCat("expected a string, got ", ShowJson(*v)));
  return v->get<std::string>();
}

absl::StatusOr<std::optional<int64_t>> SpecReader::Int(const std::string& key, int64_t min,
                                                       int64_t max) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  double d = v->is_number() ? v->get<double>() : NAN;
  if (!v->is_number() || d != std::floor(d) || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    return Error(key, absl::StrCat(ShowJson(*v), " is not valid; expected a whole number from ",
                                   min, " to ", max));
  }
  return static_cast<int64_t>(d);
}

absl::StatusOr<std::optional<double>> SpecReader::Number(const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (v->is_string()) {  // YAML users quote numbers now and then
    char* end = nullptr;
    std::string s = v->get<std::string>();
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return d;
  }
  if (!v->is_number() || !std::isfinite(v->get<double>())) {
    return Error(key, absl::StrCat("expected a number, got ", ShowJson(*v)));
  }
  return v->get<double>();
}

absl::StatusOr<std::optional<bool>> SpecReader::Bool(const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean())
    return Error(key, absl::StrCat("expected true or false, got ", ShowJson(*v)));
  return v->get<bool>();
}

absl::StatusOr<std::optional<std::vector<std::string>>> SpecReader::StringList(
    const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_array())
    return Error(key, absl::StrCat("expected a list of strings, got ", ShowJson(*v)));
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else if (item.is_number() || item.is_boolean()) {
      out.push_back(item.dump());  // YAML: args: [--epochs, 3]
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(PathOf(key), "[", i, "]: expected a string, got ", ShowJson(item)));
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::map<std::string, std::string>>> SpecReader::StringMap(
    const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) return Error(key, absl::StrCat("expected an object, got ", ShowJson(*v)));
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->items()) {
    if (item.is_string()) {
      out[k] = item.get<std::string>();
    } else if (item.is_number() || item.is_boolean()) {
      out[k] = item.dump();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(PathOf(key), ".", k, ": expected a string, got ", ShowJson(item)));
    }
  }
  return out;
}

absl::Status SpecReader::CheckNoUnknown() const {
  for (const auto& [key, value] : object_->items()) {
    if (!known_.count(key))
      return absl::InvalidArgumentError(absl::StrCat(Abbreviate(PathOf(key)), ": unknown field"));
  }
  return absl::OkStatus();
}

}  // namespace plinth::jobs
