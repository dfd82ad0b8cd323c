#include "plinth/gpu/model_names.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/gpu/mig_profiles.h"

namespace plinth::gpu {
namespace {

// Words that name the brand or the package rather than the GPU: two boards
// of one model in different packages are the same scheduler flavor.
bool IsNoiseWord(const std::string& word) {
  static const char* const kNoise[] = {
      "nvidia", "tesla", "geforce", "quadro", "gpu",   "sxm",  "sxm2",  "sxm3", "sxm4",
      "sxm5",   "sxm6",  "pcie",    "hbm2",   "hbm2e", "hbm3", "hbm3e", "nvl",
  };
  std::string lower = absl::AsciiStrToLower(word);
  for (const char* noise : kNoise) {
    if (lower == noise) return true;
  }
  return false;
}

// "80GB" (any case) -> 80; nullopt-like -1 for anything else.
int64_t StatedGb(const std::string& word) {
  if (word.size() < 3) return -1;
  std::string suffix = absl::AsciiStrToLower(word.substr(word.size() - 2));
  if (suffix != "gb") return -1;
  int64_t gb = 0;
  if (!absl::SimpleAtoi(word.substr(0, word.size() - 2), &gb) || gb <= 0) return -1;
  return gb;
}

std::string KeepNameChars(const std::string& word) {
  std::string out;
  for (char c : word) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+') out += c;
  }
  return out;
}

}  // namespace

int MarketedMemoryGb(int64_t memory_mib) {
  // Sizes on NVIDIA data-centre and workstation labels.
  static const int kSizes[] = {4,  6,  8,  10, 11,  12,  16,  20,  24,  32,  40, 48,
                               64, 80, 94, 96, 128, 141, 144, 180, 186, 192, 288};
  double gib = static_cast<double>(memory_mib) / 1024.0;
  int best = kSizes[0];
  for (int size : kSizes) {
    if (std::abs(size - gib) < std::abs(best - gib)) best = size;
  }
  if (std::abs(best - gib) <= 0.1 * best) return best;
  return static_cast<int>(std::lround(gib));
}

std::string NormalizeModelName(const std::string& product_name, int64_t memory_total_mib) {
  std::vector<std::string> words;
  int64_t stated_gb = -1;
  for (absl::string_view piece : absl::StrSplit(product_name, absl::ByAnyChar(" -_"))) {
    std::string word(piece);
    if (word.empty()) continue;
    // MIG device names continue with the profile: "... MIG 1g.10gb".
    if (absl::AsciiStrToLower(word) == "mig") break;
    if (int64_t gb = StatedGb(word); gb > 0) {
      if (stated_gb < 0) stated_gb = gb;
      continue;
    }
    if (IsNoiseWord(word)) continue;
    word = KeepNameChars(word);
    if (!word.empty()) words.push_back(word);
  }
  std::string name = words.empty() ? "GPU" : absl::StrJoin(words, "-");
  if (stated_gb > 0) return absl::StrCat(name, "-", stated_gb, "GB");
  if (memory_total_mib > 0)
    return absl::StrCat(name, "-", MarketedMemoryGb(memory_total_mib), "GB");
  return name;
}

absl::StatusOr<int64_t> ModelMemoryMib(const std::string& model) {
  size_t dash = model.rfind('-');
  int64_t gb = dash == std::string::npos ? -1 : StatedGb(model.substr(dash + 1));
  if (dash == 0 || gb <= 0 || gb > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("GPU model '", model,
                     "' does not end in a memory size; name it <name>-<N>GB, e.g. H100-80GB"));
  }
  return gb * 1024;
}

std::string MigProfileName(int compute_slices, int memory_slices, int gpu_memory_gb) {
  int64_t memory_gb = std::lround(static_cast<double>(memory_slices) * gpu_memory_gb /
                                  static_cast<double>(kMigMemorySlices));
  return absl::StrCat(compute_slices, "g.", memory_gb, "gb");
}

}  // namespace plinth::gpu
