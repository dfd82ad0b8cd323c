// Layout (MLflow's FileStore): <root>/<exp_id>/meta.yaml, <root>/<exp_id>/
// tags/<key>, <root>/<exp_id>/<run_id>/{meta.yaml, params/, tags/, metrics/,
// inputs/<id>/meta.yaml, artifacts/}, <root>/<exp_id>/datasets/<id>/
// meta.yaml, deleted experiments under <root>/.trash/, and the registry
// under <root>/models/<name>/{meta.yaml, tags/, aliases/, version-<n>/}.
// Keys with '/' are nested folders, so tag/param/metric files are found
// recursively.
#include "plinth/importer/mlflow_file_source.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace plinth::importer {
namespace fs = std::filesystem;
namespace {

// MLflow's RunStatus enum, as the file store writes it in run meta.yaml.
std::string RunStatusName(const YAML::Node& n) {
  static const char* kNames[] = {"", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
  if (!n) return "FINISHED";
  int v = 0;
  std::string s = n.as<std::string>("");
  if (absl::SimpleAtoi(s, &v) && v >= 1 && v <= 5) return kNames[v];
  return s.empty() ? "FINISHED" : s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> SubDirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Files under `dir` as (key, path), the key being the path relative to dir.
std::vector<std::pair<std::string, fs::path>> KeyFiles(const fs::path& dir) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      out.emplace_back(fs::relative(it->path(), dir, ec).generic_string(), it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t Int(const YAML::Node& n) {
  if (!n || n.IsNull()) return 0;
  int64_t v = 0;
  (void)absl::SimpleAtoi(n.as<std::string>(""), &v);
  return v;
}
std::string Str(const YAML::Node& n) {
  return n && !n.IsNull() ? n.as<std::string>("") : std::string();
}

class MlflowFileSource final : public MlflowSource {
 public:
  explicit MlflowFileSource(fs::path root) : root_(std::move(root)) {}

  absl::Status Init() {
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
      return absl::NotFoundError(absl::StrCat("no MLflow store at ", root_.string(),
                                              ": not a file, a folder or a database URI"));
    }
    for (const fs::path& dir : SubDirs(root_)) AddExperimentDir(dir);
    for (const fs::path& dir : SubDirs(root_ / ".trash")) AddExperimentDir(dir);
    if (experiment_dirs_.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          root_.string(), " is not an MLflow file store (no <experiment_id>/meta.yaml)"));
    }
    return status_;
  }

  std::string Describe() const override {
    return absl::StrCat("MLflow file store ", root_.string());
  }

  absl::StatusOr<std::vector<SourceExperiment>> Experiments() override {
    std::vector<SourceExperiment> out;
    for (const auto& [id, dir] : experiment_dirs_) {
      ASSIGN_OR_RETURN(YAML::Node meta, Yaml(dir / "meta.yaml"));
      SourceExperiment e;
      e.experiment_id = id;
      e.name = Str(meta["name"]);
      e.artifact_location = Str(meta["artifact_location"]);
      e.lifecycle_stage = meta["lifecycle_stage"] ? Str(meta["lifecycle_stage"]) : "active";
      e.creation_time = Int(meta["creation_time"]);
      e.last_update_time = Int(meta["last_update_time"]);
      for (const auto& [key, path] : KeyFiles(dir / "tags"))
        e.tags.push_back({key, ReadFile(path)});
      out.push_back(std::move(e));
    }
    return out;
  }

  absl::StatusOr<std::vector<SourceRun>> Runs() override {
    std::vector<SourceRun> out;
    for (const auto& [id, run_dir] : RunDirs()) {
      ASSIGN_OR_RETURN(YAML::Node meta, Yaml(run_dir / "meta.yaml"));
      SourceRun r;
      r.run_uuid = meta["run_id"] ? Str(meta["run_id"]) : Str(meta["run_uuid"]);
      if (r.run_uuid.empty()) r.run_uuid = run_dir.filename().string();
      r.experiment_id = id;
      r.name = Str(meta["run_name"]);
      r.user_id = Str(meta["user_id"]);
      r.status = RunStatusName(meta["status"]);
      r.start_time = Int(meta["start_time"]);
      if (meta["end_time"] && !meta["end_time"].IsNull()) r.end_time = Int(meta["end_time"]);
      r.lifecycle_stage = meta["lifecycle_stage"] ? Str(meta["lifecycle_stage"]) : "active";
      r.artifact_uri = Str(meta["artifact_uri"]);
      if (meta["deleted_time"] && !meta["deleted_time"].IsNull()) {
        r.deleted_time = Int(meta["deleted_time"]);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  absl::Status ForEachParam(const KeyValueRowFn& fn) override { return ScanFiles("params", fn); }
  absl::Status ForEachTag(const KeyValueRowFn& fn) override { return ScanFiles("tags", fn); }

  absl::Status ForEachMetric(const MetricFn& fn) override {
    for (const auto& [id, run_dir] : RunDirs()) {
      std::string run = RunId(run_dir);
      for (const auto& [key, path] : KeyFiles(run_dir / "metrics")) {
        std::string text = ReadFile(path);
        for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
          std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
          MetricPoint p;
          p.run_uuid = run;
          p.key = key;
          double value = 0;
          if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &p.timestamp) ||
              !ParseValue(parts[1], &value) ||
              (parts.size() > 2 && !absl::SimpleAtoi(parts[2], &p.step))) {
            return absl::DataLossError(absl::StrCat("bad metric line '", line, "' in ",
                                                    path.string(),
                                                    ": expected 'timestamp "
                                                    "value step'"));
          }
          p.is_nan = std::isnan(value);
          p.value = p.is_nan ? 0 : value;
          fn(p);
        }
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> EstimateMetricPoints() override { return 0; }

  absl::StatusOr<std::vector<SourceInput>> Inputs() override {
    std::vector<SourceInput> out;
    for (const auto& [id, run_dir] : RunDirs()) {
      for (const fs::path& input_dir : SubDirs(run_dir / "inputs")) {
        ASSIGN_OR_RETURN(YAML::Node in, Yaml(input_dir / "meta.yaml"));
        if (Str(in["source_type"]) != "DATASET") continue;
        fs::path dataset_dir = experiment_dirs_.at(id) / "datasets" / Str(in["source_id"]);
        std::error_code ec;
        if (!fs::exists(dataset_dir / "meta.yaml", ec)) continue;  // MLflow skips these too
        ASSIGN_OR_RETURN(YAML::Node d, Yaml(dataset_dir / "meta.yaml"));
        SourceInput input;
        input.run_uuid = RunId(run_dir);
        input.experiment_id = id;
        input.name = Str(d["name"]);
        input.digest = Str(d["digest"]);
        input.source_type = Str(d["source_type"]);
        input.source = Str(d["source"]);
        input.schema = Str(d["schema"]);
        input.profile = Str(d["profile"]);
        if (in["tags"] && in["tags"].IsMap()) {
          for (const auto& kv : in["tags"]) {
            input.tags.push_back({kv.first.as<std::string>(""), Str(kv.second)});
          }
        }
        out.push_back(std::move(input));
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<SourceModel>> Models() override;

 private:
  static bool ParseValue(absl::string_view s, double* out) {
    if (s == "nan" || s == "NaN") {
      *out = std::nan("");
      return true;
    }
    if (s == "inf" || s == "Infinity") {
      *out = INFINITY;
      return true;
    }
    if (s == "-inf" || s == "-Infinity") {
      *out = -INFINITY;
      return true;
    }
    return absl::SimpleAtod(s, out);
  }

  void AddExperimentDir(const fs::path& dir) {
    std::error_code ec;
    int64_t id = 0;
    if (!absl::SimpleAtoi(dir.filename().string(), &id) || !fs::exists(dir / "meta.yaml", ec)) {
      return;
    }
    experiment_dirs_[id] = dir;
  }

  std::vector<std::pair<int64_t, fs::path>> RunDirs() {
    std::vector<std::pair<int64_t, fs::path>> out;
    std::error_code ec;
    for (const auto& [id, dir] : experiment_dirs_) {
      for (const fs::path& run_dir : SubDirs(dir)) {
        if (fs::exists(run_dir / "meta.yaml", ec)) out.emplace_back(id, run_dir);
      }
    }
    return out;
  }

  static std::string RunId(const fs::path& run_dir) { return run_dir.filename().string(); }

  absl::Status ScanFiles(const char* folder, const KeyValueRowFn& fn) {
    for (const auto& [id, run_dir] : RunDirs()) {
      std::string run = RunId(run_dir);
      for (const auto& [key, path] : KeyFiles(run_dir / folder)) fn(run, key, ReadFile(path));
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<YAML::Node> Yaml(const fs::path& path) {
    try {
      return YAML::LoadFile(path.string());
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat("cannot read ", path.string(), ": ", e.what()));
    }
  }

  fs::path root_;
  std::map<int64_t, fs::path> experiment_dirs_;
  absl::Status status_;
};

absl::StatusOr<std::vector<SourceModel>> MlflowFileSource::Models() {
  std::vector<SourceModel> out;
  for (const fs::path& dir : SubDirs(root_ / "models")) {
    std::error_code ec;
    if (!fs::exists(dir / "meta.yaml", ec)) continue;
    ASSIGN_OR_RETURN(YAML::Node meta, Yaml(dir / "meta.yaml"));
    SourceModel m;
    m.name = Str(meta["name"]);
    m.description = Str(meta["description"]);
    m.creation_time = Int(meta["creation_timestamp"]);
    m.last_updated_time = Int(meta["last_updated_timestamp"]);
    for (const auto& [key, path] : KeyFiles(dir / "tags")) m.tags.push_back({key, ReadFile(path)});
    for (const fs::path& vdir : SubDirs(dir)) {
      std::string base = vdir.filename().string();
      int64_t number = 0;
      if (base.rfind("version-", 0) != 0 || !absl::SimpleAtoi(base.substr(8), &number)) continue;
      ASSIGN_OR_RETURN(YAML::Node vm, Yaml(vdir / "meta.yaml"));
      m.max_version = std::max(m.max_version, number);
      if (Str(vm["current_stage"]) == "Deleted_Internal") continue;
      SourceVersion v;
      v.version = number;
      v.creation_time = Int(vm["creation_timestamp"]);
      v.last_updated_time = Int(vm["last_updated_timestamp"]);
      if (vm["current_stage"]) v.current_stage = Str(vm["current_stage"]);
      v.description = Str(vm["description"]);
      v.source = Str(vm["source"]);
      v.storage_location = Str(vm["storage_location"]);
      v.run_id = Str(vm["run_id"]);
      v.run_link = Str(vm["run_link"]);
      if (vm["status"]) v.status = Str(vm["status"]);
      v.status_message = Str(vm["status_message"]);
      for (const auto& [key, path] : KeyFiles(vdir / "tags")) {
        v.tags.push_back({key, ReadFile(path)});
      }
      m.versions.push_back(std::move(v));
    }
    std::sort(m.versions.begin(), m.versions.end(),
              [](const SourceVersion& a, const SourceVersion& b) { return a.version < b.version; });
    for (const auto& [alias, path] : KeyFiles(dir / "aliases")) {
      int64_t version = 0;
      std::string text = ReadFile(path);
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &version)) {
        m.aliases.push_back({alias, version});
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MlflowSource>> CreateMlflowFileSource(const std::string& root) {
  auto source = std::make_unique<MlflowFileSource>(root);
  RETURN_IF_ERROR(source->Init());
  return std::unique_ptr<MlflowSource>(std::move(source));
}

}  // namespace plinth::importer
