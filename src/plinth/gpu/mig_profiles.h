// MIG geometry of 80 GB A100/H100 GPUs (REFERENCE.md, "GPU scheduling
// semantics"): 7 compute slices and 8 memory slices per GPU; each profile
// occupies a fixed number of both and may start only at certain memory
// slices. Placements on one GPU must not overlap memory slices and must not
// use more than 7 compute slices in total.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::gpu {

inline constexpr int kMigComputeSlices = 7;
inline constexpr int kMigMemorySlices = 8;

struct MigProfile {
  std::string name;    // "3g.40gb"
  int profile_id = 0;  // NVML GPU instance profile id
  int compute_slices = 0;
  int memory_slices = 0;
  int max_instances = 0;
  std::vector<int> starts;  // memory slices an instance may start at
};

// Every profile, smallest first.
const std::vector<MigProfile>& MigProfiles();
// The profile called `name`; NotFound naming the valid profiles otherwise.
absl::StatusOr<MigProfile> FindMigProfile(const std::string& name);

// One placed instance on a GPU.
struct MigPlacement {
  std::string profile;
  int start = 0;
};

// The first start at which `profile` fits beside `existing`, or nullopt.
std::optional<int> FindMigStart(const MigProfile& profile,
                                const std::vector<MigPlacement>& existing);

}  // namespace plinth::gpu
