// Chooses the GPU source from configuration (`gpus.source`,
// `gpus.simulated`; docs/gpus.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/gpu/simulated_gpu_source.h"

namespace plinth::gpu {

struct GpuConfig {
  std::string source = "auto";  // auto | nvml | simulated
  std::vector<SimulatedNodeGroup> simulated;
};

// auto: simulated when groups are given, else nvml. InvalidArgument for an
// unknown source, "simulated" without groups, "nvml" with groups, or an
// invalid group.
absl::StatusOr<std::unique_ptr<GpuSource>> MakeGpuSource(const GpuConfig& config);

}  // namespace plinth::gpu
