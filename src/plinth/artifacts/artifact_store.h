// Artifact storage behind one interface (local files now; object stores
// later). Paths are '/'-separated and relative to the store's root; a path
// can never escape the root.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::artifacts {

struct FileInfo {
  std::string path;  // relative to the listed folder's root as the caller asked
  bool is_dir = false;
  int64_t file_size = 0;  // 0 for folders
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  // Immediate children of folder `path`, sorted by name; empty when missing.
  virtual absl::StatusOr<std::vector<FileInfo>> List(const std::string& path) = 0;
  virtual absl::StatusOr<std::string> Read(const std::string& path) = 0;
  // Atomic: a reader sees the old file or the whole new one.
  virtual absl::Status Write(const std::string& path, const std::string& data) = 0;
  // Deletes a file or a folder tree.
  virtual absl::Status Delete(const std::string& path) = 0;
};

// Files under `root` (created if missing).
absl::StatusOr<std::unique_ptr<ArtifactStore>> CreateLocalArtifactStore(const std::string& root);

}  // namespace plinth::artifacts
