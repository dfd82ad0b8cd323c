// GPU inventory: which nodes exist and which GPUs (and MIG instances) each
// has. A GpuSource discovers it: `nvml` reads the real devices through
// libnvidia-ml.so.1 loaded at run time; `simulated` builds the inventory
// from configuration so that tests, capacity planning and machines without
// GPUs exercise multi-node, MIG and fractional placement.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::gpu {

// One MIG GPU instance (a slice of a physical GPU).
struct MigInstance {
  std::string uuid;     // "MIG-<uuid>" as CUDA_VISIBLE_DEVICES accepts it
  std::string profile;  // "3g.40gb"
  int start = 0;        // first memory slice (placement start, 0..7); -1: NVML did not say
  int64_t memory_total_mib = 0;
};

struct Gpu {
  int index = 0;             // NVML index on its node
  std::string uuid;          // "GPU-<uuid>"
  std::string model;         // normalized flavor name, e.g. "H100-80GB" (see NormalizeModelName)
  std::string product_name;  // as NVML reports it, e.g. "NVIDIA H100 80GB HBM3"
  int64_t memory_total_mib = 0;
  int64_t memory_used_mib = 0;
  int utilization_pct = 0;                 // last sample, 0..100
  int memory_util_pct = 0;                 // memory-copy utilisation, 0..100
  int64_t power_mw = 0;                    // 0 when unknown
  int temperature_c = 0;                   // 0 when unknown
  bool mig_enabled = false;                // MIG mode on: only MIG-profile requests land here
  std::vector<MigInstance> mig_instances;  // existing instances (real devices)
};

struct Node {
  std::string name;  // host name; simulated nodes are "<prefix>-<n>"
  int cpus = 0;
  int64_t memory_mib = 0;
  std::vector<Gpu> gpus;
};

class GpuSource {
 public:
  virtual ~GpuSource() = default;
  // "nvml" or "simulated".
  virtual std::string Name() const = 0;
  // The current inventory with fresh telemetry. A machine without NVML gives
  // an empty list (no GPUs), not an error. Thread-safe.
  virtual absl::StatusOr<std::vector<Node>> Discover() = 0;
};

}  // namespace plinth::gpu
