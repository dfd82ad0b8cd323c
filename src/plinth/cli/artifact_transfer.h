// Moving a run's artifacts between local disk and the server's MLflow
// artifact proxy (/api/2.0/mlflow-artifacts/artifacts/...), one streamed
// file at a time, with an overall progress bar.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/http/client.h"

namespace plinth::cli {

// The proxy URL path of a run's artifact root, from its artifact_uri:
// "mlflow-artifacts:/1/abc/artifacts" (or "mlflow-artifacts://host/1/abc/artifacts")
// -> "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts". Other schemes
// are not served by the proxy: FailedPrecondition.
absl::StatusOr<std::string> ArtifactProxyBase(absl::string_view artifact_uri);

// `path` as a clean artifact-relative path: no leading, trailing or doubled
// '/', no "." components ("" is the root). ".." is rejected.
absl::StatusOr<std::string> CleanArtifactPath(absl::string_view path);

// root/rel for a path the server listed, refusing one that would land
// outside `root` (absolute, or with ".." components).
absl::StatusOr<std::filesystem::path> SafeLocalPath(const std::filesystem::path& root,
                                                    absl::string_view rel);

struct LocalFile {
  std::filesystem::path local;
  std::string rel;  // '/'-separated, relative to the uploaded directory
  uint64_t size = 0;
};
// The regular files to upload for `source`: the file itself (rel = its
// name), or every file under a directory, recursively, sorted by rel.
absl::StatusOr<std::vector<LocalFile>> CollectLocalFiles(const std::filesystem::path& source);

struct RemoteFile {
  std::string path;  // relative to the run's artifact root
  bool is_dir = false;
  uint64_t size = 0;
};

class ArtifactTransfer {
 public:
  // `client` must outlive this. Progress is drawn on stderr when `progress`.
  ArtifactTransfer(http::HttpClient& client, std::string run_id, std::string proxy_base,
                   bool progress)
      : client_(client),
        run_id_(std::move(run_id)),
        base_(std::move(proxy_base)),
        progress_(progress) {}

  // One directory level of artifacts under `dir` ("" = root), all pages.
  absl::StatusOr<std::vector<RemoteFile>> List(const std::string& dir);
  // Every file under `dir`, recursively.
  absl::StatusOr<std::vector<RemoteFile>> ListFiles(const std::string& dir);
  // The entry for `path`, found by listing its parent; NotFound if absent.
  // The root ("") is a directory.
  absl::StatusOr<RemoteFile> Stat(const std::string& path);

  // PUTs each file to <dest_dir>/<rel>.
  absl::Status Upload(const std::vector<LocalFile>& files, const std::string& dest_dir);
  // GETs each remote file to local_root/<path with `strip_prefix` removed>.
  absl::Status Download(const std::vector<RemoteFile>& files, const std::string& strip_prefix,
                        const std::filesystem::path& local_root);
  // GETs one remote file to `local`.
  absl::Status DownloadOne(const RemoteFile& file, const std::filesystem::path& local);

 private:
  std::string FileUrl(const std::string& path) const;

  http::HttpClient& client_;
  std::string run_id_;
  std::string base_;
  bool progress_;
};

}  // namespace plinth::cli
