#include "plinth/common/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/storage.h"
#include "plinth/common/text.h"

namespace plinth {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxPathComponent = 255;  // NAME_MAX on Linux file systems
constexpr size_t kMaxRelativePath = 1024;  // leaves room under PATH_MAX for the root

}  // namespace

absl::StatusOr<fs::path> ResolveUnder(const fs::path& root, const std::string& relative) {
  auto reject = [&](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path '", Abbreviate(EscapeForTerminal(relative)), "': ", why));
  };
  if (relative.find('\0') != std::string::npos) return reject("contains a NUL byte");
  if (HasControlCharacter(relative)) return reject("contains a control character");
  // The file system's own limits, checked here so they are a clear 400
  // rather than ENAMETOOLONG from deep inside a write.
  if (relative.size() > kMaxRelativePath) return reject("is longer than 1024 bytes");
  if (relative.find('\\') != std::string::npos) return reject("contains a backslash");
  if (!relative.empty() && relative[0] == '/') {
    return reject("must be relative (no leading '/')");
  }
  fs::path out = root;
  for (absl::string_view part : absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    if (part == "..") return reject("'..' may not appear in a path");
    if (part == ".") continue;
    if (part.size() > kMaxPathComponent) return reject("has a component longer than 255 bytes");
    out /= std::string(part);
  }
  // A symlink inside root could still point outside it.
  std::error_code ec;
  fs::path canonical_root = fs::weakly_canonical(root, ec);
  fs::path canonical = fs::weakly_canonical(out, ec);
  if (!ec) {
    auto [root_end, _] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                       canonical.begin(), canonical.end());
    if (root_end != canonical_root.end()) return reject("resolves outside its folder");
  }
  return out;
}

absl::Status WriteFileAtomic(const fs::path& path, const std::string& data, Durability durability) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create folder ", path.parent_path().string(), ": ", ec.message()));
  }
  // Unique on this machine (pid, then a counter), which is all a temporary
  // name needs: no random bytes, so a small program such as the shim never
  // loads and configures a crypto library to write a file.
  static std::atomic<uint64_t> next_tmp{0};
  fs::path tmp = path;
  tmp += absl::StrCat(".tmp-", ::getpid(), "-", next_tmp.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ENOSPC) return DiskFullError(path.parent_path(), "the server's data folder");
    return absl::InternalError(absl::StrCat("cannot write ", tmp.string()));
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      bool full = n < 0 && (errno == ENOSPC || errno == EDQUOT);
      ::close(fd);
      fs::remove(tmp, ec);
      if (full) return DiskFullError(path.parent_path(), "the server's data folder");
      return absl::InternalError(absl::StrCat("short write to ", tmp.string()));
    }
    done += n;
  }
  bool synced = durability == Durability::kProcessCrash || ::fsync(fd) == 0;
  bool full = !synced && (errno == ENOSPC || errno == EDQUOT);
  ::close(fd);
  if (!synced) {
    fs::remove(tmp, ec);
    if (full) return DiskFullError(path.parent_path(), "the server's data folder");
    return absl::InternalError(absl::StrCat("cannot flush ", tmp.string(), " to disk"));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return absl::InternalError(absl::StrCat("cannot rename into ", path.string()));
  }
  if (durability == Durability::kProcessCrash) return absl::OkStatus();
  // Make the rename itself durable.
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace plinth
