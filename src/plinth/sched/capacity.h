// Free capacity of the cluster during one scheduling pass, and placement of
// a gang onto it. Placement policy (REFERENCE.md, "GPU scheduling
// semantics"):
//  - whole GPUs: all GPUs of a replica on one node; the node with the fewest
//    free GPUs that still fits (best fit), so whole nodes stay free for big
//    gangs;
//  - fractions: onto the partly used GPU with the least room that fits, so
//    one GPU fills before the next is started; a fresh GPU is taken from the
//    best-fit node;
//  - MIG: a free start position on a MIG-enabled GPU (no overlapping memory
//    slices, at most 7 compute slices), preferring the fullest GPU.
//
// The inventory (node names, GPU models) is shared between copies, so that
// copying a ClusterState copies only what is free: a pass starts from a copy
// of a long-lived one (see Ledger in scheduler.h). Not thread-safe: one pass
// owns one ClusterState.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/gpu/mig_profiles.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

// The MIG profile called `name`, or null. Unlike gpu::FindMigProfile it
// neither copies nor formats an error, for the placement loops.
const gpu::MigProfile* MigProfileNamed(const std::string& name);

class ClusterState {
 public:
  explicit ClusterState(const std::vector<gpu::Node>& nodes);

  // Charges (or returns) resources held by an existing allocation. Entries
  // that name unknown nodes or GPUs are ignored (the inventory changed).
  void Charge(const Allocation& allocation);
  void Release(const Allocation& allocation);

  // Places every replica of `job` on GPUs of `flavor` (empty flavor: a
  // CPU-only job) and charges it; nullopt, with nothing charged, when the
  // whole gang does not fit. Nodes whose entry in `blocked` is true are
  // skipped (reserved for another job).
  std::optional<Allocation> Place(const JobRequest& job, const std::string& flavor,
                                  const std::vector<char>* blocked = nullptr);

  // GPU models present, in first-seen order; FlavorIndex numbers them.
  const std::vector<std::string>& flavors() const { return layout_->flavors; }
  int FlavorIndex(const std::string& flavor) const;
  double TotalGpus(const std::string& flavor) const;
  // Largest number of whole free GPUs of `flavor` on one node.
  int LargestFreeBlock(const std::string& flavor) const;
  // Whole free (non-MIG) GPUs of flavor number `f` in the cluster.
  int FreeWholeGpus(int f) const { return free_whole_total_[f]; }
  // How many replicas of `job` would fit one by one (for explanations).
  int ReplicasPlaceable(const JobRequest& job, const std::string& flavor);

  int node_count() const { return static_cast<int>(layout_->nodes.size()); }
  int NodeIndex(const std::string& name) const;

 private:
  struct NodeLayout {
    std::string name;
    int first_gpu = 0;  // this node's GPUs are gpus_[first_gpu, end_gpu)
    int end_gpu = 0;
    bool cpus_unlimited = false;    // the node reports no CPU count
    bool memory_unlimited = false;  // ... or no memory size
  };
  struct GpuLayout {
    int flavor = -1;
    bool mig_enabled = false;
    int mig_slot = -1;  // index into mig_ for MIG-enabled GPUs
  };
  struct Layout {
    std::vector<NodeLayout> nodes;
    absl::flat_hash_map<std::string, int> node_index;
    int max_gpus_per_node = 0;
    std::vector<GpuLayout> gpus;
    std::vector<std::string> flavors;
    std::vector<double> totals;  // GPUs per flavor
  };
  struct GpuState {
    double used = 0;  // fraction of a non-MIG GPU in use (1 = whole)
    int mig_compute = 0;
  };

  int flavor_count() const { return static_cast<int>(layout_->flavors.size()); }
  int FreeWhole(int node, int f) const { return free_whole_[node * flavor_count() + f]; }
  void AddFreeWhole(int node, int f, int delta);
  // Nodes with exactly `k` free whole GPUs of flavor `f`.
  int& NodesWithFree(int f, int k) { return free_hist_[f * (layout_->max_gpus_per_node + 1) + k]; }
  int NodesWithFree(int f, int k) const {
    return free_hist_[f * (layout_->max_gpus_per_node + 1) + k];
  }
  // Whether `replicas` blocks of `want` whole GPUs could fit by count (a
  // necessary condition; hosts and blocked nodes are not considered).
  bool WholeBlocksFit(int f, int want, int replicas) const;
  bool FitsHost(int node, const Resources& r) const;
  std::optional<ReplicaPlacement> PlaceReplica(const Resources& r, int f,
                                               const gpu::MigProfile* mig,
                                               const std::vector<char>* blocked);
  std::optional<ReplicaPlacement> PlaceWhole(const Resources& r, int f, int want,
                                             const std::vector<char>* blocked);
  std::optional<ReplicaPlacement> PlaceFraction(const Resources& r, int f,
                                                const std::vector<char>* blocked);
  std::optional<ReplicaPlacement> PlaceMig(const Resources& r, int f, const gpu::MigProfile& mig,
                                           const std::vector<char>* blocked);
  std::optional<ReplicaPlacement> PlaceHostOnly(const Resources& r,
                                                const std::vector<char>* blocked);
  void Apply(const ReplicaPlacement& placement, int sign);

  std::shared_ptr<const Layout> layout_;
  std::vector<GpuState> gpus_;
  std::vector<std::vector<gpu::MigPlacement>> mig_;  // per MIG-enabled GPU
  std::vector<double> cpus_free_;
  std::vector<int64_t> memory_free_;
  std::vector<int> free_whole_;        // node x flavor: free non-MIG GPUs
  std::vector<int> free_whole_total_;  // per flavor
  std::vector<int> free_hist_;         // flavor x (0..max GPUs per node): node counts
};

}  // namespace plinth::sched
