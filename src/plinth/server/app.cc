#include "plinth/server/app.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/artifacts/artifact_store.h"
#include "plinth/auth/auth_routes.h"
#include "plinth/auth/authenticator.h"
#include "plinth/auth/token_store.h"
#include "plinth/common/build_info.h"
#include "plinth/common/clock.h"
#include "plinth/common/event_bus.h"
#include "plinth/common/file_watcher.h"
#include "plinth/common/status_macros.h"
#include "plinth/common/storage.h"
#include "plinth/db/database.h"
#include "plinth/db/pg_cluster.h"
#include "plinth/exec/kubernetes_executor.h"
#include "plinth/exec/local_executor.h"
#include "plinth/exec/slurm_executor.h"
#include "plinth/gpu/gpu_source_factory.h"
#include "plinth/http/event_channel.h"
#include "plinth/http/handlers.h"
#include "plinth/http/server.h"
#include "plinth/jobs/job_routes.h"
#include "plinth/jobs/job_service.h"
#include "plinth/jobs/job_store.h"
#include "plinth/metrics/registry.h"
#include "plinth/registry/registry_routes.h"
#include "plinth/registry/registry_store.h"
#include "plinth/registry/run_lookup.h"
#include "plinth/tracking/mlflow_routes.h"
#include "plinth/tracking/tracking_store.h"
#include "spdlog/spdlog.h"

namespace plinth::server {
namespace {

// The advisory lock that elects the job loop's server ("PlinthJL").
constexpr int64_t kJobLoopLockKey = 0x506c696e74684a4c;

// Anonymous access exists on loopback only: a server on a network address
// requires a token on every call, even after its last token is revoked.
bool RequireTokens(const Config& config) {
  return config.require_tokens || !IsLoopback(config.host);
}

// The proxy's folder: --artifacts-destination (a path or file:// URI), else
// <home>/artifacts.
std::string ArtifactsFolder(const Config& config) {
  std::string dest = config.artifacts_destination;
  if (dest.empty()) return absl::StrCat(config.home, "/artifacts");
  if (absl::StartsWith(dest, "file://")) dest = dest.substr(7);
  return dest;
}

// New experiments' artifact location prefix, without a trailing '/'
// ("file:///srv/art/" and "file:///srv/art" mean the same, as in MLflow).
std::string ArtifactRoot(const Config& config) {
  std::string root = config.artifact_root;
  while (root.size() > 1 && root.back() == '/' && !absl::EndsWith(root, ":/") &&
         !absl::EndsWith(root, "://")) {
    root.pop_back();
  }
  return root;
}

// The registry's read-only view of tracking runs.
class TrackingRunLookup final : public registry::RunLookup {
 public:
  explicit TrackingRunLookup(tracking::TrackingStore& store) : store_(store) {}
  absl::StatusOr<RunInfo> GetRun(const std::string& run_id) override {
    ASSIGN_OR_RETURN(tracking::RunOwner owner, store_.GetRunOwner(run_id));
    return RunInfo{owner.artifact_uri, owner.team};
  }
  absl::StatusOr<std::string> ExperimentTeam(int64_t experiment_id) override {
    ASSIGN_OR_RETURN(tracking::Experiment e, store_.GetExperiment(experiment_id));
    return e.team;
  }

 private:
  tracking::TrackingStore& store_;
};

// Jobs' API tokens, named "job-<id>", of the job's team with role member.
class TokenJobCredentials final : public jobs::JobCredentials {
 public:
  TokenJobCredentials(auth::TokenStore& tokens, bool require_tokens)
      : tokens_(tokens), require_tokens_(require_tokens) {}
  absl::StatusOr<std::string> Issue(const std::string& team, const std::string& job_id) override {
    if (!require_tokens_ && !tokens_.HasTokens()) return std::string();  // anonymous works
    RETURN_IF_ERROR(Revoke(job_id));  // a new attempt: the old token goes
    ASSIGN_OR_RETURN(auth::CreatedToken created, tokens_.CreateToken(Name(job_id), team, "member"));
    return created.secret;
  }
  absl::Status Revoke(const std::string& job_id) override {
    return tokens_.RevokeTokensNamed(Name(job_id));
  }

