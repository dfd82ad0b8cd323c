// `plinth admin ...`: offline maintenance that works on a server's home
// folder (or database) directly, while the server is stopped. It is the way
// back in when no admin token exists, in the spirit of
// `grafana-cli admin reset-admin-password`.
#pragma once

#include "CLI/CLI.hpp"

namespace plinth::cli {

void AddAdminCommand(CLI::App& app);

}  // namespace plinth::cli
