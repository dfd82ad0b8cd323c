// The event channel on a real event bus and a real Server.
#include "plinth/http/event_channel.h"

#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "plinth/common/event_bus.h"
#include "plinth/http/stream_test_server.h"

namespace plinth::http {
namespace {

// The event channel: current state first, then published changes; the
// family's `open` decides who may read a topic.
class EventChannelTest : public StreamServerTest {
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
  // The client left: the subscription goes with it.
  for (int i = 0; i < 1000 && bus_.Subscribers("things/1") > 0; ++i) {
    // The server notices the hang-up on its own I/O thread and nothing
    // tells the test when: wait for the count, bounded (5 s).
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
