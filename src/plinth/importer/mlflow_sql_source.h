// An MLflow tracking store in a SQL database (MLflow's SQLAlchemy schema,
// any 2.x revision): columns and tables that differ between revisions are
// detected, not assumed.
#pragma once

#include <memory>

#include "plinth/importer/mlflow_source.h"
#include "plinth/importer/sql_reader.h"

namespace plinth::importer {

// Checks that `reader` holds an MLflow schema (clear error otherwise).
absl::StatusOr<std::unique_ptr<MlflowSource>> CreateMlflowSqlSource(
    std::unique_ptr<SqlReader> reader);

}  // namespace plinth::importer
