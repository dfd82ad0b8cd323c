// Writes a streamed response (Response::start_stream) on one connection:
// the head, then each Send in order as one chunk (chunked encoding), and
// the last chunk and the connection's end at End().
// It also reads from the connection, only to notice the client leaving,
// so that the producer can stop (OnClose). Internal to the HTTP server.
#pragma once

// clang-format off
#include <utility>  // before asio, which uses std::exchange without including it
// clang-format on
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>  // before asio: it needs std::exchange
#include <vector>

#include "absl/base/thread_annotations.h"
#include "plinth/http/message.h"

namespace plinth::http {

class StreamWriter final : public ResponseStream,
                           public std::enable_shared_from_this<StreamWriter> {
 public:
  // `owner` keeps the connection alive while the stream is open.
  StreamWriter(boost::beast::tcp_stream& connection, std::shared_ptr<void> owner);

  bool Send(std::string data) override;
  void End() override;
  void OnClose(std::function<void()> fn) override;
  size_t Queued() override;
  void OnWritable(std::function<void()> fn) override;

  // On the connection's executor: queues `head` before everything sent so
  // far and starts writing. Until then sends are only queued.
  void Begin(std::string head);
  // The response ends now (client gone, write failed, server shutdown):
  // runs the OnClose callbacks and closes the connection. Idempotent.
  void Close();
  // Close(), and a future that is ready once the connection is closed (on
  // its executor); the server waits for it at shutdown before stopping.
  std::shared_future<void> CloseAndWait();

  // The status line and headers of a streamed response (chunked; the
  // connection closes after the last chunk).
  static std::string Head(const Response& response);

 private:
  void Pump();  // on the connection's executor
  void WatchForHangUp();

  boost::beast::tcp_stream& connection_;
  std::mutex mu_;
  std::shared_ptr<void> owner_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // in queue_ and in the write in flight
  std::vector<std::function<void()>> on_close_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> on_writable_ ABSL_GUARDED_BY(mu_);
  bool begun_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;   // End() called: finish the queue, then close
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // no more writes
  std::promise<void> socket_closed_;
  std::shared_future<void> socket_closed_future_ = socket_closed_.get_future().share();
  std::string writing_now_;  // the buffer of the write in flight
  std::array<char, 512> discard_{};
};

}  // namespace plinth::http
