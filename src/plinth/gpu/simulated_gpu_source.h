// A GPU inventory built from configuration instead of hardware: tests,
// capacity planning and GPU-less machines run the scheduler against
// clusters such as "2x8xH100-80GB,4x4xA100-40GB".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plinth/gpu/gpu_source.h"

namespace plinth::gpu {

// One group of identical nodes. Nodes are named "<name_prefix>-<n>", n
// counting from 0 across every group that shares the prefix, in order, so
// names are unique.
struct SimulatedNodeGroup {
  std::string name_prefix = "sim";
  int nodes = 1;
  int gpus_per_node = 8;
  std::string model;           // flavor name, e.g. "H100-80GB"
  int64_t gpu_memory_mib = 0;  // 0: from the model's "-<N>GB" suffix
  int cpus = 0;                // 0: 16 per GPU
  int64_t memory_mib = 0;      // 0: 128 GiB per GPU
  int mig_gpus_per_node = 0;   // the first N GPUs of each node have MIG mode on
};

// Limits Create enforces.
inline constexpr int kMaxSimulatedGpusPerNode = 16;
inline constexpr int kMaxSimulatedNodes = 10000;
// MIG needs an 80 GB-class GPU (the geometry in mig_profiles.h); NVML
// reports 81559 MiB for an H100 80GB, hence the threshold below 80 GiB.
inline constexpr int64_t kMinMigGpuMemoryMib = 80000;

// Parses the CLI shorthand: comma-separated groups
// "<nodes>x<gpus-per-node>x<model>[:mig=<n>]", e.g. "2x8xH100-80GB" or
// "2x8xH100-80GB,1x8xA100-80GB:mig=2". A single group names its nodes
// "node-0".."node-<nodes-1>"; with several groups each group's prefix is its
// lowercased model ("h100-80gb-0"). InvalidArgument names the bad group.
absl::StatusOr<std::vector<SimulatedNodeGroup>> ParseSimulatedShorthand(const std::string& text);

// The problems with one group (ranges, model memory, MIG rules), or OK.
absl::Status ValidateSimulatedGroup(const SimulatedNodeGroup& group);

// Thread-safe: the inventory is fixed at creation. GPU UUIDs are derived
// from the node name and GPU index, so restarts report the same ids.
// Telemetry fields are 0; MIG-enabled GPUs have no instances (the scheduler
// places them).
class SimulatedGpuSource : public GpuSource {
 public:
  static absl::StatusOr<std::unique_ptr<SimulatedGpuSource>> Create(
      std::vector<SimulatedNodeGroup> groups);

  std::string Name() const override { return "simulated"; }
  absl::StatusOr<std::vector<Node>> Discover() override { return nodes_; }

 private:
  explicit SimulatedGpuSource(std::vector<Node> nodes) : nodes_(std::move(nodes)) {}

  const std::vector<Node> nodes_;
};

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" from a hash of node and index.
std::string SimulatedGpuUuid(const std::string& node, int index);

}  // namespace plinth::gpu
