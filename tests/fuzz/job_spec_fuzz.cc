// Job specs as `POST /api/v1/jobs` reads them: JSON, then the native or
// PyTorchJob reader and validation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plinth/common/json.h"
#include "plinth/jobs/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<plinth::Json> parsed = plinth::ParseJsonLenient(text);
  if (!parsed.ok()) return 0;
  absl::StatusOr<plinth::jobs::JobSpec> spec = plinth::jobs::ParseJobSpec(*parsed);
  if (spec.ok()) (void)plinth::jobs::ValidateJobSpec(*spec);
  return 0;
}
