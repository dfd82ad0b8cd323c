#include "plinth/gpu/simulated_gpu_source.h"

#include <cctype>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/common/ids.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/model_names.h"

namespace plinth::gpu {
namespace {

constexpr char kShorthandForm[] =
    "expected <nodes>x<gpus-per-node>x<model>[:mig=<n>], e.g. 2x8xH100-80GB or "
    "2x8xH100-80GB,1x8xA100-80GB:mig=2";
constexpr int kCpusPerGpu = 16;
constexpr int64_t kMemoryMibPerGpu = 128 * 1024;

bool IsDigits(absl::string_view text) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status ShorthandError(absl::string_view group, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("simulated GPUs '", group, "': ", problem, "; ", kShorthandForm));
}

absl::StatusOr<SimulatedNodeGroup> ParseGroup(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  absl::string_view shape = parts[0];
  size_t first = shape.find('x');
  size_t second = first == absl::string_view::npos ? first : shape.find('x', first + 1);
  if (second == absl::string_view::npos) return ShorthandError(text, "missing 'x'");
  absl::string_view nodes = shape.substr(0, first);
  absl::string_view gpus = shape.substr(first + 1, second - first - 1);
  absl::string_view model = shape.substr(second + 1);
  SimulatedNodeGroup group;
  if (!IsDigits(nodes) || !absl::SimpleAtoi(nodes, &group.nodes)) {
    return ShorthandError(text, absl::StrCat("node count '", nodes, "' is not a number"));
  }
  if (!IsDigits(gpus) || !absl::SimpleAtoi(gpus, &group.gpus_per_node)) {
    return ShorthandError(text, absl::StrCat("GPUs per node '", gpus, "' is not a number"));
  }
  if (model.empty()) return ShorthandError(text, "the GPU model is missing");
  group.model = std::string(model);
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view option = parts[i];
    if (!absl::ConsumePrefix(&option, "mig=")) {
      return ShorthandError(text, absl::StrCat("unknown option '", parts[i], "' (only mig=<n>)"));
    }
    if (!IsDigits(option) || !absl::SimpleAtoi(option, &group.mig_gpus_per_node)) {
      return ShorthandError(text, absl::StrCat("mig count '", option, "' is not a number"));
    }
  }
  if (absl::Status status = ValidateSimulatedGroup(group); !status.ok()) {
    return ShorthandError(text, status.message());
  }
  return group;
}

absl::Status ValidatePrefix(const std::string& prefix) {
  bool ok =
      !prefix.empty() && prefix.size() <= 63 && std::isalnum(static_cast<unsigned char>(prefix[0]));
  for (char c : prefix) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("name_prefix '", prefix,
                   "' must be 1-63 letters, digits, '-' or '.', starting with a letter or digit"));
}

int64_t GpuMemoryMib(const SimulatedNodeGroup& group) {
  if (group.gpu_memory_mib > 0) return group.gpu_memory_mib;
  absl::StatusOr<int64_t> mib = ModelMemoryMib(group.model);
  return mib.ok() ? *mib : 0;
}

}  // namespace

