#include "plinth/common/storage.h"

#include <sys/statvfs.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plinth/common/errors.h"

namespace plinth {
namespace {

constexpr char kDiskFullName[] = "RESOURCE_EXHAUSTED";
constexpr int kInsufficientStorage = 507;

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrCat(bytes, " bytes") : absl::StrFormat("%.1f %s", value, units[unit]);
}

void WarnOnStderr(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

std::atomic<StorageWarning> warning{&WarnOnStderr};

}  // namespace

void SetStorageWarning(StorageWarning warn) { warning = warn ? warn : &WarnOnStderr; }

std::optional<uint64_t> FreeBytes(const std::filesystem::path& path) {
  struct statvfs info;
  if (::statvfs(path.c_str(), &info) != 0) return std::nullopt;
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

absl::Status DiskFullError(const std::filesystem::path& path, absl::string_view what) {
  std::optional<uint64_t> free = FreeBytes(path);
  std::string message =
      absl::StrCat("the disk holding ", what, " is full",
                   free ? absl::StrCat(" (", HumanBytes(*free), " free)") : std::string(),
                   ": nothing was written; free some space and try again");
  static std::atomic<int64_t> last_logged{-1000};
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  int64_t last = last_logged.load();
  if (now - last >= 60 && last_logged.compare_exchange_strong(last, now)) {
    warning.load()(absl::StrCat(message, " (at ", path.string(),
                                "); writes are refused with 507 until space is freed"));
  }
  return WithHttpStatus(WithErrorName(absl::ResourceExhaustedError(message), kDiskFullName),
                        kInsufficientStorage);
}

bool IsDiskFull(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         HttpStatusFor(status) == kInsufficientStorage;
}

}  // namespace plinth
