#include "plinth/gpu/mig_profiles.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plinth::gpu {

const std::vector<MigProfile>& MigProfiles() {
  // Profile ids, slice counts and start positions of the 80 GB parts.
  static const std::vector<MigProfile> kProfiles = {
      {"1g.10gb", 19, 1, 1, 7, {0, 1, 2, 3, 4, 5, 6}},
      {"1g.20gb", 15, 1, 2, 4, {0, 2, 4, 6}},
      {"2g.20gb", 14, 2, 2, 3, {0, 2, 4}},
      {"3g.40gb", 9, 3, 4, 2, {0, 4}},
      {"4g.40gb", 5, 4, 4, 1, {0}},
      {"7g.80gb", 0, 7, 8, 1, {0}},
  };
  return kProfiles;
}

absl::StatusOr<MigProfile> FindMigProfile(const std::string& name) {
  std::vector<std::string> names;
  for (const MigProfile& profile : MigProfiles()) {
    if (profile.name == name) return profile;
    names.push_back(profile.name);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown MIG profile '", name, "'; valid profiles: ", absl::StrJoin(names, ", ")));
}

std::optional<int> FindMigStart(const MigProfile& profile,
                                const std::vector<MigPlacement>& existing) {
  bool used[kMigMemorySlices] = {};
  int compute_used = 0;
  for (const MigPlacement& placed : existing) {
    absl::StatusOr<MigProfile> other = FindMigProfile(placed.profile);
    if (!other.ok()) continue;  // validated on the way in
    compute_used += other->compute_slices;
    for (int s = placed.start; s < placed.start + other->memory_slices && s < kMigMemorySlices;
         ++s) {
      used[s] = true;
    }
  }
  if (compute_used + profile.compute_slices > kMigComputeSlices) return std::nullopt;
  for (int start : profile.starts) {
    bool free = true;
    for (int s = start; s < start + profile.memory_slices; ++s) free = free && !used[s];
    if (free) return start;
  }
  return std::nullopt;
}

}  // namespace plinth::gpu
