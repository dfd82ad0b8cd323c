// artifacts/list and the mlflow-artifacts proxy: clients upload and download
// run artifacts through the server, which stores them in its ArtifactStore.
// Proxy paths start with the experiment id ("<experiment_id>/<run_id>/
// artifacts/..."), which decides the owning team.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/common/text.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/tracking/mlflow_routes.h"

namespace plinth::tracking {
namespace {

using http::Args;
using http::Request;
using http::Response;

constexpr absl::string_view kProxyScheme = "mlflow-artifacts:/";
constexpr char kProxyPrefix[] = "/api/2.0/mlflow-artifacts/artifacts";
constexpr char kAjaxProxyPrefix[] = "/ajax-api/2.0/mlflow-artifacts/artifacts";

absl::Status ValidateArtifactPath(absl::string_view path);

// The store and folder that hold a run's artifacts:
// "mlflow-artifacts:/1/abc/artifacts" -> (proxy, "1/abc/artifacts"),
// "<file root>/1/abc/artifacts" -> (file root, "1/abc/artifacts").
struct RunFolder {
  artifacts::ArtifactStore* store;
  std::string root;
};

absl::StatusOr<RunFolder> RunFolderOf(const ArtifactRoots& roots, const std::string& artifact_uri) {
  if (roots.proxy && absl::StartsWith(artifact_uri, kProxyScheme)) {
    return RunFolder{roots.proxy, std::string(absl::StripPrefix(artifact_uri, kProxyScheme))};
  }
  if (roots.file_root && absl::StartsWith(artifact_uri, roots.file_root_uri + "/")) {
    std::string rel = artifact_uri.substr(roots.file_root_uri.size() + 1);
    // The store refuses paths that leave its folder; this refuses the
    // spellings ("a/../..") that mean another folder before it resolves them.
    if (ValidateArtifactPath(rel).ok()) return RunFolder{roots.file_root, rel};
  }
  return InvalidState(absl::StrCat("artifact location '", Abbreviate(artifact_uri),
                                   "' is not served by this server; read it from its own store"));
}

// MLflow's validate_path_is_safe, plus control characters (a CR or LF in a
// file name could end up in a response header): INVALID_PARAMETER_VALUE
// "Invalid path", MLflow's exact message.
absl::Status ValidateArtifactPath(absl::string_view path) {
  bool bad =
      absl::StrContains(path, '#') || absl::StrContains(path, '\\') || absl::StartsWith(path, "/");
  for (char c : path) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) bad = true;
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") bad = true;
  }
  // A Windows drive ("C:...") is absolute on the machine that reads it.
  if (path.size() >= 2 && absl::ascii_isalpha(path[0]) && path[1] == ':') bad = true;
  if (bad) return InvalidParameter("Invalid path");
  return absl::OkStatus();
}

// RFC 6266: an ASCII fallback name plus the exact UTF-8 name, so no byte of
// a client-chosen name can end the header or start another.
std::string ContentDisposition(absl::string_view name) {
  std::string ascii, encoded;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    bool printable = u >= 0x20 && u < 0x7f;
    ascii += (printable && c != '"' && c != '\\') ? c : '_';
    if (absl::ascii_isalnum(c) || absl::StrContains("!#$&+-.^_`|~", c)) {
      encoded += c;
    } else {
      absl::StrAppendFormat(&encoded, "%%%02X", u);
    }
  }
  return absl::StrCat("attachment; filename=\"", ascii, "\"; filename*=UTF-8''", encoded);
}

Json FileInfoJson(const artifacts::FileInfo& f, const std::string& path) {
  Json j = {{"path", path}, {"is_dir", f.is_dir}};
  if (!f.is_dir) j["file_size"] = f.file_size;
  return j;
}

absl::StatusOr<Json> ListRunArtifacts(TrackingStore& store, const ArtifactRoots& roots,
                                      Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, args.RequiredStringOneOf({"run_id", "run_uuid"}));
  ASSIGN_OR_RETURN(auto path, args.String("path"));
  ASSIGN_OR_RETURN(RunOwner owner, store.GetRunOwner(run_id));
  RETURN_IF_ERROR(http::RequireTeamAccess(req.principal, owner.team, absl::StrCat("run ", run_id)));
  ASSIGN_OR_RETURN(RunFolder folder, RunFolderOf(roots, owner.artifact_uri));
  std::string rel = path.value_or("");
  RETURN_IF_ERROR(ValidateArtifactPath(rel));
  while (absl::EndsWith(rel, "/")) rel.pop_back();
  ASSIGN_OR_RETURN(
      auto listed,
      folder.store->List(rel.empty() ? folder.root : absl::StrCat(folder.root, "/", rel)));
  Json out = {{"root_uri", owner.artifact_uri}, {"files", Json::array()}};
  for (const auto& f : listed) {
    std::string name = f.path.substr(f.path.rfind('/') + 1);
    out["files"].push_back(FileInfoJson(f, rel.empty() ? name : absl::StrCat(rel, "/", name)));
  }
  return out;
}

// Checks the caller's access to the experiment a proxy path starts with.
absl::Status CheckProxyPath(TrackingStore& store, const Request& req, const std::string& path,
                            bool write) {
  if (write) RETURN_IF_ERROR(http::RequireWrite(req.principal));
  if (req.principal.IsAdmin()) return absl::OkStatus();
  std::string first = std::string(*absl::StrSplit(path, '/').begin());
  int64_t experiment_id;
  if (!absl::SimpleAtoi(first, &experiment_id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("artifact path '", path, "' must start with an experiment id"));
  }
  ASSIGN_OR_RETURN(Experiment e, store.GetExperiment(experiment_id));
  return http::RequireTeamAccess(req.principal, e.team, absl::StrCat("experiment ", experiment_id));
}

