#include "plinth/importer/artifact_copy.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace plinth::importer {
namespace fs = std::filesystem;

namespace {
constexpr absl::string_view kProxyScheme = "mlflow-artifacts:";

// "file:///a/b" and "file:/a/b" -> "/a/b"; paths stay paths.
std::string FilePath(absl::string_view uri) {
  if (absl::ConsumePrefix(&uri, "file://")) return std::string(uri);
  if (absl::ConsumePrefix(&uri, "file:")) return std::string(uri);
  return std::string(uri);
}

bool IsDir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}
}  // namespace

bool IsLocalArtifactUri(const std::string& uri) {
  if (absl::StartsWith(uri, kProxyScheme) || absl::StartsWith(uri, "file:")) return true;
  return uri.find("://") == std::string::npos;
}

std::optional<std::string> LocalArtifactDir(const std::string& uri,
                                            const std::string& artifacts_dir, int64_t experiment_id,
                                            const std::string& run_id) {
  if (absl::StartsWith(uri, kProxyScheme)) {
    if (artifacts_dir.empty()) return std::nullopt;
    absl::string_view rest = absl::StripPrefix(uri, kProxyScheme);
    // mlflow-artifacts://host:port/path carries an authority; drop it.
    if (absl::ConsumePrefix(&rest, "//")) {
      size_t slash = rest.find('/');
      rest = slash == absl::string_view::npos ? "" : rest.substr(slash);
    }
    rest = absl::StripLeadingAsciiWhitespace(rest);
    while (absl::ConsumePrefix(&rest, "/")) {
    }
    std::string path = absl::StrCat(artifacts_dir, "/", rest);
    return IsDir(path) ? std::optional(path) : std::nullopt;
  }
  if (!IsLocalArtifactUri(uri)) return std::nullopt;
  std::string path = FilePath(uri);
  if (IsDir(path)) return path;
  if (!artifacts_dir.empty()) {
    std::string guess = absl::StrCat(artifacts_dir, "/", experiment_id, "/", run_id, "/artifacts");
    if (IsDir(guess)) return guess;
  }
  return std::nullopt;
}

int64_t CountFiles(const std::string& dir) {
  std::error_code ec;
  int64_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) ++n;
  }
  return n;
}

absl::StatusOr<int64_t> CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  int64_t copied = 0;
  for (auto it = fs::recursive_directory_iterator(from, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path target = fs::path(to) / fs::relative(it->path(), from, ec);
    std::error_code size_ec;
    if (fs::exists(target, size_ec) && fs::file_size(target, size_ec) == it->file_size(size_ec)) {
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) break;
    // Written beside and renamed: an interrupted copy leaves no partial file.
    fs::path partial = target;
    partial += ".import-partial";
    fs::copy_file(it->path(), partial, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(partial, target, ec);
    if (ec) break;
    ++copied;
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot copy artifacts from ", from, " to ", to, ": ", ec.message()));
  }
  return copied;
}

}  // namespace plinth::importer
