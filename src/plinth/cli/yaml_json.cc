#include "plinth/cli/yaml_json.h"

#include <cmath>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/status_macros.h"
#include "plinth/common/text.h"
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

// Converts a loaded document to JSON, refusing what a spec never needs and
// a hostile file uses: nesting past kMaxJsonDepth, aliases that expand to
// millions of values (a "billion laughs" document is a few hundred bytes
// whose aliases fan out exponentially), and a key given twice in one map
// (where the last would silently win).
class Converter {
 public:
  explicit Converter(const std::string& source) : source_(source) {}

  absl::StatusOr<Json> Convert(const YAML::Node& node, int depth) {
    if (++values_ > kMaxValues) {
      return Error(node, absl::StrCat("expands to more than ", kMaxValues,
                                      " values (aliases that repeat each other?)"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        if (depth >= kMaxJsonDepth) return DepthError(node);
        Json out = Json::object();
        for (const auto& entry : node) {
          std::string key = entry.first.as<std::string>();
          if (out.contains(key)) {
            return Error(entry.first,
                         absl::StrCat("duplicate key '", Abbreviate(key), "': give each key once"));
          }
          ASSIGN_OR_RETURN(out[key], Convert(entry.second, depth + 1));
        }
        return out;
      }
      case YAML::NodeType::Sequence: {
        if (depth >= kMaxJsonDepth) return DepthError(node);
        Json out = Json::array();
        for (const auto& item : node) {
          ASSIGN_OR_RETURN(Json value, Convert(item, depth + 1));
          out.push_back(std::move(value));
        }
        return out;
      }
      case YAML::NodeType::Scalar:
        return Scalar(node);
      default:
        return nullptr;
    }
  }

 private:
  static constexpr int64_t kMaxValues = 1'000'000;

  absl::Status Error(const YAML::Node& at, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", at.Mark().line + 1, ": ", what));
  }
  absl::Status DepthError(const YAML::Node& at) const {
    return Error(at, absl::StrCat("nests deeper than ", kMaxJsonDepth, " levels"));
  }

  const std::string& source_;
  int64_t values_ = 0;
};

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
    // A string that does not even parse as YAML (found by the fuzzer:
    // "'{cpu: 1}\nnam ...") is quoted too.
    bool quote = true;
    try {
      YAML::Node probe = YAML::Load(s.empty() ? "\"\"" : s);
      quote = s.empty() || !probe.IsScalar() || !Scalar(probe).is_string() ||
              Scalar(probe).get<std::string>() != s;
    } catch (const YAML::Exception&) {
    }
    if (quote) out << YAML::DoubleQuoted;
    out << s;
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

// Documents in a YAML stream: each "---" marker at the start of a line
// begins one, and content before the first marker is one more. (A "---"
// inside a block scalar is indented, so it is not counted.)
int CountDocuments(const std::string& text) {
  int markers = 0;
  bool content_before_marker = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "---") &&
        (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r')) {
      ++markers;
      continue;
    }
    absl::string_view body = absl::StripAsciiWhitespace(line);
    if (markers == 0 && !body.empty() && body[0] != '#' && body[0] != '%') {
      content_before_marker = true;
    }
  }
  return markers + (content_before_marker ? 1 : 0);
}

}  // namespace

std::string JsonToYaml(const Json& value) {
  YAML::Emitter out;
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

absl::StatusOr<Json> YamlToJson(const std::string& text, const std::string& source) {
  // YAML allows no C0 control characters but tab, LF and CR; yaml-cpp 0.7
  // loops forever on some inputs holding NUL (found by the fuzzer), so they
  // are refused before it sees them.
  int line = 1;
  for (unsigned char c : text) {
    if (c == '\n') ++line;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": control character ",
                                                     absl::Hex(c, absl::kZeroPad2),
                                                     " is not allowed in YAML"));
    }
  }
  if (int docs = CountDocuments(text); docs > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": holds ", docs, " documents; submit one job per file"));
  }
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": is not valid UTF-8 text"));
  }
  try {
    // YAML::Load, not LoadAll: LoadAll never returns on some invalid
    // inputs (a lone ","; found by the fuzzer).
    YAML::Node doc = YAML::Load(text);
    if (doc.IsNull())
      return absl::InvalidArgumentError(absl::StrCat(source, ": the file is empty"));
    return Converter(source).Convert(doc, 0);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
}

}  // namespace plinth::cli