absl::Status ValidateSimulatedGroup(const SimulatedNodeGroup& group) {
  RETURN_IF_ERROR(ValidatePrefix(group.name_prefix));
  if (group.nodes < 1 || group.nodes > kMaxSimulatedNodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("nodes is ", group.nodes, "; it must be 1..", kMaxSimulatedNodes));
  }
  if (group.gpus_per_node < 1 || group.gpus_per_node > kMaxSimulatedGpusPerNode) {
    return absl::InvalidArgumentError(absl::StrCat("gpus_per_node is ", group.gpus_per_node,
                                                   "; it must be 1..", kMaxSimulatedGpusPerNode));
  }
  if (group.model.empty()) {
    return absl::InvalidArgumentError("model is missing; name the GPU model, e.g. H100-80GB");
  }
  if (group.gpu_memory_mib < 0) {
    return absl::InvalidArgumentError("gpu memory must be positive");
  }
  if (group.gpu_memory_mib == 0) {
    absl::StatusOr<int64_t> mib = ModelMemoryMib(group.model);
    if (!mib.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(mib.status().message(), ", or give the GPU memory (gpu_memory_gib)"));
    }
  }
  if (group.cpus < 0) return absl::InvalidArgumentError("cpus must not be negative");
  if (group.memory_mib < 0) return absl::InvalidArgumentError("memory must not be negative");
  if (group.mig_gpus_per_node < 0 || group.mig_gpus_per_node > group.gpus_per_node) {
    return absl::InvalidArgumentError(absl::StrCat("mig_gpus_per_node is ", group.mig_gpus_per_node,
                                                   "; it must be 0..gpus_per_node (",
                                                   group.gpus_per_node, ")"));
  }
  if (group.mig_gpus_per_node > 0 && GpuMemoryMib(group) < kMinMigGpuMemoryMib) {
    return absl::InvalidArgumentError(
        absl::StrCat("MIG needs an 80 GB-class GPU (e.g. A100-80GB, H100-80GB); ", group.model,
                     " has ", GpuMemoryMib(group) / 1024, " GiB"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SimulatedNodeGroup>> ParseSimulatedShorthand(const std::string& text) {
  std::vector<SimulatedNodeGroup> groups;
  for (absl::string_view piece : absl::StrSplit(text, ',')) {
    absl::string_view group_text = absl::StripAsciiWhitespace(piece);
    if (group_text.empty()) return ShorthandError(text, "empty group");
    ASSIGN_OR_RETURN(SimulatedNodeGroup group, ParseGroup(group_text));
    groups.push_back(std::move(group));
  }
  for (SimulatedNodeGroup& group : groups) {
    group.name_prefix = groups.size() == 1 ? "node" : absl::AsciiStrToLower(group.model);
    if (absl::Status status = ValidatePrefix(group.name_prefix); !status.ok()) {
      return ShorthandError(group.model, "the model must be letters, digits, '-' or '.'");
    }
  }
  return groups;
}

std::string SimulatedGpuUuid(const std::string& node, int index) {
  std::string hex = Sha256Hex(absl::StrCat("plinth-simulated-gpu/", node, "/", index));
  return absl::StrCat("GPU-", hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

absl::StatusOr<std::unique_ptr<SimulatedGpuSource>> SimulatedGpuSource::Create(
    std::vector<SimulatedNodeGroup> groups) {
  if (groups.empty()) {
    return absl::InvalidArgumentError(
        "no simulated GPU nodes; give at least one group (gpus.simulated), e.g. 1x8xH100-80GB");
  }
  int64_t total_nodes = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (absl::Status status = ValidateSimulatedGroup(groups[i]); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("gpus.simulated[", i, "] (", groups[i].model, "): ", status.message()));
    }
    total_nodes += groups[i].nodes;
  }
  if (total_nodes > kMaxSimulatedNodes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "simulated clusters have at most ", kMaxSimulatedNodes, " nodes; got ", total_nodes));
  }
  std::vector<Node> nodes;
  std::map<std::string, int> next_number;  // per prefix
  std::set<std::string> names;
  for (const SimulatedNodeGroup& group : groups) {
    int64_t gpu_memory = GpuMemoryMib(group);
    for (int n = 0; n < group.nodes; ++n) {
      Node node;
      node.name = absl::StrCat(group.name_prefix, "-", next_number[group.name_prefix]++);
      // Unique by construction ("<prefix>-<n>" splits at its last '-'); kept
      // as a check because a duplicate would merge two nodes' allocations.
      if (!names.insert(node.name).second) {
        return absl::InternalError(absl::StrCat("duplicate simulated node name ", node.name));
      }
      node.cpus = group.cpus > 0 ? group.cpus : kCpusPerGpu * group.gpus_per_node;
      node.memory_mib =
          group.memory_mib > 0 ? group.memory_mib : kMemoryMibPerGpu * group.gpus_per_node;
      for (int g = 0; g < group.gpus_per_node; ++g) {
        Gpu gpu;
        gpu.index = g;
        gpu.uuid = SimulatedGpuUuid(node.name, g);
        gpu.model = group.model;
        gpu.product_name = absl::StrCat("Simulated ", group.model);
        gpu.memory_total_mib = gpu_memory;
        gpu.mig_enabled = g < group.mig_gpus_per_node;
        node.gpus.push_back(std::move(gpu));
      }
      nodes.push_back(std::move(node));
    }
  }
  return std::unique_ptr<SimulatedGpuSource>(new SimulatedGpuSource(std::move(nodes)));
}

}  // namespace plinth::gpu
