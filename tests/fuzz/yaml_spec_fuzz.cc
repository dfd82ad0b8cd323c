// Job YAML as the CLI reads it (aliases, depth, duplicate keys), then the
// spec reader the server applies to the JSON the CLI sends.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plinth/cli/yaml_json.h"
#include "plinth/jobs/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<plinth::Json> json = plinth::cli::YamlToJson(text, "fuzz.yaml");
  if (!json.ok()) return 0;
  (void)plinth::cli::JsonToYaml(*json);
  (void)plinth::jobs::ParseJobSpec(*json);
  return 0;
}
