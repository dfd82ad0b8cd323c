#include "plinth/tracking/datasets.h"

#include "plinth/common/status_macros.h"

namespace plinth::tracking {

absl::StatusOr<int64_t> UpsertDataset(db::Session& s, int64_t experiment_id, const Dataset& d) {
  RETURN_IF_ERROR(
      s.Execute("INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
                "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) "
                "DO NOTHING",
                {experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile})
          .status());
  ASSIGN_OR_RETURN(auto ids, s.Query("SELECT dataset_id FROM datasets WHERE experiment_id = ? AND "
                                     "name = ? AND digest = ?",
                                     {experiment_id, d.name, d.digest}));
  return ids.at(0).Int(0);
}

}  // namespace plinth::tracking
