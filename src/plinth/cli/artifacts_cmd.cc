// plinth artifacts list|upload|download
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "plinth/cli/artifact_transfer.h"
#include "plinth/cli/client_commands.h"
#include "plinth/cli/progress.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace fs = std::filesystem;
namespace {

Json FilesJson(const std::vector<RemoteFile>& files) {
  Json out = Json::array();
  for (const RemoteFile& f : files) {
    Json entry = {{"path", f.path}, {"is_dir", f.is_dir}};
    if (!f.is_dir) entry["file_size"] = f.size;
    out.push_back(std::move(entry));
  }
  return out;
}

// The transfer helper for `run_id`, with the proxy base from its artifact_uri.
absl::StatusOr<ArtifactTransfer> TransferFor(http::HttpClient& client, const std::string& run_id,
                                             bool quiet) {
  ASSIGN_OR_RETURN(Json run, GetRun(client, run_id));
  ASSIGN_OR_RETURN(std::string base,
                   ArtifactProxyBase(JsonString(JsonMember(run, "info"), "artifact_uri")));
  return ArtifactTransfer(client, run_id, base, !quiet && StderrIsTerminal());
}

void AddList(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string run_id, path;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("list", "List a run's artifacts (one directory level)");
  cmd->add_option("RUN_ID", flags->run_id, "Run id")->required();
  cmd->add_option("PATH", flags->path, "Directory inside the run's artifacts (default: the root)");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(std::string path, CleanArtifactPath(flags->path));
    ArtifactTransfer transfer(*client, flags->run_id, "", false);
    ASSIGN_OR_RETURN(std::vector<RemoteFile> files, transfer.List(path));
    if (ctx.json()) {
      ctx.PrintJson({{"files", FilesJson(files)}});
      return absl::OkStatus();
    }
    Table table{{"path", "type", "size"}, {}, {2}};
    for (const RemoteFile& f : files) {
      table.rows.push_back({f.is_dir ? absl::StrCat(f.path, "/") : f.path,
                            f.is_dir ? "dir" : "file", f.is_dir ? "-" : FormatBytes(f.size)});
    }
    ctx.Print(RenderTable(table, {.max_cell_width = 100}));
    return absl::OkStatus();
  });
}

void AddUpload(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string run_id, source, dest;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand(
      "upload", "Upload a file, or a directory's contents recursively, to a run's artifacts");
  cmd->add_option("RUN_ID", flags->run_id, "Run id")->required();
  cmd->add_option("LOCAL_FILE_OR_DIR", flags->source, "What to upload")->required();
  cmd->add_option("--path", flags->dest, "Artifact directory to upload into (default: the root)");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress bar");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(std::string dest, CleanArtifactPath(flags->dest));
    ASSIGN_OR_RETURN(std::vector<LocalFile> files, CollectLocalFiles(flags->source));
    ASSIGN_OR_RETURN(ArtifactTransfer transfer, TransferFor(*client, flags->run_id, flags->quiet));
    RETURN_IF_ERROR(transfer.Upload(files, dest));
    uint64_t total = 0;
    Json uploaded = Json::array();
    for (const LocalFile& f : files) {
      total += f.size;
      uploaded.push_back(
          {{"path", dest.empty() ? f.rel : absl::StrCat(dest, "/", f.rel)}, {"file_size", f.size}});
    }
    if (ctx.json()) {
      ctx.PrintJson({{"files", uploaded}});
    } else {
      ctx.Print(absl::StrCat("Uploaded ", files.size(), files.size() == 1 ? " file" : " files",
                             " (", FormatBytes(total), ") to run ", flags->run_id, " at ",
                             dest.empty() ? "the artifact root" : absl::StrCat("'", dest, "'"),
                             ".\n"));
    }
    return absl::OkStatus();
  });
}

void AddDownload(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string run_id, path, dest;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd =
      group.add_subcommand("download", "Download an artifact file or directory of a run");
  cmd->add_option("RUN_ID", flags->run_id, "Run id")->required();
  cmd->add_option("PATH", flags->path, "Artifact path; \"\" or / for all of the run's artifacts")
      ->required();
  cmd->add_option("-o,--dest", flags->dest,
                  "Local file or directory to write (default: ./<last part of PATH>)");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress bar");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(std::string path, CleanArtifactPath(flags->path));
    ASSIGN_OR_RETURN(ArtifactTransfer transfer, TransferFor(*client, flags->run_id, flags->quiet));
    ASSIGN_OR_RETURN(RemoteFile target, transfer.Stat(path));
    std::string name = path.empty() ? "artifacts" : fs::path(path).filename().string();
    fs::path local = flags->dest.empty() ? fs::path(name) : fs::path(flags->dest);
    std::vector<RemoteFile> files;
    std::error_code ec;
    if (target.is_dir) {
      ASSIGN_OR_RETURN(files, transfer.ListFiles(path));
      fs::create_directories(local, ec);
      if (ec)
        return absl::PermissionDeniedError(
            absl::StrCat("cannot create ", local.string(), ": ", ec.message()));
      RETURN_IF_ERROR(transfer.Download(files, path, local));
    } else {
      if (fs::is_directory(local, ec)) local /= name;
      files.push_back(target);
      RETURN_IF_ERROR(transfer.DownloadOne(target, local));
    }
    uint64_t total = 0;
    for (const RemoteFile& f : files) total += f.size;
    if (ctx.json()) {
      ctx.PrintJson({{"local_path", local.string()}, {"files", FilesJson(files)}});
    } else {
      ctx.Print(absl::StrCat("Downloaded ", files.size(), files.size() == 1 ? " file" : " files",
                             " (", FormatBytes(total), ") to ", local.string(), "\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddArtifactsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("artifacts", "List, upload and download run artifacts");
  AddList(*group, ctx);
  AddUpload(*group, ctx);
  AddDownload(*group, ctx);
}

}  // namespace plinth::cli
