#include "plinth/http/client.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/http/handlers.h"
#include "plinth/http/server.h"
#include "plinth/metrics/registry.h"

namespace plinth::http {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A real plinth HTTP server on a free port with a few test routes.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto echo = [](Request& r) {
      Json query = Json::object();
      for (const auto& [k, v] : r.query) query[k] = v;
      return Response::Json({{"method", r.method},
                             {"query", query},
                             {"authorization", r.Header("authorization")},
                             {"expect", r.Header("expect")},
                             {"content_type", r.Header("content-type")},
                             {"body_size", r.body.size()},
                             {"body", r.body.size() < 1000 ? r.body : ""}});
    };
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      router_.Add(method, "/echo", echo);
    }
    router_.SetBodyLimit("/echo", 8 << 20);
    router_.Add("GET", "/mlflow-error",
                [](Request&) { return MlflowError(NotFound("Run 'abc' not found")); });
    router_.Add("GET", "/native-error", [](Request&) {
      return NativeError(absl::PermissionDeniedError("token role 'viewer' is read-only"));
    });
    router_.Add("GET", "/text-error",
                [](Request&) { return Response::Text("upstream broke\nsecond line", 502); });
    router_.SetBodyLimit("/files/", 64 << 20);
    router_.AddPrefix("PUT", "/files/", [this](Request& r) {
      std::lock_guard lock(mu_);
      files_[r.path_suffix] = r.body;
      return Response::Json(Json::object());
    });
    router_.AddPrefix("GET", "/files/", [this](Request& r) {
      std::lock_guard lock(mu_);
      auto it = files_.find(r.path_suffix);
      if (it == files_.end()) return NativeError(absl::NotFoundError("no such file"));
      return Response::Text(it->second, 200, "application/octet-stream");
    });
    ServerOptions options;
    options.port = 0;
    auto server = Server::Create(
        options, router_, [](const Request&) -> absl::StatusOr<Principal> { return Principal{}; },
        registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Run(); });
    base_url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    dir_ = fs::temp_directory_path() / ("plinth_client_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
    fs::remove_all(dir_);
  }

  std::unique_ptr<HttpClient> NewClient(const std::string& token = "") {
    ClientOptions options;
    options.base_url = base_url_;
    options.token = token;
    auto client = HttpClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  Router router_;
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::string base_url_;
  fs::path dir_;
  std::mutex mu_;
  std::map<std::string, std::string> files_;
};

TEST_F(HttpClientTest, GetJsonEncodesQueryAndSendsBearerToken) {
  auto client = NewClient("plt_secret");
  auto got = client->GetJson("/echo", {{"a", "1 2&3"}, {"path", "x/y z"}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["method"], "GET");
  EXPECT_EQ((*got)["query"]["a"], "1 2&3");
  EXPECT_EQ((*got)["query"]["path"], "x/y z");
  EXPECT_EQ((*got)["authorization"], "Bearer plt_secret");
}

TEST_F(HttpClientTest, NoAuthorizationHeaderWithoutToken) {
  auto got = NewClient()->GetJson("/echo");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["authorization"], "");
}

TEST_F(HttpClientTest, JsonMethodsSendTheirBodies) {
  auto client = NewClient();
  for (const std::string method : {"POST", "PATCH", "DELETE"}) {
    Json body = {{"name", "m"}, {"n", 1}};
    auto got = method == "POST"    ? client->PostJson("/echo", body)
               : method == "PATCH" ? client->PatchJson("/echo", body)
                                   : client->DeleteJson("/echo", body);
    ASSERT_TRUE(got.ok()) << method << ": " << got.status();
    EXPECT_EQ((*got)["method"], method);
    EXPECT_EQ(Json::parse((*got)["body"].get<std::string>()), body) << method;
    EXPECT_EQ((*got)["content_type"], "application/json");
  }
}

TEST_F(HttpClientTest, LargeBodiesAreSentWithoutExpectContinue) {
  std::string big(2 << 20, 'x');  // curl asks for 100-continue above 1 MiB by default
  auto response = NewClient()->Post("/echo", big, "text/plain");
  ASSERT_TRUE(response.ok()) << response.status();
  Json got = Json::parse(response->body);
  EXPECT_EQ(got["body_size"], big.size());
  EXPECT_EQ(got["expect"], "");
}

TEST_F(HttpClientTest, ReusesOneConnectionAcrossRequests) {
  auto client = NewClient();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->GetJson("/echo").ok());
    ASSERT_TRUE(client->PostJson("/echo", {{"i", i}}).ok());
  }
  EXPECT_EQ(client->connections_opened(), 1);
}

TEST_F(HttpClientTest, RawCallsReturnErrorStatusesAsResponses) {
  auto response = NewClient()->Get("/mlflow-error");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
  EXPECT_FALSE(response->ok());
  EXPECT_NE(response->Header("content-type").find("application/json"), std::string::npos);
}

TEST_F(HttpClientTest, MapsMlflowErrorBodies) {
  auto got = NewClient()->GetJson("/mlflow-error");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_EQ(got.status().message(), "Run 'abc' not found");
  EXPECT_EQ(ErrorNameOf(got.status()), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(HttpStatusFor(got.status()), 404);
}

TEST_F(HttpClientTest, MapsNativeErrorBodies) {
  auto got = NewClient()->GetJson("/native-error");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(got.status()));
  EXPECT_EQ(got.status().message(), "token role 'viewer' is read-only");
  EXPECT_EQ(ErrorNameOf(got.status()), "PERMISSION_DENIED");
}

