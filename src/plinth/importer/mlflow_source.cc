#include "plinth/importer/mlflow_source.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/importer/mlflow_file_source.h"
#include "plinth/importer/mlflow_sql_source.h"
#include "plinth/importer/sql_reader.h"

namespace plinth::importer {

absl::StatusOr<std::unique_ptr<MlflowSource>> OpenMlflowSource(const std::string& uri) {
  if (absl::StartsWith(uri, "postgresql://") || absl::StartsWith(uri, "postgres://") ||
      absl::StartsWith(uri, "postgresql+psycopg2://")) {
    // SQLAlchemy's driver suffix means nothing to libpq.
    std::string url = uri;
    if (absl::StartsWith(url, "postgresql+psycopg2://")) url.replace(0, 22, "postgresql://");
    ASSIGN_OR_RETURN(auto reader, OpenPostgresReader(url));
    return CreateMlflowSqlSource(std::move(reader));
  }
  if (absl::StartsWith(uri, "sqlite:///")) {
    ASSIGN_OR_RETURN(auto reader, OpenSqliteReader(uri.substr(10)));
    return CreateMlflowSqlSource(std::move(reader));
  }
  std::string path = uri;
  if (absl::StartsWith(path, "file://")) {
    path = path.substr(7);
  } else if (absl::StartsWith(path, "file:")) {
    path = path.substr(5);
  } else if (path.find("://") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported MLflow store '", uri,
                     "': use sqlite:///path/mlflow.db, postgresql://user@host/db, "
                     "file:///path/mlruns or a folder path"));
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    ASSIGN_OR_RETURN(auto reader, OpenSqliteReader(path));  // a bare mlflow.db path
    return CreateMlflowSqlSource(std::move(reader));
  }
  return CreateMlflowFileSource(path);
}

}  // namespace plinth::importer
