// YAML documents (job specs, PyTorchJob manifests) as JSON, the form the
// API takes. Scalars get JSON types the way YAML 1.2's core schema reads
// them: quoted values stay strings; true/false, null/~ and numbers convert.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"

namespace plinth::cli {

// Parses one YAML document. Errors name the line ("job.yaml:3: ...").
absl::StatusOr<Json> YamlToJson(const std::string& text, const std::string& source);
// Renders JSON as a block-style YAML document (for manifests people read).
std::string JsonToYaml(const Json& value);

}  // namespace plinth::cli
