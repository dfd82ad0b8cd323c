// A real HTTP server on a free port for the streamed-response tests
// (stream_writer_test.cc, event_channel_test.cc): token "b" is a member of
// team-b, any other caller a member of team-a.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plinth/http/client.h"
#include "plinth/http/server.h"

namespace plinth::http {

class StreamServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }

  void Start() {
    ServerOptions options;
    options.port = 0;
    auto server = Server::Create(
        options, router_,
        [](const Request& r) -> absl::StatusOr<Principal> {
          if (r.Header("authorization") == "Bearer b") {
            return Principal{true, "t-b", "team-b", "member"};
          }
          return Principal{true, "t-a", "team-a", "member"};
        },
        registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Run(); });
  }

  std::unique_ptr<HttpClient> Client(const std::string& token = "") {
    ClientOptions options;
    options.base_url = absl::StrCat("http://127.0.0.1:", server_->port());
    options.token = token;
    return std::move(*HttpClient::Create(options));
  }

  Router router_;
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace plinth::http
