#include "plinth/sched/cluster_file.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/common/duration.h"
#include "plinth/common/files.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/model_names.h"
#include "yaml-cpp/yaml.h"

namespace plinth::sched {
namespace {

// Bounds that catch typos (a count of 1e9 nodes) before they eat memory.
constexpr int kMaxNodes = 100000;
constexpr int kMaxGpusPerNode = 16;

// Reads values out of one YAML document, turning every problem into an
// InvalidArgument error "<source>:<line>: <path>: <what>".
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  absl::Status Error(const YAML::Node& at, const std::string& path, absl::string_view what) const {
    YAML::Mark mark = at.Mark();
    std::string where = mark.line >= 0 ? absl::StrCat(source_, ":", mark.line + 1) : source_;
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": ", what));
  }

  // Checks that `node` is a mapping whose keys are all in `keys`.
  absl::Status Keys(const YAML::Node& node, const std::string& path,
                    const std::set<std::string>& keys) const {
    if (!node.IsMap())
      return Error(node, path.empty() ? "(top level)" : path, "expected a mapping");
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      if (!keys.count(key)) {
        return Error(entry.first, Join(path, key),
                     absl::StrCat("unknown key (known: ", absl::StrJoin(keys, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar() || node.Scalar().empty()) return Error(node, path, "expected a string");
    return node.Scalar();
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, const std::string& path) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, path, "expected true or false");
    }
    return value;
  }

  absl::StatusOr<int> Int(const YAML::Node& node, const std::string& path, int min, int max) const {
    int value = 0;
    if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
      return Error(node, path, "expected a whole number");
    }
    if (value < min || value > max) {
      return Error(node, path, absl::StrCat(value, " is outside ", min, "..", max));
    }
    return value;
  }

  // A duration in seconds >= 0: a number of seconds ("90", "1.5"), or
  // numbers with units s, m, h, d ("90s", "5m", "1h30m"), as job specs write
  // durations.
  absl::StatusOr<double> Seconds(const YAML::Node& node, const std::string& path) const {
    auto bad = [&] {
      return Error(node, path, "expected a duration >= 0: seconds (90) or e.g. 90s, 5m, 2h, 1h30m");
    };
    if (!node.IsScalar()) return bad();
    std::optional<double> seconds = ParseDurationText(node.Scalar());
    if (!seconds) return bad();
    return *seconds;
  }

  // A GPU amount >= 0, or "unlimited".
  absl::StatusOr<double> Gpus(const YAML::Node& node, const std::string& path) const {
    double value = 0;
    if (node.IsScalar() && absl::AsciiStrToLower(node.Scalar()) == "unlimited") return kUnlimited;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &value) || std::isnan(value) ||
        value < 0) {
      return Error(node, path, "expected a GPU count >= 0 or 'unlimited'");
    }
    return value;
  }

 private:
  std::string source_;
};

gpu::Node MakeNode(const std::string& name, int gpus, const std::string& model, int mig_gpus) {
  gpu::Node node;
  node.name = name;
  absl::StatusOr<int64_t> memory = gpu::ModelMemoryMib(model);
  for (int g = 0; g < gpus; ++g) {
    gpu::Gpu device;
    device.index = g;
    device.uuid = absl::StrCat("GPU-sim-", name, "-", g);
    device.model = model;
    device.product_name = model;
    device.memory_total_mib = memory.ok() ? *memory : 0;
    device.mig_enabled = g < mig_gpus;
    node.gpus.push_back(std::move(device));
  }
  return node;
}

