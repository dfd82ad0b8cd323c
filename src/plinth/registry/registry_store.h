// The model registry: registered models, their numbered versions, stages,
// aliases and tags (MLflow's model registry), on the shared SQL database.
//
// Thread-safe: every method runs in its own Database::Read/Write call, and
// every change, however many rows it touches (a delete with its versions, a
// transition that archives others), is one transaction.
//
// Authorization is enforced here, inside the transaction that reads the
// owner: writes need a member or admin principal, and every model is owned
// by the team of the principal that created it; other teams get
// PERMISSION_DENIED (admins excepted) and do not see it in searches.
//
// Version numbers start at 1 for each model and are never reused after a
// delete. Errors use MLflow's codes and wording (RESOURCE_DOES_NOT_EXIST,
// RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plinth/common/clock.h"
#include "plinth/db/database.h"
#include "plinth/http/message.h"
#include "plinth/registry/registry_types.h"
#include "plinth/registry/run_lookup.h"

namespace plinth::registry {

using http::Principal;

inline constexpr int64_t kDefaultModelSearchResults = 100;
inline constexpr int64_t kMaxModelSearchResults = 1000;
inline constexpr int64_t kDefaultVersionSearchResults = 10000;
inline constexpr int64_t kMaxVersionSearchResults = 200000;

class RegistryStore {
 public:
  // Applies the registry's migrations. `db`, `runs` and `clock` must outlive the store.
  static absl::StatusOr<std::unique_ptr<RegistryStore>> Create(db::Database& db, RunLookup& runs,
                                                               const Clock& clock);

  // Registered models. `version` arguments are decimal strings, as on the wire.
  absl::StatusOr<RegisteredModel> CreateRegisteredModel(const Principal& principal,
                                                        const std::string& name,
                                                        const std::vector<Tag>& tags,
                                                        const std::string& description);
  absl::StatusOr<RegisteredModel> GetRegisteredModel(const Principal& principal,
                                                     const std::string& name);
  // Versions, tags and aliases follow the model to its new name.
  absl::StatusOr<RegisteredModel> RenameRegisteredModel(const Principal& principal,
                                                        const std::string& name,
                                                        const std::string& new_name);
  absl::StatusOr<RegisteredModel> UpdateRegisteredModel(const Principal& principal,
                                                        const std::string& name,
                                                        const std::string& description);
  // Deletes the model with its versions, tags and aliases.
  absl::Status DeleteRegisteredModel(const Principal& principal, const std::string& name);
  // Models of the principal's team (all models for admins).
  absl::StatusOr<Page<RegisteredModel>> SearchRegisteredModels(const Principal& principal,
                                                               const SearchRequest& request);
  // The latest version in each of `stages` (every stage when empty).
  absl::StatusOr<std::vector<ModelVersion>> GetLatestVersions(
      const Principal& principal, const std::string& name, const std::vector<std::string>& stages);
  absl::Status SetRegisteredModelTag(const Principal& principal, const std::string& name,
                                     const std::string& key, const std::string& value);
  // Deleting a tag that is not there is not an error (as in MLflow).
  absl::Status DeleteRegisteredModelTag(const Principal& principal, const std::string& name,
                                        const std::string& key);

  // Aliases. Setting an existing alias moves it to `version`.
  absl::Status SetAlias(const Principal& principal, const std::string& name,
                        const std::string& alias, const std::string& version);
  absl::Status DeleteAlias(const Principal& principal, const std::string& name,
                           const std::string& alias);
  absl::StatusOr<ModelVersion> GetModelVersionByAlias(const Principal& principal,
                                                      const std::string& name,
                                                      const std::string& alias);

  // Model versions. A `runs:/<run_id>/<path>` source is resolved through
  // RunLookup and a `models:/...` source through this registry, once, at
  // creation; the result is what GetDownloadUri returns.
  absl::StatusOr<ModelVersion> CreateModelVersion(const Principal& principal,
                                                  const NewModelVersion& request);
  absl::StatusOr<ModelVersion> GetModelVersion(const Principal& principal, const std::string& name,
                                               const std::string& version);
  absl::StatusOr<ModelVersion> UpdateModelVersion(const Principal& principal,
                                                  const std::string& name,
                                                  const std::string& version,
                                                  const std::string& description);
  // Removes the version, its tags and the aliases pointing at it.
  absl::Status DeleteModelVersion(const Principal& principal, const std::string& name,
                                  const std::string& version);
  // With `archive_existing`, the other versions in `stage` (which must then
  // be Staging or Production) move to Archived in the same transaction.
  absl::StatusOr<ModelVersion> TransitionStage(const Principal& principal, const std::string& name,
                                               const std::string& version, const std::string& stage,
                                               bool archive_existing);
  absl::StatusOr<std::string> GetDownloadUri(const Principal& principal, const std::string& name,
                                             const std::string& version);
  absl::StatusOr<Page<ModelVersion>> SearchModelVersions(const Principal& principal,
                                                         const SearchRequest& request);
  absl::Status SetModelVersionTag(const Principal& principal, const std::string& name,
                                  const std::string& version, const std::string& key,
                                  const std::string& value);
  absl::Status DeleteModelVersionTag(const Principal& principal, const std::string& name,
                                     const std::string& version, const std::string& key);

  // The storage location a `models:/<name>/<version|stage|latest>` or
  // `models:/<name>@<alias>` URI points to.
  absl::StatusOr<std::string> ResolveModelsUri(const Principal& principal, const std::string& uri);

 private:
  RegistryStore(db::Database& db, RunLookup& runs, const Clock& clock)
      : db_(db), runs_(runs), clock_(clock) {}

  // Where `request.source` points: runs:/ and models:/ resolved, after
  // MLflow's source rules and the team check on the run.
  // PermissionDenied for a "mlflow-artifacts:/<id>/..." source of an
  // experiment that is not the caller's team's (admins pass).
  absl::Status CheckSourceFolder(const Principal& principal, const std::string& source);
  absl::StatusOr<std::string> ResolveSource(const Principal& principal,
                                            const NewModelVersion& request);

  db::Database& db_;
  RunLookup& runs_;
  const Clock& clock_;
};

}  // namespace plinth::registry
