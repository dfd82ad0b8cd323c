// RegistryStore: where a new model version's files are. MLflow's rules for
// sources (local paths only inside the run's artifact directory, no relative
// references elsewhere) and the resolution of runs:/ and models:/ URIs.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/artifacts/artifact_uri.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/registry/registry_queries.h"
#include "plinth/registry/registry_store.h"
#include "plinth/registry/registry_validation.h"

namespace plinth::registry {

using internal::FindModel;
using internal::FindVersion;
using internal::ModelRow;
using internal::RequireName;
using internal::RequireVersion;

namespace {

std::string JoinUri(const std::string& base, const std::string& path) {
  if (path.empty()) return base;
  std::string out = base;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return absl::StrCat(out, "/", path);
}

}  // namespace

// A version whose files are in another team's experiment folder would let its
// team read them through the registry; refused without naming the owner.
absl::Status RegistryStore::CheckSourceFolder(const Principal& principal,
                                              const std::string& source) {
  std::optional<int64_t> id = artifacts::ExperimentFolderOf(source);
  if (!id || principal.IsAdmin()) return absl::OkStatus();
  absl::StatusOr<std::string> team = runs_.ExperimentTeam(*id);
  if (team.ok() && *team == principal.team) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("Permission denied: source '", source,
                   "' is inside the artifact folder of an experiment you cannot read"));
}

absl::StatusOr<std::string> RegistryStore::ResolveSource(const Principal& principal,
                                                         const NewModelVersion& request) {
  const std::string& source = request.source;
  std::optional<RunLookup::RunInfo> run;
  std::string run_id = request.run_id;
  auto lookup = [&](const std::string& id) -> absl::Status {
    absl::StatusOr<RunLookup::RunInfo> found = runs_.GetRun(id);
    if (!found.ok()) return found.status();
    RETURN_IF_ERROR(
        http::RequireTeamAccess(principal, found->team, absl::StrCat("run '", id, "'")));
    run = *std::move(found);
    return absl::OkStatus();
  };
  // MLflow does not require a given run_id to exist; when it does exist, it
  // must be the caller's team's.
  if (!run_id.empty()) {
    absl::Status s = lookup(run_id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  if (IsLocalUri(source)) {
    RETURN_IF_ERROR(ValidateLocalSource(source, run ? run->artifact_uri : ""));
    return source;
  }
  RETURN_IF_ERROR(ValidateNonLocalSource(source));
  RETURN_IF_ERROR(CheckSourceFolder(principal, source));
  UriParts parts = ParseUri(source);
  if (parts.scheme == "runs") {
    // runs:/<run_id>/<path>, as MLflow's RunsArtifactRepository parses it.
    std::string path = parts.path;
    if (path.size() <= 1 || path[0] != '/' || path[1] == '/') {
      return InvalidParameter(absl::StrCat(
          "Not a proper runs:/ URI: ", source,
          ". Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"));
    }
    path = path.substr(1);
    size_t slash = path.find('/');
    std::string id = path.substr(0, slash);
    std::string artifact_path = slash == std::string::npos ? "" : path.substr(slash + 1);
    if (!run || id != run_id) {
      run.reset();
      RETURN_IF_ERROR(lookup(id));
    }
    return JoinUri(run->artifact_uri, artifact_path);
  }
  if (parts.scheme == "models") {
    // models:/<model_id> names an MLflow 3 logged model, which this registry
    // does not track; it is kept as given, like any other remote URI.
    absl::string_view rest = absl::StripPrefix(parts.path, "/");
    if (!rest.empty() && !absl::StrContains(rest, '/') && !absl::StrContains(rest, '@')) {
      return source;
    }
    absl::StatusOr<std::string> resolved = ResolveModelsUri(principal, source);
    if (!resolved.ok() && !absl::IsPermissionDenied(resolved.status())) {
      return InvalidParameter(
          absl::StrCat("Unable to fetch model from model URI source artifact location '", source,
                       "'. Error: ", resolved.status().message()));
    }
    return resolved;
  }
  return source;
}

absl::StatusOr<std::string> RegistryStore::ResolveModelsUri(const Principal& principal,
                                                            const std::string& uri) {
  auto bad_uri = [&uri] {
    return InvalidParameter(absl::StrCat(
        "Not a proper models:/ URI: ", uri,
        ". Models URIs must be of the form 'models:/model_name/suffix' or "
        "'models:/model_name@alias' where suffix is a model version, stage, or the string "
        "'latest' and where alias is a registered model alias. Only one of suffix or alias can "
        "be defined at a time."));
  };
  UriParts parts = ParseUri(uri);
  std::string path = parts.path;
  if (parts.scheme != "models" || path.size() <= 1 || path[0] != '/') return bad_uri();
  path = path.substr(1);
  if (path.back() == '/') path.pop_back();
  std::string name, suffix, alias;
  std::vector<std::string> pieces = absl::StrSplit(path, '/');
  if (pieces.size() == 2) {
    name = pieces[0];
    suffix = pieces[1];
    if (absl::StripAsciiWhitespace(suffix).empty()) return bad_uri();
  } else if (pieces.size() == 1 && path.rfind('@') != std::string::npos) {
    size_t at = path.rfind('@');
    name = path.substr(0, at);
    alias = path.substr(at + 1);
  } else {
    return bad_uri();
  }
  if (absl::StripAsciiWhitespace(name).empty()) return bad_uri();

  std::string out;
  RETURN_IF_ERROR(db_.TimedRead("registry_resolve_uri", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(ModelRow model, FindModel(s, principal, name));
    int64_t version = 0;
    if (!alias.empty()) {
      ASSIGN_OR_RETURN(auto rows, s.Query("SELECT version FROM registered_model_aliases WHERE "
                                          "model_id = ? AND alias = ?",
                                          {model.model_id, alias}));
      if (rows.empty()) {
        return InvalidParameter(absl::StrCat("Registered model alias ", alias, " not found."));
      }
      version = rows[0].Int(0);
    } else if (std::all_of(suffix.begin(), suffix.end(),
                           [](char c) { return absl::ascii_isdigit(c); })) {
      ASSIGN_OR_RETURN(version, ParseVersion(suffix));
    } else {
      std::string sql = "SELECT MAX(version) FROM model_versions WHERE model_id = ?";
      std::vector<db::Value> params = {model.model_id};
      std::string stage;
      if (!absl::EqualsIgnoreCase(suffix, "latest")) {
        ASSIGN_OR_RETURN(stage, CanonicalStage(suffix));
        absl::StrAppend(&sql, " AND current_stage = ?");
        params.emplace_back(stage);
      }
      ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
      if (rows.empty() || rows[0].IsNull(0)) {
        return NotFound(absl::StrCat("No versions of model with name '", name, "'",
                                     stage.empty() ? "" : absl::StrCat(" and stage '", stage, "'"),
                                     " found"));
      }
      version = rows[0].Int(0);
    }
    ASSIGN_OR_RETURN(ModelVersion v, FindVersion(s, model, version));
    out = v.storage_location.empty() ? v.source : v.storage_location;
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace plinth::registry
