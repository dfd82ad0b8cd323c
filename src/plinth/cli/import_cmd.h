// `plinth import mlflow`: reads an MLflow tracking store and writes it into a
// Plinth home folder or database directly (the server should be stopped).
#pragma once

#include "CLI/CLI.hpp"

namespace plinth::cli {

void AddImportCommand(CLI::App& app);

}  // namespace plinth::cli