 private:
  static std::string Name(const std::string& job_id) { return "job-" + job_id; }
  auth::TokenStore& tokens_;
  bool require_tokens_;
};

// Each job's MLflow run lives in its team's "jobs-<team>" experiment (or
// "jobs-<team>-2", ... when another team holds that name).
class TrackingRunTracker final : public jobs::RunTracker {
 public:
  TrackingRunTracker(tracking::TrackingStore& store, Clock& clock) : store_(store), clock_(clock) {}
  absl::StatusOr<jobs::StartedRun> StartRun(const std::string& team, const std::string& job_id,
                                            const std::string& job_name) override {
    std::string usual = absl::StrCat("jobs-", team);
    ASSIGN_OR_RETURN(tracking::TeamExperiment experiment,
                     store_.GetOrCreateTeamExperiment(usual, team));
    tracking::TrackingStore::NewRun run;
    run.experiment_id = experiment.experiment_id;
    run.user_id = team;
    run.run_name = absl::StrCat(job_name, "-", job_id.substr(0, 6));
    run.tags = {{"plinth.job_id", job_id}, {"plinth.job_name", job_name}};
    ASSIGN_OR_RETURN(tracking::Run created, store_.CreateRun(run));
    jobs::StartedRun started{created.info.run_id, ""};
    if (experiment.name != usual) {
      started.note = absl::StrCat("MLflow run ", started.run_id, " is in experiment '",
                                  experiment.name, "': the name '", usual, "' is taken");
    }
    return started;
  }
  absl::Status EndRun(const std::string& run_id, const std::string& status) override {
    tracking::TrackingStore::RunUpdate update;
    update.status = status;
    update.end_time = clock_.NowMillis();
    return store_.UpdateRun(run_id, update).status();
  }

 private:
  tracking::TrackingStore& store_;
  Clock& clock_;
};

class AppImpl final : public App {
 public:
  int port() const override { return server_->port(); }
  void Run() override { server_->Run(); }
  void Shutdown() override { server_->Shutdown(); }

