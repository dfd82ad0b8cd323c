// Streamed responses end to end: a real Server and the libcurl client's
// Stream.
#include "plinth/http/stream_writer.h"

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plinth/http/stream_test_server.h"

namespace plinth::http {
namespace {

using StreamTest = StreamServerTest;

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

}  // namespace
}  // namespace plinth::http
