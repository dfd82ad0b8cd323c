#include "plinth/cli/artifact_transfer.h"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/http/handlers.h"
#include "plinth/http/server.h"
#include "plinth/metrics/registry.h"

namespace plinth::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

TEST(ArtifactProxyBaseTest, MapsMlflowArtifactsUrisToProxyPaths) {
  EXPECT_EQ(*ArtifactProxyBase("mlflow-artifacts:/1/abc/artifacts"),
            "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts");
  EXPECT_EQ(*ArtifactProxyBase("mlflow-artifacts://host:5000/1/abc/artifacts/"),
            "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts");
  auto s3 = ArtifactProxyBase("s3://bucket/1/abc/artifacts");
  EXPECT_TRUE(absl::IsFailedPrecondition(s3.status()));
  EXPECT_THAT(std::string(s3.status().message()), ::testing::HasSubstr("s3://bucket"));
  EXPECT_FALSE(ArtifactProxyBase("mlflow-artifacts:/").ok());
}

TEST(CleanArtifactPathTest, NormalisesSlashesAndRejectsDotDot) {
  EXPECT_EQ(*CleanArtifactPath("/a//b/./c/"), "a/b/c");
  EXPECT_EQ(*CleanArtifactPath(""), "");
  EXPECT_EQ(*CleanArtifactPath("/"), "");
  EXPECT_TRUE(absl::IsInvalidArgument(CleanArtifactPath("a/../../etc").status()));
}

TEST(SafeLocalPathTest, RefusesPathsOutsideTheRoot) {
  EXPECT_EQ(*SafeLocalPath("out", "a/b.txt"), fs::path("out") / "a" / "b.txt");
  EXPECT_EQ(*SafeLocalPath("out", ""), fs::path("out"));
  EXPECT_FALSE(SafeLocalPath("out", "../x").ok());
  EXPECT_FALSE(SafeLocalPath("out", "a/../../x").ok());
  EXPECT_FALSE(SafeLocalPath("out", "/etc/passwd").ok());
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ArtifactTransferTest : public ::testing::Test {
 protected:
  static constexpr char kBase[] = "/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts";

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plinth_artifact_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string prefix = std::string(kBase) + "/";
    router_.SetBodyLimit(prefix, 64 << 20);
    router_.AddPrefix("PUT", prefix, [this](http::Request& r) {
      std::lock_guard lock(mu_);
      store_[r.path_suffix] = r.body;
      return http::Response::Json(Json::object());
    });
    router_.AddPrefix("GET", prefix, [this](http::Request& r) {
      std::lock_guard lock(mu_);
      auto it = store_.find(r.path_suffix);
      if (it == store_.end()) return http::NativeError(absl::NotFoundError("no such artifact"));
      return http::Response::Text(it->second, 200, "application/octet-stream");
    });
    // MLflow's artifacts/list: one level under `path`, paged two entries at a time.
    router_.Add("GET", "/api/2.0/mlflow/artifacts/list", [this](http::Request& r) {
      std::string dir = r.QueryParam("path").value_or("");
      size_t start = std::stoul(r.QueryParam("page_token").value_or("0"));
      std::map<std::string, Json> entries;
      std::lock_guard lock(mu_);
      for (const auto& [path, body] : store_) {
        absl::string_view rest = path;
        if (!dir.empty() && !absl::ConsumePrefix(&rest, dir + "/")) continue;
        size_t slash = rest.find('/');
        std::string name(rest.substr(0, slash));
        std::string full = dir.empty() ? name : dir + "/" + name;
        entries[full] = slash == absl::string_view::npos
                            ? Json{{"path", full}, {"is_dir", false}, {"file_size", body.size()}}
                            : Json{{"path", full}, {"is_dir", true}};
      }
      Json files = Json::array();
      size_t i = 0;
      for (auto& [path, entry] : entries) {
        if (i >= start && i < start + 2) files.push_back(entry);
        ++i;
      }
      Json answer = {{"root_uri", "mlflow-artifacts:/1/r1/artifacts"}, {"files", files}};
      if (start + 2 < entries.size()) answer["next_page_token"] = std::to_string(start + 2);
      return http::Response::Json(answer);
    });
    http::ServerOptions options;
    options.port = 0;
    auto server = http::Server::Create(
        options, router_,
        [](const http::Request&) -> absl::StatusOr<http::Principal> { return http::Principal{}; },
        registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Run(); });
    http::ClientOptions client_options;
    client_options.base_url = "http://127.0.0.1:" + std::to_string(server_->port());
    client_ = std::move(*http::HttpClient::Create(client_options));
  }

  void TearDown() override {
    server_->Shutdown();
    thread_.join();
    fs::remove_all(dir_);
  }

  http::Router router_;
  metrics::Registry registry_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::unique_ptr<http::HttpClient> client_;
  fs::path dir_;
  std::mutex mu_;
  std::map<std::string, std::string> store_;
};