  absl::Status Init(const Config& config) {
    config_ = config;
    SetStorageWarning([](const std::string& line) { spdlog::warn("{}", line); });
    std::error_code ec;
    std::filesystem::create_directories(config.home, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create home folder ", config.home, ": ", ec.message()));
    }
    db::Options db_options;
    db_options.url = config.database;
    db_options.sqlite_path = absl::StrCat(config.home, "/plinth.db");
    db_options.exclusive = true;  // one server per SQLite database
    // The home holds the database, every team's artifacts and the jobs'
    // folders: the server's user only.
    std::filesystem::permissions(config.home, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    ASSIGN_OR_RETURN(db_, db::Database::Open(db_options));
    Clock& clock = SystemClock::Get();
    ASSIGN_OR_RETURN(tokens_, auth::TokenStore::Create(*db_, clock));
    if (!IsLoopback(config.host) && !tokens_->HasTokens()) {
      if (!config.insecure) {
        return absl::FailedPreconditionError(absl::StrCat(
            "refusing to listen on ", config.host,
            " without API tokens: create an admin token first with 'plinth admin create-token "
            "--home ",
            config.home, " --team default --role admin' (or pass --insecure to start anyway)"));
      }
      spdlog::warn(
          "listening on {} with no API token: every API call is refused until one is created "
          "with 'plinth admin create-token' (anonymous access exists on loopback only)",
          config.host);
    }
    ASSIGN_OR_RETURN(artifacts_, artifacts::CreateLocalArtifactStore(ArtifactsFolder(config)));
    ASSIGN_OR_RETURN(tracking_, tracking::TrackingStore::Create(*db_, clock, ArtifactRoot(config)));
    if (absl::StartsWith(ArtifactRoot(config), "file://")) {
      ASSIGN_OR_RETURN(file_root_, artifacts::CreateLocalArtifactStore(
                                       ArtifactRoot(config).substr(std::strlen("file://"))));
    }
    run_lookup_ = std::make_unique<TrackingRunLookup>(*tracking_);
    ASSIGN_OR_RETURN(registry_, registry::RegistryStore::Create(*db_, *run_lookup_, clock));

    BuildRouter();
    http::ServerOptions options;
    options.host = config.host;
    options.port = config.port;
    options.io_threads = config.io_threads;
    options.worker_threads = config.worker_threads;
    options.header_timeout = std::chrono::seconds(config.header_timeout_seconds);
    options.max_connections = config.max_connections;
    auto& registry = metrics::Registry::Global();
    registry
        .AddGauge("plinth_build_info", "Build information; the value is always 1.",
                  {"version", "build_type", "database"})
        .WithLabels({PLINTH_VERSION, PLINTH_BUILD_TYPE,
                     db_->dialect() == db::Dialect::kSqlite ? "sqlite" : "postgresql"})
        .Set(1);
    // A networked server never falls back to anonymous access, even if its
    // last token is revoked later.
    bool require_tokens = RequireTokens(config);
    ASSIGN_OR_RETURN(
        server_, http::Server::Create(options, router_,
                                      auth::MakeAuthenticator(*tokens_, require_tokens), registry));
    RETURN_IF_ERROR(InitJobs(config, clock));
    spdlog::info("plinth {} serving http://{}:{} (home {}, database {})", PLINTH_VERSION,
                 config.host, server_->port(), config.home, db_->Describe());
    return absl::OkStatus();
  }

 private:
  // GPUs, executors and the job service. Needs the bound port (jobs get the
  // server's URL), so it runs after the server is created and before it runs.
  absl::Status InitJobs(const Config& config, Clock& clock) {
    const JobsSettings& settings = config.jobs;
    ASSIGN_OR_RETURN(gpus_, gpu::MakeGpuSource(settings.gpus));
    exec::LocalExecutorOptions local;
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return absl::InternalError("cannot find the plinth binary for the job supervisor");
    // The small supervisor beside the binary starts ~70 ms sooner than
    // `plinth _shim` (shim_main.cc); the binary itself stands in without it.
    std::filesystem::path shim = self.parent_path() / "plinth-shim";
    local.shim_path = ::access(shim.c_str(), X_OK) == 0 ? shim.string() : self.string();
    ASSIGN_OR_RETURN(local_executor_, exec::LocalExecutor::Create(local));
    std::map<std::string, exec::Executor*> executors = {{"local", local_executor_.get()}};
    if (settings.slurm) {
      ASSIGN_OR_RETURN(slurm_executor_, exec::SlurmExecutor::Create(*settings.slurm));
      executors["slurm"] = slurm_executor_.get();
    }
    if (settings.kubernetes) {
      ASSIGN_OR_RETURN(kubernetes_executor_,
                       exec::KubernetesExecutor::Create(*settings.kubernetes));
      executors["kubernetes"] = kubernetes_executor_.get();
    }
    ASSIGN_OR_RETURN(job_store_, jobs::JobStore::Create(*db_));
    run_tracker_ = std::make_unique<TrackingRunTracker>(*tracking_, clock);
    job_credentials_ = std::make_unique<TokenJobCredentials>(*tokens_, RequireTokens(config));
    jobs::JobsConfig jobs;
    jobs.queues = settings.queues;
    jobs.priority_classes = settings.priority_classes;
    jobs.default_priority_class = settings.default_priority_class;
    jobs.default_executor = settings.executor;
    jobs.jobs_dir = absl::StrCat(config.home, "/jobs");
    std::string host = config.host == "0.0.0.0" || config.host == "::" ? "127.0.0.1" : config.host;
    if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
    jobs.server_url = absl::StrCat("http://", host, ":", server_->port());
    if (!config.url.empty()) {
      jobs.server_url = config.url;
      while (absl::EndsWith(jobs.server_url, "/")) jobs.server_url.pop_back();
    }
    jobs.tick_ms = settings.tick_ms;
    jobs.requeue_lost = settings.requeue_lost;
    jobs.scheduler.backfill = settings.backfill;
    jobs.scheduler.preemption = settings.preemption;
    jobs.scheduler.preempt_exempt_ms = settings.preempt_exempt_ms;
    jobs.users = settings.users;
    jobs.users.switch_users = ::geteuid() == 0 && !settings.allow_root;
    // On PostgreSQL several servers may share the database: the leader
    // lock decides which one runs the job loop (StartCluster).
    bool shared = db_->dialect() == db::Dialect::kPostgres;
    jobs.leader = !shared;
    if (jobs.users.switch_users) RETURN_IF_ERROR(OpenHomeToJobFolders(config.home));
    ASSIGN_OR_RETURN(
        job_service_,
        jobs::JobService::Create(*job_store_, *gpus_, std::move(executors), run_tracker_.get(),
                                 clock, std::move(jobs), &metrics::Registry::Global(),
                                 job_credentials_.get(), &bus_));
    ASSIGN_OR_RETURN(watcher_, FileWatcher::Create());
    job_streams_ = std::make_unique<jobs::JobStreams>(jobs::JobStreams{bus_, *watcher_});
    jobs::RegisterJobRoutes(router_, *job_service_, job_streams_.get());
    jobs::RegisterJobTopics(*channel_, *job_service_);
    if (shared) RETURN_IF_ERROR(StartCluster(config));
    job_service_->Start();  // a follower's loop starts when it leads
    spdlog::info("jobs: GPU source {}, executors local{}{}", gpus_->Name(),
                 slurm_executor_ ? ", slurm" : "", kubernetes_executor_ ? ", kubernetes" : "");
    if (::geteuid() != 0) {
      // Without root there is no other user to switch to: say what that
      // means, so nobody mistakes the clean environment for a sandbox.
      spdlog::warn(
          "jobs: local jobs run as this server's user (uid {}): they get a clean environment, "
          "but can read and write the server's files, its database and other jobs' folders; run "
          "only trusted code as local jobs, or run the server as root to give each job a user "
          "of its own (docs/security.md, \"What a job can reach\")",
          ::geteuid());
    } else if (settings.allow_root) {
      spdlog::warn("jobs: jobs.allow_root is set: local jobs run as root and can reach everything");
    } else {
      spdlog::info("jobs: each local job runs as a user of its own (uids {}-{}{})",
                   settings.users.uid_min, settings.users.uid_max,
                   settings.users.team_users.empty() ? "" : ", or its team's user");
    }
    return absl::OkStatus();
  }

  // Servers on one PostgreSQL database: every one listens for the others'
  // changes (jobs submitted or cancelled through them, the loop's changes
  // for its subscribers, token revocations), and the one holding the leader
  // lock runs the job loop; when it dies, another takes the lock and
  // follows its running replicas from the store.
  absl::Status StartCluster(const Config& config) {
    ASSIGN_OR_RETURN(listener_,
                     db::PgListener::Start(
                         config.database, {jobs::kJobsChannel, auth::TokenStore::kChannel},
                         [this](const std::string& channel, const std::string& payload) {
                           if (channel == jobs::kJobsChannel) job_service_->OnNotice(payload);
                           if (channel == auth::TokenStore::kChannel) tokens_->OnNotice(payload);
                         },
                         [this] {
                           tokens_->Reload();
                           job_service_->Resync();
                         }));
    ASSIGN_OR_RETURN(leader_lock_, db::PgLeaderLock::Start(
                                       config.database, kJobLoopLockKey,
                                       [this] {
                                         absl::Status led = job_service_->Lead();
                                         if (!led.ok())
                                           StopAtOnce(absl::StrCat("cannot lead: ", led.message()));
                                       },
                                       [](const std::string& reason) { StopAtOnce(reason); }));
    if (leader_lock_->held()) {
      RETURN_IF_ERROR(job_service_->Lead());
      spdlog::info("cluster: this server leads: it runs the job loop");
    } else {
      spdlog::info(
          "cluster: another server runs the job loop; this one serves the API, hands job "
          "changes to it through the database, and takes over if it stops");
    }
    return absl::OkStatus();
  }

  // Losing the leader lock means another server may lead already: this
  // one's loop must not act once more. Exiting at once is like a crash,
  // which the next leader recovers from (every acknowledged write is in
  // the database); a supervisor restarts this server as a follower.
  [[noreturn]] static void StopAtOnce(const std::string& reason) {
    spdlog::critical(
        "cluster: {}: stopping this server at once, so that two servers never run the "
        "job loop together; restart it (it comes back as a follower)",
        reason);
    spdlog::shutdown();
    std::_Exit(75);  // EX_TEMPFAIL
  }

  // Jobs of other users must pass through the home to their own folders
  // (<home>/jobs/...), and reach nothing else: the home becomes 0711 (no
  // listing), jobs/ 0711, and everything else in it the server's alone.
  static absl::Status OpenHomeToJobFolders(const std::string& home) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::perms pass = fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;
    fs::create_directories(fs::path(home) / "jobs", ec);
    fs::permissions(home, pass, ec);
    if (!ec) fs::permissions(fs::path(home) / "jobs", pass, ec);
    if (ec)
      return absl::InternalError(absl::StrCat("cannot open ", home, " to jobs: ", ec.message()));
    for (const fs::directory_entry& entry : fs::directory_iterator(home, ec)) {
      if (entry.path().filename() == "jobs") continue;
      fs::permissions(entry.path(), fs::perms::group_all | fs::perms::others_all,
                      fs::perm_options::remove, ec);
    }
    return absl::OkStatus();
  }

