#include "plinth/cli/import_cmd.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "plinth/auth/token_store.h"
#include "plinth/cli/progress.h"
#include "plinth/common/clock.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/database.h"
#include "plinth/importer/importer.h"
#include "plinth/server/config.h"

namespace plinth::cli {
namespace {

struct ImportFlags {
  std::string from, artifacts, experiments, home, db, team = "default";
  bool dry_run = false, quiet = false;
  int64_t stop_after_points = 0;
};

// Draws "<phase>  [#####-----]  45%  1200000/2600000" in place on a terminal;
// the byte-oriented ProgressBar does not fit counts of rows.
class PhaseProgress {
 public:
  explicit PhaseProgress(bool enabled) : enabled_(enabled && StderrIsTerminal()) {}
  ~PhaseProgress() { End(); }

  void Update(const std::string& phase, int64_t done, int64_t total) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (phase == phase_ && now - last_ < std::chrono::milliseconds(100) && done != total) return;
    if (phase != phase_) {
      End();
      phase_ = phase;
      start_ = now;
    }
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    std::string line = absl::StrCat("importing ", phase, "  ");
    if (total > 0) {
      double f = std::min(1.0, static_cast<double>(done) / total);
      int filled = static_cast<int>(f * 24);
      absl::StrAppend(&line, "[", std::string(filled, '#'), std::string(24 - filled, '-'), "] ",
                      absl::StrFormat("%3d%%  %d/%d", static_cast<int>(f * 100), done, total));
    } else {
      absl::StrAppend(&line, done);
    }
    if (secs > 0.5) absl::StrAppend(&line, absl::StrFormat("  %.0f/s", done / secs));
    size_t width = TerminalWidth();
    if (line.size() + 1 > width) line.resize(width - 1);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    drawn_ = true;
  }

  void End() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string phase_;
  std::chrono::steady_clock::time_point start_, last_;
};

absl::StatusOr<std::unique_ptr<db::Database>> OpenTarget(const ImportFlags& flags,
                                                         const std::string& home) {
  db::Options options;
  options.url = flags.db.empty() ? "sqlite" : flags.db;
  options.sqlite_path = absl::StrCat(home, "/plinth.db");
  // --db may also name a SQLite file directly.
  if (!flags.db.empty() && flags.db.find("://") == std::string::npos) {
    options.url = "sqlite";
    options.sqlite_path = flags.db;
  }
  options.read_connections = 1;
  return db::Database::Open(options);
}

// Fails fast, with a clear message, when another process (a running
// server) holds the SQLite write lock.
absl::Status CheckNotBusy(db::Database& db) {
  if (db.dialect() != db::Dialect::kSqlite) return absl::OkStatus();
  return db.Write([](db::Session& s) { return s.Execute("SELECT 1").status(); });
}

void PrintReport(const importer::ImportReport& report, bool dry_run) {
  std::printf("%-16s %14s %14s\n", "kind", "in source", dry_run ? "(dry run)" : "imported");
  for (const std::string& kind : importer::ReportKinds()) {
    const auto& c = report.counts.at(kind);
    if (dry_run) {
      std::printf("%-16s %14lld\n", kind.c_str(), static_cast<long long>(c.source));
    } else {
      std::printf("%-16s %14lld %14lld\n", kind.c_str(), static_cast<long long>(c.source),
                  static_cast<long long>(c.added));
    }
  }
}

int Run(const ImportFlags& flags) {
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "plinth import: %s\n", std::string(s.message()).c_str());
    return 1;
  };
  importer::ImportOptions options;
  options.source_uri = flags.from;
  options.artifacts_dir = flags.artifacts;
  options.team = flags.team;
  options.stop_after_points = flags.stop_after_points;
  for (absl::string_view name : absl::StrSplit(flags.experiments, ',', absl::SkipWhitespace())) {
    options.experiments.emplace(name);
  }
  std::string home = flags.home.empty() ? server::DefaultHome() : flags.home;
  options.target_artifacts_root = absl::StrCat(home, "/artifacts");
  if (!flags.artifacts.empty() && !std::filesystem::is_directory(flags.artifacts)) {
    return fail(
        absl::NotFoundError(absl::StrCat("--artifacts ", flags.artifacts, " is not a folder")));
  }
  absl::StatusOr<std::unique_ptr<importer::MlflowSource>> source =
      importer::OpenMlflowSource(flags.from);
  if (!source.ok()) return fail(source.status());
  PhaseProgress progress(!flags.quiet);
  importer::ProgressFn on_progress = [&](const std::string& phase, int64_t done, int64_t total) {
    progress.Update(phase, done, total);
  };
  std::fprintf(stderr, "reading %s\n", (*source)->Describe().c_str());
  absl::StatusOr<importer::ImportReport> report;
  if (flags.dry_run) {
    report = importer::CountSource(**source, options, on_progress);
  } else {
    absl::StatusOr<std::unique_ptr<db::Database>> target = OpenTarget(flags, home);
    if (!target.ok()) return fail(target.status());
    if (absl::Status busy = CheckNotBusy(**target); !busy.ok()) {
      return fail(
          absl::UnavailableError(absl::StrCat("the Plinth database in ", home,
                                              " is busy (is `plinth server` running on it? stop it "
                                              "first): ",
                                              busy.message())));
    }
    // The owning team exists afterwards, so its tokens can be created.
    absl::StatusOr<std::unique_ptr<auth::TokenStore>> tokens =
        auth::TokenStore::Create(**target, SystemClock::Get());
    if (!tokens.ok()) return fail(tokens.status());
    if (absl::Status team = (*tokens)->EnsureTeam(options.team); !team.ok()) return fail(team);
    report = importer::Import(**source, **target, options, on_progress);
  }
  progress.End();
  if (!report.ok()) return fail(report.status());
  for (const std::string& w : report->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  PrintReport(*report, flags.dry_run);
  // Collisions left something out: say so in the exit status too.
  return report->warnings.empty() ? 0 : 2;
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  CLI::App* import =
      app.add_subcommand("import", "Import another tool's data into Plinth (server stopped)");
  import->require_subcommand(1);
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* mlflow = import->add_subcommand(
      "mlflow", "Copy an MLflow tracking store (runs keep their ids) into Plinth");
  mlflow
      ->add_option("--from", flags->from,
                   "The MLflow store: sqlite:///mlflow.db, postgresql://..., file:///mlruns or "
                   "a folder")
      ->required();
  mlflow->add_option("--artifacts", flags->artifacts,
                     "Where mlflow-artifacts:/ URIs point (mlflow server --artifacts-destination)");
  mlflow->add_option("--experiments", flags->experiments,
                     "Only these experiments (comma-separated names)");
  mlflow->add_option("--home", flags->home, "The Plinth data folder (default $PLINTH_HOME)");
  mlflow->add_option("--db", flags->db, "The Plinth database, if not SQLite in --home");
  mlflow->add_option("--team", flags->team, "Team that owns the imported experiments and models");
  mlflow->add_flag("--dry-run", flags->dry_run, "Write nothing; print what would be imported");
  mlflow->add_flag("--quiet", flags->quiet, "No progress bar");
  mlflow
      ->add_option("--stop-after-points", flags->stop_after_points,
                   "Testing: stop (as if interrupted) after this many metric points")
      ->group("");
  mlflow->callback([flags] { std::exit(Run(*flags)); });
}

}  // namespace plinth::cli
