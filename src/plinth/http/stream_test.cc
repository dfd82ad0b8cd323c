// Streamed responses end to end: a real Server, the libcurl client's Stream,
// and the event channel on a real event bus.
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plinth/common/event_bus.h"
#include "plinth/http/client.h"
#include "plinth/http/event_channel.h"
#include "plinth/http/server.h"

namespace plinth::http {
namespace {

class StreamTest : public ::testing::Test {
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

TEST_F(StreamTest, PiecesArriveInOrderAndTheResponseEndsAtEnd) {
  std::promise<std::shared_ptr<ResponseStream>> handed;
  router_.Add("GET", "/stream", [&](Request&) {
    return Response::Stream("text/plain", [&](std::shared_ptr<ResponseStream> out) {
      out->Send("early ");  // before the head is written: queued
      handed.set_value(out);
    });
  });
  Start();
  std::thread producer([&] {
    auto out = handed.get_future().get();
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(out->Send(absl::StrCat(i, " ")));
    out->End();
    EXPECT_FALSE(out->Send("after end"));
  });
  std::string got;
  absl::Status s = Client()->Stream("/stream", {}, [&](absl::string_view d) {
    got.append(d.data(), d.size());
    return true;
  });
  producer.join();
  ASSERT_TRUE(s.ok()) << s;
  std::string want = "early ";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&want, i, " ");
  EXPECT_EQ(got, want);
}

TEST_F(StreamTest, AClientThatLeavesEndsTheStreamForTheProducer) {
  std::promise<void> closed;
  std::promise<std::shared_ptr<ResponseStream>> handed;
  router_.Add("GET", "/stream", [&](Request&) {
    return Response::Stream("text/plain", [&](std::shared_ptr<ResponseStream> out) {
      out->OnClose([&] { closed.set_value(); });
      out->Send("first");
      handed.set_value(out);
    });
  });
  Start();
  absl::Status s = Client()->Stream("/stream", {}, [&](absl::string_view) { return false; });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(closed.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto out = handed.get_future().get();
  EXPECT_FALSE(out->Send("nobody reads this"));
}

TEST_F(StreamTest, ShutdownEndsOpenStreams) {
  std::promise<void> closed, started;
  router_.Add("GET", "/stream", [&](Request&) {
    return Response::Stream("text/plain", [&](std::shared_ptr<ResponseStream> out) {
      out->OnClose([&] { closed.set_value(); });
      out->Send("hello");
      started.set_value();
    });
  });
  Start();
  std::thread client([&] {
    Client()->Stream("/stream", {}, [](absl::string_view) { return true; }).IgnoreError();
  });
  started.get_future().wait();
  server_->Shutdown();
  EXPECT_EQ(closed.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  client.join();  // the connection was closed, so the client returns
}

TEST_F(StreamTest, OnWritableFiresOnceTheQueueIsWritten) {
  std::promise<void> writable;
  router_.Add("GET", "/stream", [&](Request&) {
    return Response::Stream("text/plain", [&](std::shared_ptr<ResponseStream> out) {
      out->Send(std::string(1 << 20, 'x'));
      EXPECT_GT(out->Queued(), 0u);
      out->OnWritable([&writable, out] {
        writable.set_value();
        out->End();
      });
    });
  });
  Start();
  size_t bytes = 0;
  ASSERT_TRUE(Client()
                  ->Stream("/stream", {},
                           [&](absl::string_view d) {
                             bytes += d.size();
                             return true;
                           })
                  .ok());
  EXPECT_EQ(bytes, 1u << 20);
  EXPECT_EQ(writable.get_future().wait_for(std::chrono::seconds(1)), std::future_status::ready);
}

// The event channel: current state first, then published changes; the
// family's `open` decides who may read a topic.
class EventChannelTest : public StreamTest {
 protected:
  void SetUp() override {
    channel_.AddTopics({"things/",
                        [](const Principal& who,
                           const std::string& topic) -> absl::StatusOr<std::vector<BusEvent>> {
                          if (who.team != "team-a") {
                            return absl::PermissionDeniedError("PERMISSION_DENIED");
                          }
                          return std::vector<BusEvent>{{topic, "thing", Json{{"n", 0}}}};
                        }});
    channel_.Register(router_);
  }
  EventBus bus_;
  EventChannel channel_{bus_};
};

TEST_F(EventChannelTest, SendsTheCurrentStateThenEachChange) {
  Start();
  std::thread publisher([&] {
    // Publish once the stream's subscription exists.
    while (bus_.Subscribers("things/1") == 0) std::this_thread::yield();
    for (int n = 1; n <= 3; ++n) bus_.Publish({"things/1", "thing", Json{{"n", n}}});
    bus_.Publish({"things/2", "thing", Json{{"n", 99}}});  // another topic: not sent
  });
  std::string got;
  absl::Status s =
      Client()->Stream("/api/v1/events", {{"topic", "things/1"}}, [&](absl::string_view d) {
        got.append(d.data(), d.size());
        return !absl::StrContains(got, "{\"n\":3}");
      });
  publisher.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(got,
            "event: thing\ndata: {\"n\":0}\n\nevent: thing\ndata: {\"n\":1}\n\n"
            "event: thing\ndata: {\"n\":2}\n\nevent: thing\ndata: {\"n\":3}\n\n");
  // The client left: the subscription goes with it. The server notices the
  // hang-up on its own I/O thread and nothing tells the test when, so this
  // waits for the count, bounded (5 s).
  for (int i = 0; i < 1000 && bus_.Subscribers("things/1") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(bus_.Subscribers("things/1"), 0);
}

TEST_F(EventChannelTest, RefusesUnknownTopicsAndCallersTheFamilyRefuses) {
  Start();
  auto none = Client()->Get("/api/v1/events");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 400);
  auto unknown = Client()->Get("/api/v1/events?topic=nope/1");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 400);
  EXPECT_TRUE(absl::StrContains(unknown->body, "things/<id>")) << unknown->body;
  auto other_team = Client("b")->Get("/api/v1/events?topic=things/1");
  ASSERT_TRUE(other_team.ok());
  EXPECT_EQ(other_team->status, 403);
  EXPECT_EQ(bus_.Subscribers("things/1"), 0);  // a refused stream leaves nothing behind
}

}  // namespace
}  // namespace plinth::http