  void BuildRouter() {
    channel_ = std::make_unique<http::EventChannel>(bus_);
    channel_->Register(router_);
    router_.SetErrorRenderer("/api/2.0/", http::MlflowError);
    router_.SetErrorRenderer("/ajax-api/2.0/", http::MlflowError);
    // MLflow endpoints Plinth does not serve answer in MLflow's shape too.
    for (const char* prefix : {"/api/3.0/", "/ajax-api/3.0/", "/graphql"}) {
      router_.SetErrorRenderer(prefix, http::MlflowError);
    }
    router_.SetErrorRenderer("/api/v1/", http::NativeError);
    router_.SetBodyLimit("", config_.max_body_bytes);
    router_.SetBodyLimit("/api/2.0/mlflow-artifacts/", config_.max_artifact_bytes);
    router_.SetBodyLimit("/ajax-api/2.0/mlflow-artifacts/", config_.max_artifact_bytes);
    // MLflow's UI uploads files here; the handler applies MLflow's 10 MB limit.
    router_.SetBodyLimit("/ajax-api/2.0/mlflow/upload-artifact", config_.max_artifact_bytes);
    router_.SetPublic("/healthz");
    router_.SetPublic("/health");
    router_.SetPublic("/metrics");

    router_.Add("GET", "/healthz", [this](http::Request&) {
      // A job loop whose store refuses writes takes no new work: say so,
      // so a load balancer or an operator sees it.
      absl::Status jobs = job_service_ ? job_service_->Health() : absl::OkStatus();
      if (!jobs.ok()) {
        return http::Response::Json({{"status", "degraded"}, {"jobs", std::string(jobs.message())}},
                                    503);
      }
      // Of the servers on one database, "leader" runs the job loop.
      bool leads = job_service_ && job_service_->leading();
      return http::Response::Json({{"status", "ok"}, {"role", leads ? "leader" : "follower"}});
    });
    // `mlflow server`'s liveness probe, so probes written for it keep working.
    router_.Add("GET", "/health", [](http::Request&) { return http::Response::Text("OK"); });
    metrics::Gauge& free_bytes =
        metrics::Registry::Global()
            .AddGauge("plinth_storage_free_bytes",
                      "Bytes free on the disk of the server's data folder (read at each scrape).",
                      {"folder"})
            .WithLabels({"home"});
    router_.Add("GET", "/metrics", [this, &free_bytes](http::Request&) {
      if (std::optional<uint64_t> free = FreeBytes(config_.home)) {
        free_bytes.Set(static_cast<double>(*free));
      }
      return http::Response::Text(metrics::Registry::Global().Expose(), 200,
                                  "text/plain; version=0.0.4; charset=utf-8");
    });
    router_.Add("GET", "/api/v1/info",
                http::NativeHandler([this](http::Request& req) -> absl::StatusOr<Json> {
                  Json info = {
                      {"version", PLINTH_VERSION},
                      {"auth", {{"enabled", config_.require_tokens || tokens_->HasTokens()}}},
                      {"principal",
                       {{"team", req.principal.team},
                        {"role", req.principal.role},
                        {"token_id", req.principal.token_id}}}};
                  // Where the server keeps its data is for its operators only.
                  if (req.principal.IsAdmin()) {
                    info["database"] = db_->Describe();
                    info["home"] = config_.home;
                  }
                  return info;
                }));
    // Every route, for operators and for the isolation test that walks them
    // all (read at request time, so routes registered later are listed).
    router_.Add(
        "GET", "/api/v1/routes",
        http::NativeHandler([this](http::Request& req) -> absl::StatusOr<Json> {
          RETURN_IF_ERROR(http::RequireAdmin(req.principal));
          Json routes = Json::array();
          for (const http::Router::RouteInfo& r : router_.Routes()) {
            routes.push_back({{"method", r.method}, {"path", r.path}, {"prefix", r.prefix}});
          }
          return Json{{"routes", routes}};
        }));
    auth::RegisterAuthRoutes(router_, *tokens_);
    tracking::RegisterTrackingRoutes(router_, *tracking_);
    tracking::ArtifactRoots roots;
    if (config_.serve_artifacts) roots.proxy = artifacts_.get();
    if (file_root_) {
      roots.file_root_uri = ArtifactRoot(config_);
      roots.file_root = file_root_.get();
    }
    tracking::RegisterArtifactRoutes(router_, *tracking_, roots);
    registry::RegisterRegistryRoutes(router_, *registry_);
  }

