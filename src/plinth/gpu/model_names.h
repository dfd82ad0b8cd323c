// Scheduler flavor names for GPUs: "H100-80GB", "A100-40GB", "L4-24GB".
// Quotas, job requests and cost prices all name GPUs this way, so real
// devices (NVML product names) and simulated ones must agree on it.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace plinth::gpu {

// The flavor name for an NVML product name: the brand words ("NVIDIA",
// "Tesla", "GeForce", "Quadro") and form-factor words ("SXM4", "PCIe",
// "HBM3", "NVL", ...) are dropped, the remaining words are joined with '-',
// and "-<N>GB" is appended. N is the size the product name states ("80GB")
// or, when it states none, MarketedMemoryGb(memory_total_mib).
//   "NVIDIA H100 80GB HBM3" -> "H100-80GB"; "NVIDIA H200" (143771) -> "H200-141GB"
//   "NVIDIA L4" (23034) -> "L4-24GB"; "Tesla V100-SXM2-16GB" -> "V100-16GB"
// Without a stated size and with memory_total_mib <= 0 there is no suffix.
std::string NormalizeModelName(const std::string& product_name, int64_t memory_total_mib);

// The advertised size in GB of a GPU whose driver reports `memory_mib`:
// drivers report less than the label (ECC and reserved memory), so the
// size is the nearest of the sizes NVIDIA sells (16, 24, 40, 48, 80, 94,
// 141, 180, ...) when that is within 10%, else the nearest whole GiB.
int MarketedMemoryGb(int64_t memory_mib);

// The memory of a flavor in MiB from its "-<N>GB" suffix ("H100-80GB" ->
// 81920). InvalidArgument when the name has no such suffix.
absl::StatusOr<int64_t> ModelMemoryMib(const std::string& model);

// NVIDIA's name for a MIG profile: "<compute>g.<memory>gb", where memory is
// memory_slices eighths of the GPU's advertised size, rounded
// (80 GB: 3 compute, 4 memory -> "3g.40gb"; 141 GB: 1, 1 -> "1g.18gb").
std::string MigProfileName(int compute_slices, int memory_slices, int gpu_memory_gb);

}  // namespace plinth::gpu
