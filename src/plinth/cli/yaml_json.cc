#include "plinth/cli/yaml_json.h"

#include <cmath>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace plinth::cli {
namespace {

Json Scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.?[0-9]*)([eE][-+]?[0-9]+)?");
  int64_t i = 0;
  if (std::regex_match(text, kInt) && absl::SimpleAtoi(text, &i)) return i;
  double d = 0;
  if (std::regex_match(text, kFloat) && absl::SimpleAtod(text, &d) && std::isfinite(d)) return d;
  return text;
}

Json Convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = Convert(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(Convert(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return Scalar(node);
    default:
      return nullptr;
  }
}

void Emit(YAML::Emitter& out, const Json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : value.items()) {
      out << YAML::Key << k << YAML::Value;
      Emit(out, v);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const Json& v : value) Emit(out, v);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    // Strings that would read back as another type are quoted.
    const std::string& s = value.get_ref<const std::string&>();
    YAML::Node probe = YAML::Load(s.empty() ? "\"\"" : s);
    bool quote = s.empty() || !probe.IsScalar() || !Scalar(probe).is_string() ||
                 Scalar(probe).get<std::string>() != s;
    if (quote) out << YAML::DoubleQuoted;
    out << s;
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

}  // namespace

std::string JsonToYaml(const Json& value) {
  YAML::Emitter out;
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

absl::StatusOr<Json> YamlToJson(const std::string& text, const std::string& source) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    if (docs.empty() || docs[0].IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": the file is empty"));
    }
    if (docs.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": holds ", docs.size(), " documents; submit one job per file"));
    }
    return Convert(docs[0]);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
}

}  // namespace plinth::cli
