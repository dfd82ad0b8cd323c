// `plinth server`: runs the server in the foreground until SIGTERM/SIGINT.
#pragma once

#include "CLI/CLI.hpp"

namespace plinth::cli {

void AddServerCommand(CLI::App& app);

}  // namespace plinth::cli
