// Quantities in job specs: durations ("90s", "5m", "2h", "1h30m", or a number
// of seconds) and memory sizes ("512Mi", "16Gi", "16G", "1Ti", or a number
// of MiB), the forms Kubernetes and Slurm users write.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"

namespace plinth::jobs {

absl::StatusOr<int64_t> ParseDurationSeconds(const Json& value);
absl::StatusOr<int64_t> ParseMemoryMib(const Json& value);
// A CPU count: a number or a Kubernetes millicore string ("500m").
absl::StatusOr<double> ParseCpus(const Json& value);

}  // namespace plinth::jobs
