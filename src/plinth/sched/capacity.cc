#include "plinth/sched/capacity.h"

#include <algorithm>
#include <cmath>

namespace plinth::sched {
namespace {

// Fractions are compared with a tolerance so that 0.1 + 0.2 + 0.7 fills a GPU.
constexpr double kEpsilon = 1e-9;

bool IsWhole(double gpus) { return gpus >= 1.0 - kEpsilon; }

// gpu::FindMigStart without its per-call profile copies.
std::optional<int> MigStart(const gpu::MigProfile& profile,
                            const std::vector<gpu::MigPlacement>& existing) {
  bool used[gpu::kMigMemorySlices] = {};
  int compute_used = 0;
  for (const gpu::MigPlacement& placed : existing) {
    const gpu::MigProfile* other = MigProfileNamed(placed.profile);
    if (!other) continue;  // validated on the way in
    compute_used += other->compute_slices;
    for (int s = placed.start; s < placed.start + other->memory_slices && s < gpu::kMigMemorySlices;
         ++s) {
      used[s] = true;
    }
  }
  if (compute_used + profile.compute_slices > gpu::kMigComputeSlices) return std::nullopt;
  for (int start : profile.starts) {
    bool free = true;
    for (int s = start; s < start + profile.memory_slices; ++s) free = free && !used[s];
    if (free) return start;
  }
  return std::nullopt;
}

}  // namespace

const gpu::MigProfile* MigProfileNamed(const std::string& name) {
  for (const gpu::MigProfile& profile : gpu::MigProfiles()) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

double SliceDemand(const Resources& r) {
  if (!r.mig_profile.empty()) {
    const gpu::MigProfile* profile = MigProfileNamed(r.mig_profile);
    return profile ? static_cast<double>(profile->compute_slices) / gpu::kMigComputeSlices : 0;
  }
  return r.gpus;
}

double GpuDemand(const JobRequest& job) { return SliceDemand(job.per_replica) * job.replicas; }

ClusterState::ClusterState(const std::vector<gpu::Node>& nodes) {
  auto layout = std::make_shared<Layout>();
  std::unordered_map<std::string, int> flavor_index;
  int mig_gpus = 0;
  for (const gpu::Node& node : nodes) {
    NodeLayout n;
    n.name = node.name;
    n.first_gpu = static_cast<int>(layout->gpus.size());
    n.cpus_unlimited = node.cpus <= 0;
    n.memory_unlimited = node.memory_mib <= 0;
    for (const gpu::Gpu& g : node.gpus) {
      auto [it, added] = flavor_index.emplace(g.model, static_cast<int>(layout->flavors.size()));
      if (added) {
        layout->flavors.push_back(g.model);
        layout->totals.push_back(0);
      }
      layout->totals[it->second] += 1;
      GpuLayout gpu;
      gpu.flavor = it->second;
      gpu.mig_enabled = g.mig_enabled;
      if (g.mig_enabled) gpu.mig_slot = mig_gpus++;
      layout->gpus.push_back(gpu);
    }
    n.end_gpu = static_cast<int>(layout->gpus.size());
    layout->node_index[node.name] = static_cast<int>(layout->nodes.size());  // last one wins
    layout->nodes.push_back(std::move(n));
    cpus_free_.push_back(node.cpus);
    memory_free_.push_back(node.memory_mib);
  }
  int flavors = static_cast<int>(layout->flavors.size());
  for (const NodeLayout& n : layout->nodes) {
    layout->max_gpus_per_node = std::max(layout->max_gpus_per_node, n.end_gpu - n.first_gpu);
  }
  gpus_.assign(layout->gpus.size(), GpuState{});
  mig_.assign(mig_gpus, {});
  free_whole_.assign(layout->nodes.size() * flavors, 0);
  free_whole_total_.assign(flavors, 0);
  for (size_t n = 0; n < layout->nodes.size(); ++n) {
    for (int g = layout->nodes[n].first_gpu; g < layout->nodes[n].end_gpu; ++g) {
      const GpuLayout& gpu = layout->gpus[g];
      if (gpu.mig_enabled) continue;
      ++free_whole_[n * flavors + gpu.flavor];
      ++free_whole_total_[gpu.flavor];
    }
  }
  free_hist_.assign(flavors * (layout->max_gpus_per_node + 1), 0);
  layout_ = std::move(layout);
  for (int n = 0; n < node_count(); ++n) {
    for (int f = 0; f < flavors; ++f) ++NodesWithFree(f, FreeWhole(n, f));
  }
}

void ClusterState::AddFreeWhole(int node, int f, int delta) {
  int& free = free_whole_[node * flavor_count() + f];
  --NodesWithFree(f, free);
  free += delta;
  ++NodesWithFree(f, free);
  free_whole_total_[f] += delta;
}

bool ClusterState::WholeBlocksFit(int f, int want, int replicas) const {
  if (want <= 0) return true;
  if (free_whole_total_[f] < static_cast<int64_t>(want) * replicas) return false;
  int blocks = 0;
  for (int k = layout_->max_gpus_per_node; k >= want && blocks < replicas; --k) {
    blocks += NodesWithFree(f, k) * (k / want);
  }
  return blocks >= replicas;
}

int ClusterState::NodeIndex(const std::string& name) const {
  auto it = layout_->node_index.find(name);
  return it == layout_->node_index.end() ? -1 : it->second;
}

int ClusterState::FlavorIndex(const std::string& flavor) const {
  const std::vector<std::string>& flavors = layout_->flavors;
  for (size_t f = 0; f < flavors.size(); ++f) {
    if (flavors[f] == flavor) return static_cast<int>(f);
  }
  return -1;
}

double ClusterState::TotalGpus(const std::string& flavor) const {
  int f = FlavorIndex(flavor);
  return f < 0 ? 0 : layout_->totals[f];
}

int ClusterState::LargestFreeBlock(const std::string& flavor) const {
  int f = FlavorIndex(flavor);
  if (f < 0) return 0;
  for (int k = layout_->max_gpus_per_node; k > 0; --k) {
    if (NodesWithFree(f, k) > 0) return k;
  }
  return 0;
}

void ClusterState::Apply(const ReplicaPlacement& placement, int sign) {
  int index = NodeIndex(placement.node);
  if (index < 0) return;
  const NodeLayout& node = layout_->nodes[index];
  cpus_free_[index] -= sign * placement.cpus;
  memory_free_[index] -= sign * placement.memory_mib;
  for (const GpuSlot& slot : placement.gpus) {
    if (slot.gpu < 0 || slot.gpu >= node.end_gpu - node.first_gpu) continue;
    int g = node.first_gpu + slot.gpu;
    const GpuLayout& layout = layout_->gpus[g];
    GpuState& state = gpus_[g];
    if (!slot.mig_profile.empty()) {
      const gpu::MigProfile* profile = MigProfileNamed(slot.mig_profile);
      if (!profile) continue;
      state.mig_compute += sign * profile->compute_slices;
      if (layout.mig_slot < 0) continue;  // only MIG-enabled GPUs take MIG placements
      std::vector<gpu::MigPlacement>& placed = mig_[layout.mig_slot];
      if (sign > 0) {
        placed.push_back({slot.mig_profile, slot.mig_start});
      } else {
        auto it = std::find_if(placed.begin(), placed.end(), [&](const gpu::MigPlacement& p) {
          return p.profile == slot.mig_profile && p.start == slot.mig_start;
        });
        if (it != placed.end()) placed.erase(it);
      }
      continue;
    }
    bool was_free = state.used < kEpsilon;
    state.used += sign * slot.fraction;
    if (state.used < kEpsilon) state.used = 0;
    bool is_free = state.used < kEpsilon;
    if (was_free != is_free && !layout.mig_enabled) {
      AddFreeWhole(index, layout.flavor, is_free ? 1 : -1);
    }
  }
}

void ClusterState::Charge(const Allocation& allocation) {
  for (const ReplicaPlacement& p : allocation.replicas) Apply(p, +1);
}

void ClusterState::Release(const Allocation& allocation) {
  for (const ReplicaPlacement& p : allocation.replicas) Apply(p, -1);
}

bool ClusterState::FitsHost(int node, const Resources& r) const {
  const NodeLayout& n = layout_->nodes[node];
  if (!n.cpus_unlimited && cpus_free_[node] + kEpsilon < r.cpus) return false;
  if (!n.memory_unlimited && memory_free_[node] < r.memory_mib) return false;
  return true;
}

std::optional<ReplicaPlacement> ClusterState::PlaceWhole(const Resources& r, int f, int want,
                                                         const std::vector<char>* blocked) {
  if (want > layout_->max_gpus_per_node || free_whole_total_[f] < want) return std::nullopt;
  // The fewest free GPUs any node has that still fit: a node with that many
  // cannot be beaten, so the scan stops at the first one.
  int fewest = want;
  while (fewest <= layout_->max_gpus_per_node && NodesWithFree(f, fewest) == 0) ++fewest;
  if (fewest > layout_->max_gpus_per_node) return std::nullopt;
  int best = -1;
  int best_free = 0;
  for (int i = 0; i < node_count(); ++i) {
    if (blocked && (*blocked)[i]) continue;
    int free = FreeWhole(i, f);
    if (free < want || (best >= 0 && free >= best_free)) continue;
    if (!FitsHost(i, r)) continue;
    best = i;
    best_free = free;
    if (best_free == fewest) break;
  }
  if (best < 0) return std::nullopt;
  const NodeLayout& node = layout_->nodes[best];
  ReplicaPlacement placement{node.name, {}, r.cpus, r.memory_mib};
  placement.gpus.reserve(want);
  for (int g = node.first_gpu; g < node.end_gpu && want > 0; ++g) {
    const GpuLayout& gpu = layout_->gpus[g];
    if (gpu.flavor != f || gpu.mig_enabled || gpus_[g].used >= kEpsilon) continue;
    placement.gpus.push_back(GpuSlot{g - node.first_gpu, 1.0, "", -1});
    --want;
  }
  return placement;
}

std::optional<ReplicaPlacement> ClusterState::PlaceFraction(const Resources& r, int f,
                                                            const std::vector<char>* blocked) {
  // First choice: the partly used GPU with the least room that still fits.
  int best_node = -1, best_gpu = -1;
  double best_room = 2;
  for (int i = 0; i < node_count(); ++i) {
    if (blocked && (*blocked)[i]) continue;
    const NodeLayout& node = layout_->nodes[i];
    bool host_checked = false, host_fits = false;
    for (int g = node.first_gpu; g < node.end_gpu; ++g) {
      const GpuLayout& gpu = layout_->gpus[g];
      double used = gpus_[g].used;
      if (gpu.flavor != f || gpu.mig_enabled || used < kEpsilon) continue;
      double room = 1.0 - used;
      if (room + kEpsilon < r.gpus || room >= best_room) continue;
      if (!host_checked) {
        host_fits = FitsHost(i, r);
        host_checked = true;
      }
      if (!host_fits) break;
      best_node = i;
      best_gpu = g - node.first_gpu;
      best_room = room;
    }
  }
  if (best_node < 0) {
    // Otherwise a fresh GPU on the best-fit node.
    std::optional<ReplicaPlacement> whole = PlaceWhole(r, f, 1, blocked);
    if (!whole) return std::nullopt;
    whole->gpus[0].fraction = r.gpus;
    return whole;
  }
  return ReplicaPlacement{
      layout_->nodes[best_node].name, {GpuSlot{best_gpu, r.gpus, "", -1}}, r.cpus, r.memory_mib};
}

std::optional<ReplicaPlacement> ClusterState::PlaceMig(const Resources& r, int f,
                                                       const gpu::MigProfile& profile,
                                                       const std::vector<char>* blocked) {
  int best_node = -1, best_gpu = -1, best_start = -1, best_compute = -1;
  for (int i = 0; i < node_count(); ++i) {
    if (blocked && (*blocked)[i]) continue;
    const NodeLayout& node = layout_->nodes[i];
    for (int g = node.first_gpu; g < node.end_gpu; ++g) {
      const GpuLayout& gpu = layout_->gpus[g];
      int compute = gpus_[g].mig_compute;
      if (gpu.flavor != f || !gpu.mig_enabled || compute <= best_compute) continue;
      if (compute + profile.compute_slices > gpu::kMigComputeSlices) continue;
      std::optional<int> start = MigStart(profile, mig_[gpu.mig_slot]);
      if (!start || !FitsHost(i, r)) continue;
      best_node = i;
      best_gpu = g - node.first_gpu;
      best_start = *start;
      best_compute = compute;
    }
  }
  if (best_node < 0) return std::nullopt;
  return ReplicaPlacement{layout_->nodes[best_node].name,
                          {GpuSlot{best_gpu, 0, r.mig_profile, best_start}},
                          r.cpus,
                          r.memory_mib};
}

std::optional<ReplicaPlacement> ClusterState::PlaceHostOnly(const Resources& r,
                                                            const std::vector<char>* blocked) {
  // The node with the least free CPU that fits, so big nodes stay free.
  int best = -1;
  for (int i = 0; i < node_count(); ++i) {
    if (blocked && (*blocked)[i]) continue;
    if (!FitsHost(i, r)) continue;
    if (best < 0 || cpus_free_[i] < cpus_free_[best]) best = i;
  }
  if (best < 0) return std::nullopt;
  return ReplicaPlacement{layout_->nodes[best].name, {}, r.cpus, r.memory_mib};
}

std::optional<ReplicaPlacement> ClusterState::PlaceReplica(const Resources& r, int f,
                                                           const gpu::MigProfile* mig,
                                                           const std::vector<char>* blocked) {
  if (!r.mig_profile.empty()) {
    if (!mig || f < 0) return std::nullopt;
    return PlaceMig(r, f, *mig, blocked);
  }
  if (r.gpus <= kEpsilon) return PlaceHostOnly(r, blocked);
  if (f < 0) return std::nullopt;
  if (IsWhole(r.gpus)) {
    if (r.gpus > layout_->max_gpus_per_node + kEpsilon)
      return std::nullopt;  // no node has that many
    return PlaceWhole(r, f, static_cast<int>(std::llround(r.gpus)), blocked);
  }
  return PlaceFraction(r, f, blocked);
}

std::optional<Allocation> ClusterState::Place(const JobRequest& job, const std::string& flavor,
                                              const std::vector<char>* blocked) {
  const Resources& r = job.per_replica;
  int f = FlavorIndex(flavor);
  const gpu::MigProfile* mig = r.mig_profile.empty() ? nullptr : MigProfileNamed(r.mig_profile);
  // A cheap count first: gangs of whole GPUs that cannot fit by number alone
  // are the common case once a cluster is full.
  if (IsWhole(r.gpus) && r.mig_profile.empty()) {
    if (f < 0 || r.gpus > layout_->max_gpus_per_node + kEpsilon ||
        !WholeBlocksFit(f, static_cast<int>(std::llround(r.gpus)), job.replicas)) {
      return std::nullopt;
    }
  }
  Allocation allocation;
  allocation.flavor = flavor;
  for (int i = 0; i < job.replicas; ++i) {
    std::optional<ReplicaPlacement> placement = PlaceReplica(r, f, mig, blocked);
    if (!placement) {
      Release(allocation);
      return std::nullopt;
    }
    Apply(*placement, +1);
    allocation.replicas.push_back(std::move(*placement));
  }
  return allocation;
}

int ClusterState::ReplicasPlaceable(const JobRequest& job, const std::string& flavor) {
  JobRequest one = job;
  one.replicas = 1;
  Allocation placed;
  int count = 0;
  for (; count < job.replicas; ++count) {
    std::optional<Allocation> a = Place(one, flavor);
    if (!a) break;
    placed.replicas.push_back(a->replicas[0]);
  }
  Release(placed);
  return count;
}

}  // namespace plinth::sched
