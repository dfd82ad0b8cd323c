// Free space on the disks the server writes to, and the one error every
// module returns when a write is refused because a disk is full.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace plinth {

// Bytes available to the server on the filesystem holding `path`, or
// nullopt when it cannot be read.
std::optional<uint64_t> FreeBytes(const std::filesystem::path& path);

// The write that failed did not happen; nothing acknowledged is lost.
// HTTP 507 (Insufficient Storage), error name RESOURCE_EXHAUSTED. The
// message names the disk by its role (`what`: "the server's data folder"),
// never by path, and says how much is free. Logged at warning level at
// most once a minute, however many requests fail.
absl::Status DiskFullError(const std::filesystem::path& path, absl::string_view what);

// Whether `status` is a DiskFullError.
bool IsDiskFull(const absl::Status& status);

// Where DiskFullError's warning goes: one line on stderr, unless the
// program sends it elsewhere (the server, to its log). A hook rather than
// a logging library here, so that the job supervisor, which links this
// file, stays a small static program. Set once, at start.
using StorageWarning = void (*)(const std::string& line);
void SetStorageWarning(StorageWarning warn);

}  // namespace plinth
