// The `plinth` command: `plinth server` runs the server; every other command
// is a client of a running server (see docs/cli.md).
#include "CLI/CLI.hpp"
#include "plinth/cli/admin_cmd.h"
#include "plinth/cli/client_commands.h"
#include "plinth/cli/import_cmd.h"
#include "plinth/cli/server_command.h"
#include "plinth/common/build_info.h"
#include "plinth/exec/shim.h"

int main(int argc, char** argv) {
  // The job supervisor the local executor starts (exec/shim.h): before any
  // other setup, so that it inherits nothing it does not need.
  if (argc > 1 && std::string_view(argv[1]) == "_shim") {
    return plinth::exec::RunShim(argc - 1, argv + 1);
  }
  CLI::App app("Plinth: experiment tracking, model registry and more, in one program.", "plinth");
  app.set_version_flag("--version", PLINTH_VERSION);
  plinth::cli::CliContext ctx;
  plinth::cli::AddGlobalOptions(app, ctx);
  plinth::cli::AddServerCommand(app);
  plinth::cli::AddAdminCommand(app);
  plinth::cli::AddImportCommand(app);
  plinth::cli::AddClientCommands(app, ctx);
  return plinth::cli::RunCli(app, ctx, argc, argv);
}
