#include "plinth/gpu/gpu_source_factory.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/nvml_gpu_source.h"

namespace plinth::gpu {

absl::StatusOr<std::unique_ptr<GpuSource>> MakeGpuSource(const GpuConfig& config) {
  std::string source = config.source;
  if (source == "auto") source = config.simulated.empty() ? "nvml" : "simulated";
  if (source == "simulated") {
    if (config.simulated.empty()) {
      return absl::InvalidArgumentError(
          "gpus.source is 'simulated' but gpus.simulated lists no nodes; add a group such as "
          "{nodes: 1, gpus_per_node: 8, model: H100-80GB}");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SimulatedGpuSource> simulated,
                     SimulatedGpuSource::Create(config.simulated));
    return std::unique_ptr<GpuSource>(std::move(simulated));
  }
  if (source == "nvml") {
    if (!config.simulated.empty()) {
      return absl::InvalidArgumentError(
          "gpus.source is 'nvml' but gpus.simulated is set; remove gpus.simulated or set "
          "gpus.source to simulated");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<NvmlGpuSource> nvml, NvmlGpuSource::Create());
    return std::unique_ptr<GpuSource>(std::move(nvml));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown gpus.source '", config.source,
                                                 "'; valid sources: auto, nvml, simulated"));
}

}  // namespace plinth::gpu
