// The GPUs of this machine, read through NVML. libnvidia-ml.so.1 is loaded
// at run time, so the binary runs (and reports no GPUs) where there is no
// NVIDIA driver.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/gpu/nvml_types.h"

namespace plinth::gpu {

struct NvmlApi;  // resolved symbols, nvml_gpu_source.cc

class NvmlGpuSource : public GpuSource {
 public:
  // Loads and initialises `library` (a soname or a path). A missing library,
  // missing required symbols or a failing nvmlInit (driver not loaded) are
  // not errors: they are logged once and Discover() reports no GPUs.
  static absl::StatusOr<std::unique_ptr<NvmlGpuSource>> Create(
      const std::string& library = "libnvidia-ml.so.1");
  ~NvmlGpuSource() override;  // nvmlShutdown, dlclose

  std::string Name() const override { return "nvml"; }
  // One node (this host) with every GPU NVML lists, or no nodes when NVML is
  // unavailable or lists no GPUs. A field NVML cannot read for one device is
  // left 0/empty; a device whose handle cannot be read is left out.
  // Unavailable when NVML, once working, cannot count its devices.
  absl::StatusOr<std::vector<Node>> Discover() override;

  // Whether NVML loaded and initialised.
  bool available() const { return api_ != nullptr; }

 private:
  explicit NvmlGpuSource(std::unique_ptr<NvmlApi> api);

  Gpu ReadGpu(int index, nvml::Device device) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<MigInstance> ReadMigInstances(nvml::Device device, const Gpu& parent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // NVML is documented thread-safe, but one lock keeps a Discover's view
  // consistent and serialises shutdown against readers.
  std::mutex mu_;
  const std::unique_ptr<NvmlApi> api_;  // null: no NVML here
};

}  // namespace plinth::gpu