// The path after ".../artifacts/", kept as sent: a further leading '/' makes
// it absolute, which ValidateArtifactPath refuses.
std::string ProxyPathOf(const Request& req) { return req.path_suffix; }

Response ProxyGet(TrackingStore& store, artifacts::ArtifactStore& files, Request& req) {
  std::string path = ProxyPathOf(req);
  absl::Status access = ValidateArtifactPath(path);
  if (access.ok()) access = CheckProxyPath(store, req, path, false);
  if (!access.ok()) return http::MlflowError(access);
  absl::StatusOr<std::string> data = files.Read(path);
  if (!data.ok()) {
    return http::MlflowError(data.status().code() == absl::StatusCode::kNotFound
                                 ? NotFound(data.status().message())
                                 : data.status());
  }
  Response r = Response::Text(*std::move(data), 200, "application/octet-stream");
  std::string name = path.substr(path.rfind('/') + 1);
  r.headers.push_back({"Content-Disposition", ContentDisposition(name)});
  return r;
}

absl::StatusOr<Json> ProxyPut(TrackingStore& store, artifacts::ArtifactStore& files, Request& req) {
  std::string path = ProxyPathOf(req);
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  RETURN_IF_ERROR(CheckProxyPath(store, req, path, true));
  RETURN_IF_ERROR(files.Write(path, req.body));
  return Json::object();
}

absl::StatusOr<Json> ProxyDelete(TrackingStore& store, artifacts::ArtifactStore& files,
                                 Request& req) {
  std::string path = ProxyPathOf(req);
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  RETURN_IF_ERROR(CheckProxyPath(store, req, path, true));
  // MLflow's proxy deletes nothing, successfully, when nothing is there.
  absl::Status deleted = files.Delete(path);
  if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  return Json::object();
}

absl::StatusOr<Json> ProxyList(TrackingStore& store, artifacts::ArtifactStore& files,
                               Request& req) {
  std::string path = req.QueryParam("path").value_or("");
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  while (absl::EndsWith(path, "/")) path.pop_back();
  if (!path.empty())
    RETURN_IF_ERROR(CheckProxyPath(store, req, path, false));
  else if (!req.principal.IsAdmin()) {
    return absl::PermissionDeniedError("listing the artifact root needs an admin token");
  }
  ASSIGN_OR_RETURN(auto listed, files.List(path));
  Json out = {{"files", Json::array()}};
  for (const auto& f : listed) {
    out["files"].push_back(FileInfoJson(f, f.path.substr(f.path.rfind('/') + 1)));
  }
  return out;
}

// ajax upload-artifact?run_uuid=&path= (MLflow's UI): the body is the file,
// stored under the run's artifact root.
absl::StatusOr<Json> UploadArtifact(TrackingStore& store, const ArtifactRoots& roots,
                                    Request& req) {
  constexpr size_t kMaxUploadBytes = 10 * 1024 * 1024;  // MLflow's limit
  std::string run_id = req.QueryParam("run_uuid").value_or("");
  if (run_id.empty()) return InvalidParameter("Request must specify run_uuid.");
  std::string path = req.QueryParam("path").value_or("");
  if (path.empty()) return InvalidParameter("Request must specify path.");
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  if (req.body.size() > kMaxUploadBytes) {
    return InvalidParameter("Artifact size is too large. Max size is 10MB.");
  }
  if (req.body.empty()) return InvalidParameter("Request must specify data.");
  RETURN_IF_ERROR(http::RequireWrite(req.principal));
  ASSIGN_OR_RETURN(RunOwner owner, store.GetRunOwner(run_id));
  RETURN_IF_ERROR(http::RequireTeamAccess(req.principal, owner.team, absl::StrCat("run ", run_id)));
  ASSIGN_OR_RETURN(RunFolder folder, RunFolderOf(roots, owner.artifact_uri));
  RETURN_IF_ERROR(folder.store->Write(absl::StrCat(folder.root, "/", path), req.body));
  return Json::object();
}

}  // namespace

void RegisterArtifactRoutes(http::Router& router, TrackingStore& store, ArtifactRoots roots) {
  AddMlflowRoute(router, "GET", "artifacts/list", http::MlflowHandler([&store, roots](Request& r) {
                   return ListRunArtifacts(store, roots, r);
                 }));
  router.Add(
      "POST", "/ajax-api/2.0/mlflow/upload-artifact",
      http::MlflowHandler([&store, roots](Request& r) { return UploadArtifact(store, roots, r); }));
  if (roots.proxy == nullptr) return;
  artifacts::ArtifactStore* files = roots.proxy;
  // MLflow's UI calls the same proxy under /ajax-api.
  for (std::string prefix : {std::string(kProxyPrefix), std::string(kAjaxProxyPrefix)}) {
    router.Add("GET", prefix, http::MlflowHandler([&store, files](Request& r) {
                 return ProxyList(store, *files, r);
               }));
    router.AddPrefix("GET", prefix + "/",
                     [&store, files](Request& r) { return ProxyGet(store, *files, r); });
    router.AddPrefix("PUT", prefix + "/", http::MlflowHandler([&store, files](Request& r) {
                       return ProxyPut(store, *files, r);
                     }));
    router.AddPrefix("DELETE", prefix + "/", http::MlflowHandler([&store, files](Request& r) {
                       return ProxyDelete(store, *files, r);
                     }));
  }
}

}  // namespace plinth::tracking
