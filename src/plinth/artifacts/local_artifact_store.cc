#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "plinth/artifacts/artifact_store.h"
#include "plinth/common/files.h"
#include "plinth/common/status_macros.h"

namespace plinth::artifacts {
namespace {
namespace fs = std::filesystem;

class LocalArtifactStore final : public ArtifactStore {
 public:
  explicit LocalArtifactStore(fs::path root) : root_(std::move(root)) {}

  absl::StatusOr<std::vector<FileInfo>> List(const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path dir, ResolveUnder(root_, path));
    std::vector<FileInfo> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.find(".tmp-") != std::string::npos) continue;  // an upload in progress
      FileInfo info;
      info.path = path.empty() ? name : absl::StrCat(path, "/", name);
      info.is_dir = entry.is_directory(ec);
      if (!info.is_dir) info.file_size = static_cast<int64_t>(entry.file_size(ec));
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
    return out;
  }

  absl::StatusOr<std::string> Read(const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path file, ResolveUnder(root_, path));
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      return absl::NotFoundError(absl::StrCat("artifact '", path, "' does not exist"));
    }
    return ReadFile(file);
  }

  absl::Status Write(const std::string& path, const std::string& data) override {
    if (path.empty()) return absl::InvalidArgumentError("artifact path is empty: name a file");
    ASSIGN_OR_RETURN(fs::path file, ResolveUnder(root_, path));
    return WriteFileAtomic(file, data);
  }

  absl::Status Delete(const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path target, ResolveUnder(root_, path));
    if (target == root_) return absl::InvalidArgumentError("refusing to delete the artifact root");
    std::error_code ec;
    if (!fs::exists(target, ec)) {
      return absl::NotFoundError(absl::StrCat("artifact '", path, "' does not exist"));
    }
    fs::remove_all(target, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot delete '", path, "': ", ec.message()));
    return absl::OkStatus();
  }

 private:
  fs::path root_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ArtifactStore>> CreateLocalArtifactStore(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create artifact folder ", root, ": ", ec.message()));
  }
  return std::make_unique<LocalArtifactStore>(fs::weakly_canonical(root));
}

}  // namespace plinth::artifacts
