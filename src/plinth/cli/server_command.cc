#include "plinth/cli/server_command.h"

#include <signal.h>

#include <cstdio>
#include <optional>
#include <thread>

#include "plinth/gpu/simulated_gpu_source.h"
#include "plinth/server/app.h"
#include "spdlog/spdlog.h"

namespace plinth::cli {
namespace {

struct ServerFlags {
  std::string config_file, home, host, db, simulated_gpus;
  std::string default_artifact_root, artifacts_destination;
  bool serve_artifacts = false, no_serve_artifacts = false;
  int port = -1;
  bool insecure = false;
};

int RunServer(const ServerFlags& flags) {
  server::Config config;
  if (!flags.config_file.empty()) {
    auto loaded = server::LoadConfigFile(flags.config_file, config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "plinth: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    config = *loaded;
  }
  if (config.home.empty()) config.home = server::DefaultHome();
  if (!flags.home.empty()) config.home = flags.home;
  if (!flags.host.empty()) config.host = flags.host;
  if (flags.port >= 0) config.port = flags.port;
  if (!flags.db.empty()) config.database = flags.db;
  if (!flags.default_artifact_root.empty()) config.artifact_root = flags.default_artifact_root;
  if (!flags.artifacts_destination.empty()) {
    config.artifacts_destination = flags.artifacts_destination;
  }
  if (flags.serve_artifacts) config.serve_artifacts = true;
  if (flags.no_serve_artifacts) config.serve_artifacts = false;
  if (flags.insecure) config.insecure = true;
  if (!flags.simulated_gpus.empty()) {
    auto groups = gpu::ParseSimulatedShorthand(flags.simulated_gpus);
    if (!groups.ok()) {
      std::fprintf(stderr, "plinth: --simulated-gpus: %s\n",
                   std::string(groups.status().message()).c_str());
      return 2;
    }
    config.jobs.gpus.source = "simulated";
    config.jobs.gpus.simulated = *groups;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  // Block termination signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto app = server::App::Create(config);
  if (!app.ok()) {
    std::fprintf(stderr, "plinth: %s\n", std::string(app.status().message()).c_str());
    return 1;
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received signal {}: finishing in-flight requests", sig);
    (*app)->Shutdown();
  });
  waiter.detach();
  (*app)->Run();
  app->reset();  // closes storage cleanly
  spdlog::info("stopped");
  return 0;
}

}  // namespace

void AddServerCommand(CLI::App& app) {
  auto flags = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand("server", "Run the Plinth server in the foreground");
  cmd->add_option("--config", flags->config_file, "YAML configuration file");
  cmd->add_option("--home", flags->home, "Data folder (default $PLINTH_HOME or ~/.plinth)");
  cmd->add_option("--host", flags->host, "Address to bind (default 127.0.0.1)");
  cmd->add_option("--port", flags->port, "Port (default 8470; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--db", flags->db, "Database: sqlite (default) or postgresql://user@host/db");
  // The names `mlflow server` takes, with MLflow's meaning, so a team swaps
  // the command and nothing else (docs/migrating.md).
  cmd->add_option("--backend-store-uri", flags->db,
                  "As --db: sqlite:///path/to.db or postgresql://... (mlflow server's name)");
  cmd->add_option("--default-artifact-root", flags->default_artifact_root,
                  "Artifact location of new experiments, as a URI prefix (default "
                  "mlflow-artifacts:, served by this server)");
  cmd->add_option("--artifacts-destination", flags->artifacts_destination,
                  "Folder (or file:// URI) the artifact proxy stores files in (default "
                  "<home>/artifacts)");
  CLI::Option* serve = cmd->add_flag("--serve-artifacts", flags->serve_artifacts,
                                     "Serve the mlflow-artifacts proxy (the default)");
  cmd->add_flag("--no-serve-artifacts", flags->no_serve_artifacts,
                "Do not serve the proxy: clients use --default-artifact-root directly")
      ->excludes(serve);
  cmd->add_option("--simulated-gpus", flags->simulated_gpus,
                  "Simulate GPUs instead of using NVML, e.g. 2x8xH100-80GB (nodes x GPUs x model)");
  cmd->add_flag(
      "--insecure", flags->insecure,
      "Start on a non-loopback address before any API token exists (tokens stay required)");
  cmd->callback([flags] { std::exit(RunServer(*flags)); });
}

}  // namespace plinth::cli
