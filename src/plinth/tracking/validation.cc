#include "plinth/tracking/validation.h"

#include <cctype>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::tracking {
namespace {

bool IsKeyChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '/' || c == '.' || c == '-' || c == ' ' || c >= 0x80;
}

std::string Shown(const std::string& value) {
  return value.size() > 60 ? value.substr(0, 60) + "..." : value;
}

// The cheap test of ValidateKey's rules, without building a message: a
// 1000-metric batch checks 1000 keys that are almost always valid.
bool IsValidKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyLength || key[0] == '/') return false;
  char previous = 0;
  for (unsigned char c : key) {
    if (!IsKeyChar(c)) return false;
    if ((c == '.' || c == '/') && previous == c) return false;  // ".." or "//"
    previous = static_cast<char>(c);
  }
  return true;
}

}  // namespace

absl::Status ValidateKey(const std::string& key, const std::string& field) {
  if (key.empty()) {
    return InvalidParameter(absl::StrCat("Missing value for required parameter '", field, "'"));
  }
  if (key.size() > kMaxKeyLength) {
    return InvalidParameter(absl::StrCat("'", field, "' is ", key.size(),
                                         " characters long; the limit is ", kMaxKeyLength));
  }
  for (unsigned char c : key) {
    if (!IsKeyChar(c)) {
      return InvalidParameter(absl::StrCat(
          "Invalid value '", Shown(key), "' for parameter '", field,
          "': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
          "spaces ( ), and slashes (/)"));
    }
  }
  if (absl::StartsWith(key, "/") || absl::StrContains(key, "..") || absl::StrContains(key, "//")) {
    return InvalidParameter(absl::StrCat("Invalid value '", Shown(key), "' for parameter '", field,
                                         "': names may not start with '/' or contain '..' or "
                                         "'//', so they cannot escape their directory"));
  }
  return absl::OkStatus();
}

absl::Status ValidateParamValue(const std::string& value, const std::string& field) {
  if (value.size() > kMaxParamValueLength) {
    return InvalidParameter(absl::StrCat("'", field, "' is ", value.size(),
                                         " characters long; param values are limited to ",
                                         kMaxParamValueLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateTagValue(const std::string& value, const std::string& field) {
  if (value.size() > kMaxTagValueLength) {
    return InvalidParameter(absl::StrCat("'", field, "' is ", value.size(),
                                         " characters long; tag values are limited to ",
                                         kMaxTagValueLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateExperimentName(const std::string& name) {
  if (name.empty()) {
    return InvalidParameter(
        "Missing value for required parameter 'name': give the experiment "
        "a non-empty name");
  }
  if (name.size() > kMaxExperimentNameLength) {
    return InvalidParameter(absl::StrCat("experiment name is ", name.size(),
                                         " characters long; the limit is ",
                                         kMaxExperimentNameLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateRunName(const std::string& name) {
  if (name.size() > kMaxRunNameLength) {
    return InvalidParameter(absl::StrCat("run name is ", name.size(),
                                         " characters long; the limit is ", kMaxRunNameLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateTimestamp(int64_t timestamp, const std::string& field) {
  if (timestamp < 0) {
    return InvalidParameter(absl::StrCat("'", field, "' is ", timestamp,
                                         "; timestamps are milliseconds since the epoch, >= 0"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const std::vector<Metric>& metrics, const std::vector<KeyValue>& params,
                           const std::vector<KeyValue>& tags) {
  if (metrics.size() > kMaxBatchMetrics || params.size() > kMaxBatchParams ||
      tags.size() > kMaxBatchTags ||
      metrics.size() + params.size() + tags.size() > kMaxBatchEntities) {
    return InvalidParameter(
        absl::StrCat("A batch logging request can contain at most ", kMaxBatchMetrics, " metrics, ",
                     kMaxBatchParams, " params, and ", kMaxBatchTags, " tags, and at most ",
                     kMaxBatchEntities, " in total; got ", metrics.size(), " metrics, ",
                     params.size(), " params and ", tags.size(), " tags: split the batch"));
  }
  for (size_t i = 0; i < metrics.size(); ++i) {
    // Field names are formatted only for a metric that fails.
    if (IsValidKey(metrics[i].key) && metrics[i].timestamp >= 0) continue;
    RETURN_IF_ERROR(ValidateKey(metrics[i].key, absl::StrCat("metrics[", i, "].key")));
    RETURN_IF_ERROR(
        ValidateTimestamp(metrics[i].timestamp, absl::StrCat("metrics[", i, "].timestamp")));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < params.size(); ++i) {
    RETURN_IF_ERROR(ValidateKey(params[i].key, absl::StrCat("params[", i, "].key")));
    RETURN_IF_ERROR(ValidateParamValue(params[i].value, absl::StrCat("params[", i, "].value")));
    if (!seen.insert(params[i].key).second) {
      return InvalidParameter(absl::StrCat("Duplicate parameter keys have been submitted: '",
                                           params[i].key, "' appears more than once in params"));
    }
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    RETURN_IF_ERROR(ValidateKey(tags[i].key, absl::StrCat("tags[", i, "].key")));
    RETURN_IF_ERROR(ValidateTagValue(tags[i].value, absl::StrCat("tags[", i, "].value")));
  }
  return absl::OkStatus();
}

}  // namespace plinth::tracking