absl::Status ReadNodes(const Reader& r, const YAML::Node& list, std::vector<gpu::Node>* nodes) {
  if (!list.IsSequence()) return r.Error(list, "nodes", "expected a list of node groups");
  std::map<std::string, int> next_number;  // per name prefix
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& group = list[i];
    std::string path = absl::StrCat("nodes[", i, "]");
    RETURN_IF_ERROR(r.Keys(group, path, {"name_prefix", "count", "gpus", "model", "mig_gpus"}));
    std::string prefix = "node", model;
    int count = 1, gpus = 0, mig_gpus = 0;
    if (group["name_prefix"]) {
      ASSIGN_OR_RETURN(prefix, r.String(group["name_prefix"], path + ".name_prefix"));
    }
    if (group["count"]) {
      ASSIGN_OR_RETURN(count, r.Int(group["count"], path + ".count", 1, kMaxNodes));
    }
    if (!group["gpus"]) return r.Error(group, path, "gpus: required (GPUs per node)");
    ASSIGN_OR_RETURN(gpus, r.Int(group["gpus"], path + ".gpus", 0, kMaxGpusPerNode));
    if (gpus > 0 && !group["model"]) {
      return r.Error(group, path, "model: required when gpus > 0 (e.g. H100-80GB)");
    }
    if (group["model"]) {
      ASSIGN_OR_RETURN(model, r.String(group["model"], path + ".model"));
    }
    if (group["mig_gpus"]) {
      ASSIGN_OR_RETURN(mig_gpus, r.Int(group["mig_gpus"], path + ".mig_gpus", 0, gpus));
    }
    if (nodes->size() + count > static_cast<size_t>(kMaxNodes)) {
      return r.Error(group, path, absl::StrCat("more than ", kMaxNodes, " nodes in all"));
    }
    for (int n = 0; n < count; ++n) {
      std::string name = absl::StrCat(prefix, "-", next_number[prefix]++);
      nodes->push_back(MakeNode(name, gpus, model, mig_gpus));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadGpuMap(const Reader& r, const YAML::Node& node, const std::string& path,
                        const std::set<std::string>& models, std::map<std::string, double>* out) {
  if (!node.IsMap()) return r.Error(node, path, "expected a mapping of GPU model to GPU count");
  for (const auto& entry : node) {
    std::string model = entry.first.Scalar();
    std::string at = Reader::Join(path, model);
    if (!models.count(model)) {
      return r.Error(
          entry.first, at,
          absl::StrCat("no node has this GPU model (models: ", absl::StrJoin(models, ", "), ")"));
    }
    ASSIGN_OR_RETURN((*out)[model], r.Gpus(entry.second, at));
  }
  return absl::OkStatus();
}

absl::Status ReadQueues(const Reader& r, const YAML::Node& list,
                        const std::vector<gpu::Node>& nodes, std::vector<QueueConfig>* queues) {
  if (!list.IsSequence()) return r.Error(list, "queues", "expected a list of queues");
  std::set<std::string> models;
  for (const gpu::Node& n : nodes) {
    for (const gpu::Gpu& g : n.gpus) models.insert(g.model);
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& q = list[i];
    std::string path = absl::StrCat("queues[", i, "]");
    RETURN_IF_ERROR(
        r.Keys(q, path, {"name", "team", "cohort", "nominal", "borrowing_limit", "weight"}));
    QueueConfig queue;
    if (!q["name"]) return r.Error(q, path, "name: required");
    ASSIGN_OR_RETURN(queue.name, r.String(q["name"], path + ".name"));
    if (!names.insert(queue.name).second) {
      return r.Error(q["name"], path + ".name", absl::StrCat("queue '", queue.name, "' repeats"));
    }
    queue.team = queue.name;
    if (q["team"]) {
      ASSIGN_OR_RETURN(queue.team, r.String(q["team"], path + ".team"));
    }
    if (q["cohort"]) {
      ASSIGN_OR_RETURN(queue.cohort, r.String(q["cohort"], path + ".cohort"));
    }
    if (q["nominal"]) {
      RETURN_IF_ERROR(ReadGpuMap(r, q["nominal"], path + ".nominal", models, &queue.nominal));
    }
    if (q["borrowing_limit"]) {
      if (queue.cohort.empty()) {
        return r.Error(q["borrowing_limit"], path + ".borrowing_limit",
                       "a queue borrows only from its cohort; set cohort or drop this key");
      }
      RETURN_IF_ERROR(ReadGpuMap(r, q["borrowing_limit"], path + ".borrowing_limit", models,
                                 &queue.borrowing_limit));
    }
    if (q["weight"]) {
      double weight = 0;
      const YAML::Node& w = q["weight"];
      if (!w.IsScalar() || !absl::SimpleAtod(w.Scalar(), &weight) || !(weight > 0) ||
          std::isinf(weight)) {
        return r.Error(w, path + ".weight", "expected a number > 0");
      }
      queue.weight = weight;
    }
    queues->push_back(std::move(queue));
  }
  return absl::OkStatus();
}

absl::Status ReadSettings(const Reader& r, const YAML::Node& root, SimOptions* options) {
  if (const YAML::Node& s = root["scheduler"]) {
    RETURN_IF_ERROR(
        r.Keys(s, "scheduler",
               {"backfill", "preemption", "max_preemption_attempts", "preempt_exempt_time"}));
    SchedulerOptions& o = options->scheduler;
    if (s["backfill"]) {
      ASSIGN_OR_RETURN(o.backfill, r.Bool(s["backfill"], "scheduler.backfill"));
    }
    if (s["preemption"]) {
      ASSIGN_OR_RETURN(o.preemption, r.Bool(s["preemption"], "scheduler.preemption"));
    }
    if (s["max_preemption_attempts"]) {
      ASSIGN_OR_RETURN(
          o.max_preemption_attempts,
          r.Int(s["max_preemption_attempts"], "scheduler.max_preemption_attempts", 0, 1000000));
    }
    if (s["preempt_exempt_time"]) {
      ASSIGN_OR_RETURN(double seconds,
                       r.Seconds(s["preempt_exempt_time"], "scheduler.preempt_exempt_time"));
      o.preempt_exempt_ms = std::llround(seconds * 1000);
    }
  }
  if (const YAML::Node& s = root["simulation"]) {
    RETURN_IF_ERROR(
        r.Keys(s, "simulation", {"restart_preempted", "runtime_estimates", "preemption_grace"}));
    if (s["preemption_grace"]) {
      ASSIGN_OR_RETURN(options->preemption_grace_s,
                       r.Seconds(s["preemption_grace"], "simulation.preemption_grace"));
    }
    if (s["restart_preempted"]) {
      ASSIGN_OR_RETURN(options->restart_preempted,
                       r.Bool(s["restart_preempted"], "simulation.restart_preempted"));
    }
    if (s["runtime_estimates"]) {
      ASSIGN_OR_RETURN(options->runtime_estimates,
                       r.Bool(s["runtime_estimates"], "simulation.runtime_estimates"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<gpu::Node>> ParseSimulatedNodes(absl::string_view spec) {
  struct Group {
    int nodes = 0, gpus = 0, mig = 0;
    std::string model;
  };
  std::vector<Group> groups;
  int total = 0;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    part = absl::StripAsciiWhitespace(part);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "simulated cluster '", part, "': ", why,
          "; expected <nodes>x<gpus-per-node>x<model>[:mig=<n>], several joined by ',' "
          "(e.g. 125x8xH100-80GB)"));
    };
    Group g;
    std::vector<std::string> pieces = absl::StrSplit(part, absl::MaxSplits('x', 2));
    if (pieces.size() != 3 || pieces[2].empty()) return bad("not in that form");
    std::vector<std::string> model = absl::StrSplit(pieces[2], absl::MaxSplits(":mig=", 1));
    g.model = model[0];
    if (!absl::SimpleAtoi(pieces[0], &g.nodes) || g.nodes < 1) return bad("nodes must be >= 1");
    if (!absl::SimpleAtoi(pieces[1], &g.gpus) || g.gpus < 1 || g.gpus > kMaxGpusPerNode) {
      return bad(absl::StrCat("GPUs per node must be 1..", kMaxGpusPerNode));
    }
    if (model.size() == 2 && (!absl::SimpleAtoi(model[1], &g.mig) || g.mig < 0 || g.mig > g.gpus)) {
      return bad("mig must be 0..GPUs per node");
    }
    if (g.model.empty()) return bad("the model is missing");
    total += g.nodes;
    if (total > kMaxNodes) return bad(absl::StrCat("more than ", kMaxNodes, " nodes in all"));
    groups.push_back(g);
  }
  // As gpus.simulated names them: node-<n> for one group, else <model>-<n>.
  std::vector<gpu::Node> nodes;
  std::map<std::string, int> next_number;
  for (const Group& g : groups) {
    std::string prefix = groups.size() == 1 ? "node" : absl::AsciiStrToLower(g.model);
    for (int n = 0; n < g.nodes; ++n) {
      nodes.push_back(
          MakeNode(absl::StrCat(prefix, "-", next_number[prefix]++), g.gpus, g.model, g.mig));
    }
  }
  return nodes;
}

absl::StatusOr<ClusterSpec> ParseClusterYaml(absl::string_view text, const std::string& source) {
  Reader r(source);
  YAML::Node loaded;
  try {
    loaded = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": invalid YAML: ", e.what()));
  }
  const YAML::Node& root = loaded;  // const: lookups must not add keys
  ClusterSpec spec;
  try {
    RETURN_IF_ERROR(r.Keys(root, "", {"nodes", "simulated", "queues", "scheduler", "simulation"}));
    if (root["nodes"] && root["simulated"]) {
      return r.Error(root["simulated"], "simulated", "give either nodes or simulated, not both");
    }
    if (root["nodes"]) {
      RETURN_IF_ERROR(ReadNodes(r, root["nodes"], &spec.nodes));
    } else if (root["simulated"]) {
      ASSIGN_OR_RETURN(std::string shorthand, r.String(root["simulated"], "simulated"));
      absl::StatusOr<std::vector<gpu::Node>> nodes = ParseSimulatedNodes(shorthand);
      if (!nodes.ok()) return r.Error(root["simulated"], "simulated", nodes.status().message());
      spec.nodes = std::move(*nodes);
    } else {
      return r.Error(root, "nodes",
                     "required (a list of node groups, or simulated: \"2x8xH100-80GB\")");
    }
    if (root["queues"]) RETURN_IF_ERROR(ReadQueues(r, root["queues"], spec.nodes, &spec.queues));
    RETURN_IF_ERROR(ReadSettings(r, root, &spec.options));
  } catch (const YAML::Exception& e) {  // a shape the checks above did not expect
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  return spec;
}

absl::StatusOr<ClusterSpec> LoadClusterFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseClusterYaml(text, std::filesystem::path(path).filename().string());
}

}  // namespace plinth::sched
