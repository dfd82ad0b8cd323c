#include "plinth/cli/artifact_transfer.h"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/cli/client_commands.h"
#include "plinth/cli/progress.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/message.h"

namespace plinth::cli {
namespace fs = std::filesystem;
namespace {

constexpr absl::string_view kScheme = "mlflow-artifacts:";
constexpr absl::string_view kProxyPrefix = "/api/2.0/mlflow-artifacts/artifacts";

uint64_t TotalSize(const auto& files) {
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  return total;
}

}  // namespace

absl::StatusOr<std::string> ArtifactProxyBase(absl::string_view artifact_uri) {
  absl::string_view rest = artifact_uri;
  if (!absl::ConsumePrefix(&rest, kScheme)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the run's artifacts live at '", artifact_uri,
        "', which the server's artifact proxy does not serve (only mlflow-artifacts:/ URIs)"));
  }
  if (absl::ConsumePrefix(&rest, "//")) {  // mlflow-artifacts://host:port/path
    size_t slash = rest.find('/');
    rest = slash == absl::string_view::npos ? "" : rest.substr(slash);
  }
  ASSIGN_OR_RETURN(std::string path, CleanArtifactPath(rest));
  if (path.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the run's artifact URI '", artifact_uri, "' has no path"));
  }
  return absl::StrCat(kProxyPrefix, "/", path);
}

absl::StatusOr<std::string> CleanArtifactPath(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact path '", path, "' must not contain '..'"));
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

absl::StatusOr<fs::path> SafeLocalPath(const fs::path& root, absl::string_view rel) {
  if (absl::StartsWith(rel, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to write '", rel, "': the server sent an absolute path"));
  }
  fs::path out = root;
  for (absl::string_view part : absl::StrSplit(rel, '/', absl::SkipEmpty())) {
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing to write '", rel, "': it would land outside ", root.string()));
    }
    if (part == ".") continue;
    out /= std::string(part);
  }
  return out;
}

absl::StatusOr<std::vector<LocalFile>> CollectLocalFiles(const fs::path& source) {
  std::error_code ec;
  fs::file_status st = fs::status(source, ec);
  if (ec || !fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("'", source.string(), "' does not exist"));
  }
  std::vector<LocalFile> files;
  if (fs::is_regular_file(st)) {
    files.push_back({source, source.filename().string(), fs::file_size(source, ec)});
    return files;
  }
  if (!fs::is_directory(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", source.string(), "' is neither a file nor a directory"));
  }
  fs::recursive_directory_iterator it(source, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), source, ec).generic_string();
    files.push_back({it->path(), rel, it->file_size(ec)});
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read directory '", source.string(), "': ", ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const LocalFile& a, const LocalFile& b) { return a.rel < b.rel; });
  return files;
}

std::string ArtifactTransfer::FileUrl(const std::string& path) const {
  return absl::StrCat(base_, "/", http::PercentEncodePath(path));
}

absl::StatusOr<std::vector<RemoteFile>> ArtifactTransfer::List(const std::string& dir) {
  auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
    http::QueryParams query = {{"run_id", run_id_}};
    if (!dir.empty()) query.emplace_back("path", dir);
    if (!token.empty()) query.emplace_back("page_token", token);
    return client_.GetJson(absl::StrCat(kMlflowApi, "/artifacts/list"), query);
  };
  ASSIGN_OR_RETURN(std::vector<Json> entries, CollectPages(fetch, "files", 0));
  std::vector<RemoteFile> files;
  for (const Json& e : entries) {
    RemoteFile f{JsonString(e, "path"), JsonBool(e, "is_dir"),
                 static_cast<uint64_t>(std::max<int64_t>(0, JsonInt(e, "file_size")))};
    ASSIGN_OR_RETURN(f.path, CleanArtifactPath(f.path));
    files.push_back(std::move(f));
  }
  return files;
}

absl::StatusOr<std::vector<RemoteFile>> ArtifactTransfer::ListFiles(const std::string& dir) {
  std::vector<RemoteFile> out;
  std::vector<std::string> pending = {dir};
  while (!pending.empty()) {
    std::string next = std::move(pending.back());
    pending.pop_back();
    ASSIGN_OR_RETURN(std::vector<RemoteFile> entries, List(next));
    for (RemoteFile& e : entries) {
      // A server answering with the directory itself would loop forever.
      if (e.path == next || !absl::StartsWith(e.path, next)) continue;
      if (e.is_dir) {
        pending.push_back(e.path);
      } else {
        out.push_back(std::move(e));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RemoteFile& a, const RemoteFile& b) { return a.path < b.path; });
  return out;
}

absl::StatusOr<RemoteFile> ArtifactTransfer::Stat(const std::string& path) {
  if (path.empty()) return RemoteFile{"", true, 0};
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
  ASSIGN_OR_RETURN(std::vector<RemoteFile> entries, List(parent));
  for (const RemoteFile& e : entries) {
    if (e.path == path) return e;
  }
  return WithErrorName(
      absl::NotFoundError(absl::StrCat("run '", run_id_, "' has no artifact '", path, "'")),
      "RESOURCE_DOES_NOT_EXIST");
}

absl::Status ArtifactTransfer::Upload(const std::vector<LocalFile>& files,
                                      const std::string& dest_dir) {
  ProgressBar bar(stderr, progress_, TotalSize(files));
  uint64_t base = 0;
  for (const LocalFile& f : files) {
    std::string path = dest_dir.empty() ? f.rel : absl::StrCat(dest_dir, "/", f.rel);
    bar.SetLabel(path);
    http::ProgressFn on_progress = [&](uint64_t done, uint64_t) {
      bar.Update(base + done);
      return true;
    };
    absl::Status status = client_.UploadFile(FileUrl(path), f.local.string(), on_progress);
    if (!status.ok()) {
      return WithContext(status, absl::StrCat("uploading ", f.local.string()));
    }
    base += f.size;
    bar.Update(base);
  }
  bar.Finish();
  return absl::OkStatus();
}

absl::Status ArtifactTransfer::DownloadOne(const RemoteFile& file, const fs::path& local) {
  return Download({file}, file.path, local);
}

absl::Status ArtifactTransfer::Download(const std::vector<RemoteFile>& files,
                                        const std::string& strip_prefix,
                                        const fs::path& local_root) {
  ProgressBar bar(stderr, progress_, TotalSize(files));
  uint64_t base = 0;
  for (const RemoteFile& f : files) {
    // With one file and strip_prefix == its path, local_root is the target.
    absl::string_view rel = f.path;
    absl::ConsumePrefix(&rel, strip_prefix);
    absl::ConsumePrefix(&rel, "/");
    ASSIGN_OR_RETURN(fs::path local, SafeLocalPath(local_root, rel));
    std::error_code ec;
    if (local.has_parent_path()) fs::create_directories(local.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create ", local.parent_path().string(), ": ", ec.message()));
    }
    bar.SetLabel(f.path);
    http::ProgressFn on_progress = [&](uint64_t done, uint64_t) {
      bar.Update(base + done);
      return true;
    };
    absl::Status status = client_.DownloadFile(FileUrl(f.path), local.string(), on_progress);
    if (!status.ok()) {
      return WithContext(status, absl::StrCat("downloading ", f.path));
    }
    base += f.size;
    bar.Update(base);
  }
  bar.Finish();
  return absl::OkStatus();
}

}  // namespace plinth::cli
