// Filesystem helpers: confinement of client-supplied paths and atomic writes.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plinth {

// Resolves `relative` (a client-supplied, '/'-separated path) under `root`.
// Rejects absolute paths, '..' components, NUL bytes, control characters,
// backslashes, components over 255 bytes, paths over 1024 bytes, and
// any result that a symlink would place outside `root`, with an
// InvalidArgument error that says why. "" resolves to root itself.
absl::StatusOr<std::filesystem::path> ResolveUnder(const std::filesystem::path& root,
                                                   const std::string& relative);

// Writes `data` to `path` atomically: a temporary file in the same folder,
// fsync, then rename, so readers and crashes never see a partial file.
// Creates missing parent folders.
enum class Durability {
  kSynced,        // on disk before returning (survives a power loss)
  kProcessCrash,  // atomic, no fsync: survives a killed process, not the host
};
absl::Status WriteFileAtomic(const std::filesystem::path& path, const std::string& data,
                             Durability durability = Durability::kSynced);

// Reads a whole file.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace plinth