  Config config_;
  // Before everything that publishes or follows, so they go first.
  EventBus bus_;
  std::unique_ptr<FileWatcher> watcher_;
  std::unique_ptr<http::EventChannel> channel_;
  std::unique_ptr<jobs::JobStreams> job_streams_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<artifacts::ArtifactStore> artifacts_;
  std::unique_ptr<artifacts::ArtifactStore> file_root_;  // a file:// default artifact root
  std::unique_ptr<tracking::TrackingStore> tracking_;
  std::unique_ptr<TrackingRunLookup> run_lookup_;
  std::unique_ptr<registry::RegistryStore> registry_;
  std::unique_ptr<gpu::GpuSource> gpus_;
  std::unique_ptr<exec::Executor> local_executor_;
  std::unique_ptr<exec::Executor> slurm_executor_;
  std::unique_ptr<exec::Executor> kubernetes_executor_;
  std::unique_ptr<jobs::JobStore> job_store_;
  std::unique_ptr<TrackingRunTracker> run_tracker_;
  std::unique_ptr<TokenJobCredentials> job_credentials_;
  std::unique_ptr<jobs::JobService> job_service_;
  // After the job service and the token store: they go first, so no
  // notice or election reaches those after them.
  std::unique_ptr<db::PgListener> listener_;
  std::unique_ptr<db::PgLeaderLock> leader_lock_;
  http::Router router_;
  // Declared last: destroyed first, so no handler runs against closed stores.
  std::unique_ptr<http::Server> server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<App>> App::Create(const Config& config) {
  RETURN_IF_ERROR(ValidateConfig(config));
  auto app = std::make_unique<AppImpl>();
  RETURN_IF_ERROR(app->Init(config));
  return std::unique_ptr<App>(std::move(app));
}

}  // namespace plinth::server