TEST_F(HttpClientTest, MapsNonJsonErrorsByHttpStatus) {
  auto got = NewClient()->GetJson("/text-error");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsUnavailable(got.status()));
  EXPECT_EQ(got.status().message(), "HTTP 502: upstream broke");
  EXPECT_FALSE(ErrorNameOf(got.status()).has_value());
}

TEST_F(HttpClientTest, UploadAndDownloadStreamFilesWithProgress) {
  std::string content(5 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : content) c = static_cast<char>(rng());
  fs::path source = dir_ / "source.bin";
  std::ofstream(source, std::ios::binary) << content;

  auto client = NewClient();
  std::vector<uint64_t> seen;
  uint64_t last_total = 0;
  ASSERT_TRUE(client
                  ->UploadFile("/files/a%20b/model.bin", source.string(),
                               [&](uint64_t done, uint64_t total) {
                                 seen.push_back(done);
                                 last_total = total;
                                 return true;
                               })
                  .ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), content.size());
  EXPECT_EQ(last_total, content.size());
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(files_.count("a b/model.bin"), 1u);
    EXPECT_TRUE(files_["a b/model.bin"] == content);
  }

  fs::path dest = dir_ / "dest.bin";
  uint64_t download_done = 0;
  ASSERT_TRUE(client
                  ->DownloadFile("/files/a%20b/model.bin", dest.string(),
                                 [&](uint64_t done, uint64_t) {
                                   download_done = done;
                                   return true;
                                 })
                  .ok());
  EXPECT_TRUE(ReadFile(dest) == content);
  EXPECT_EQ(download_done, content.size());
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(HttpClientTest, FailedDownloadLeavesNoFileAndReportsTheError) {
  fs::path dest = dir_ / "missing.bin";
  absl::Status status = NewClient()->DownloadFile("/files/nope", dest.string());
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(status.message(), "no such file");
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(HttpClientTest, ProgressCallbackCanCancel) {
  fs::path source = dir_ / "big.bin";
  std::ofstream(source, std::ios::binary) << std::string(8 << 20, 'z');
  absl::Status status = NewClient()->UploadFile("/files/big", source.string(),
                                                [](uint64_t, uint64_t) { return false; });
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
}

TEST_F(HttpClientTest, UploadOfMissingFileFailsBeforeSending) {
  absl::Status status = NewClient()->UploadFile("/files/x", (dir_ / "absent").string());
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_NE(status.message().find("absent"), absl::string_view::npos);
}

TEST(HttpClientStandaloneTest, ConnectionRefusedNamesTheUrl) {
  ClientOptions options;
  options.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  auto client = HttpClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto got = (*client)->GetJson("/api/v1/info");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsUnavailable(got.status()));
  EXPECT_EQ(got.status().message(), "cannot reach http://127.0.0.1:1: connection refused");
  EXPECT_EQ(ErrorNameOf(got.status()), "CONNECT_FAILED");
}

TEST(HttpClientStandaloneTest, RejectsUrlsWithoutScheme) {
  ClientOptions options;
  options.base_url = "localhost:8470";
  auto client = HttpClient::Create(options);
  EXPECT_TRUE(absl::IsInvalidArgument(client.status()));
  EXPECT_NE(client.status().message().find("http://"), absl::string_view::npos);
}

TEST(HttpClientStandaloneTest, StripsTrailingSlashFromBaseUrl) {
  ClientOptions options;
  options.base_url = "http://example.test:1/";
  auto client = HttpClient::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->base_url(), "http://example.test:1");
}

TEST(StatusFromResponseTest, UnderstandsEachErrorShape) {
  absl::Status mlflow = StatusFromResponse(
      400,
      R"({"error_code":"RESOURCE_ALREADY_EXISTS","message":"Experiment 'x' already exists."})");
  EXPECT_TRUE(absl::IsAlreadyExists(mlflow));
  EXPECT_EQ(mlflow.message(), "Experiment 'x' already exists.");
  EXPECT_EQ(ErrorNameOf(mlflow), "RESOURCE_ALREADY_EXISTS");

  absl::Status native = StatusFromResponse(
      404, R"({"error":{"code":"NOT_FOUND","message":"no token","details":{}}})");
  EXPECT_TRUE(absl::IsNotFound(native));
  EXPECT_EQ(native.message(), "no token");
  EXPECT_EQ(ErrorNameOf(native), "NOT_FOUND");

  absl::Status kserve = StatusFromResponse(400, R"({"error":"bad tensor"})");
  EXPECT_TRUE(absl::IsInvalidArgument(kserve));
  EXPECT_EQ(kserve.message(), "bad tensor");

  absl::Status unknown_name =
      StatusFromResponse(401, R"({"error_code":"SOMETHING_NEW","message":"who are you"})");
  EXPECT_TRUE(absl::IsUnauthenticated(unknown_name));  // falls back to the HTTP status

  absl::Status empty = StatusFromResponse(500, "");
  EXPECT_TRUE(absl::IsInternal(empty));
  EXPECT_EQ(empty.message(), "HTTP 500");

  absl::Status html = StatusFromResponse(404, "<html>\n<body>Not Found</body>");
  EXPECT_EQ(html.message(), "HTTP 404: <html>");
}

TEST(EncodeQueryTest, PercentEncodesKeysAndValues) {
  EXPECT_EQ(EncodeQuery({}), "");
  EXPECT_EQ(EncodeQuery({{"run_ids", "a"}, {"run_ids", "b"}, {"filter", "name = 'x y'"}}),
            "?run_ids=a&run_ids=b&filter=name%20%3D%20%27x%20y%27");
  EXPECT_EQ(PercentEncodeComponent("a-b_c.d~e/f"), "a-b_c.d~e%2Ff");
}

}  // namespace
}  // namespace plinth::http