TEST_F(ArtifactTransferTest, CollectLocalFilesWalksDirectoriesRecursively) {
  WriteFile(dir_ / "src" / "b.txt", "bb");
  WriteFile(dir_ / "src" / "a" / "deep" / "x.bin", "xxxx");
  auto files = CollectLocalFiles(dir_ / "src");
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].rel, "a/deep/x.bin");
  EXPECT_EQ((*files)[0].size, 4u);
  EXPECT_EQ((*files)[1].rel, "b.txt");
  auto single = CollectLocalFiles(dir_ / "src" / "b.txt");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ((*single)[0].rel, "b.txt");
  EXPECT_TRUE(absl::IsNotFound(CollectLocalFiles(dir_ / "nope").status()));
}

TEST_F(ArtifactTransferTest, DirectoryRoundTripPreservesTreeAndContent) {
  WriteFile(dir_ / "src" / "model.bin", std::string(3 << 20, 'm'));
  WriteFile(dir_ / "src" / "conf" / "a b.yaml", "k: v\n");
  WriteFile(dir_ / "src" / "conf" / "c.txt", "c");
  WriteFile(dir_ / "src" / "d.txt", "d");
  ArtifactTransfer transfer(*client_, "r1", kBase, false);
  auto files = CollectLocalFiles(dir_ / "src");
  ASSERT_TRUE(files.ok());
  ASSERT_TRUE(transfer.Upload(*files, "outputs").ok());
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(store_.count("outputs/conf/a b.yaml"), 1u);
  }

  auto listed = transfer.ListFiles("outputs");
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> paths;
  for (const RemoteFile& f : *listed) paths.push_back(f.path);
  EXPECT_THAT(paths, ElementsAre("outputs/conf/a b.yaml", "outputs/conf/c.txt", "outputs/d.txt",
                                 "outputs/model.bin"));

  ASSERT_TRUE(transfer.Download(*listed, "outputs", dir_ / "dest").ok());
  EXPECT_EQ(ReadFile(dir_ / "dest" / "conf" / "a b.yaml"), "k: v\n");
  EXPECT_EQ(ReadFile(dir_ / "dest" / "d.txt"), "d");
  EXPECT_TRUE(ReadFile(dir_ / "dest" / "model.bin") == std::string(3 << 20, 'm'));
}

TEST_F(ArtifactTransferTest, StatFindsFilesAndDirectories) {
  WriteFile(dir_ / "f.txt", "hello");
  ArtifactTransfer transfer(*client_, "r1", kBase, false);
  ASSERT_TRUE(transfer.Upload(*CollectLocalFiles(dir_ / "f.txt"), "d/e").ok());
  auto file = transfer.Stat("d/e/f.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->is_dir);
  EXPECT_EQ(file->size, 5u);
  auto dir = transfer.Stat("d/e");
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->is_dir);
  EXPECT_TRUE(transfer.Stat("")->is_dir);
  auto missing = transfer.Stat("d/nope");
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(), "run 'r1' has no artifact 'd/nope'");

  ASSERT_TRUE(transfer.DownloadOne(*file, dir_ / "copy.txt").ok());
  EXPECT_EQ(ReadFile(dir_ / "copy.txt"), "hello");
}

TEST_F(ArtifactTransferTest, DownloadErrorsNameTheArtifact) {
  ArtifactTransfer transfer(*client_, "r1", kBase, false);
  absl::Status s = transfer.DownloadOne({"gone.txt", false, 1}, dir_ / "gone.txt");
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(s.message(), "downloading gone.txt: no such artifact");
  EXPECT_FALSE(fs::exists(dir_ / "gone.txt"));
}

}  // namespace
}  // namespace plinth::cli
