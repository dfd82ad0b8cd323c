#include "plinth/http/stream_writer.h"

#include <algorithm>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"

namespace plinth::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

StreamWriter::StreamWriter(beast::tcp_stream& connection, std::shared_ptr<void> owner)
    : connection_(connection), owner_(std::move(owner)) {}

std::string StreamWriter::Head(const Response& response) {
  auto status = static_cast<beast::http::status>(response.status);
  std::string head = absl::StrCat(
      "HTTP/1.1 ", response.status, " ", std::string(beast::http::obsolete_reason(status)),
      "\r\nServer: plinth\r\nContent-Type: ", response.content_type, "\r\n");
  for (const auto& [name, value] : response.headers) {
    if (name.find_first_of("\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;  // never let a value split the response
    }
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&head, "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  return head;
}

bool StreamWriter::Send(std::string data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || ended_) return false;
  if (data.empty()) return true;  // an empty chunk would end the body
  // Chunked encoding: every client hands each chunk on as it arrives.
  std::string chunk = absl::StrCat(absl::Hex(data.size()), "\r\n");
  chunk += data;
  chunk += "\r\n";
  queued_bytes_ += chunk.size();
  queue_.push_back(std::move(chunk));
  if (begun_ && !writing_) {
    writing_ = true;
    asio::post(connection_.get_executor(), [self = shared_from_this()] { self->Pump(); });
  }
  return true;
}

void StreamWriter::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || ended_) return;
  ended_ = true;
  queue_.push_back("0\r\n\r\n");  // the last chunk
  if (begun_ && !writing_) {
    writing_ = true;
    asio::post(connection_.get_executor(), [self = shared_from_this()] { self->Pump(); });
  }
}

void StreamWriter::OnClose(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) {
      on_close_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

size_t StreamWriter::Queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_bytes_;
}

void StreamWriter::OnWritable(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    if (queued_bytes_ > 0) {
      on_writable_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void StreamWriter::Begin(std::string head) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_bytes_ += head.size();
    queue_.push_front(std::move(head));
    begun_ = true;
    writing_ = true;
  }
  connection_.expires_never();  // a stream may be quiet for a long time
  WatchForHangUp();
  Pump();
}

void StreamWriter::Pump() {
  std::vector<std::function<void()>> writable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    queued_bytes_ -= std::min(queued_bytes_, writing_now_.size());
    writing_now_.clear();
    if (queue_.empty()) {
      writing_ = false;
      writable.swap(on_writable_);
    } else {
      // Writes what is queued as one buffer: many small events, one write.
      while (!queue_.empty()) {
        writing_now_ += queue_.front();
        queue_.pop_front();
      }
    }
  }
  for (auto& fn : writable) fn();
  bool done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done = writing_now_.empty() && ended_ && queue_.empty();
    if (writing_now_.empty() && !done) return;  // idle until the next Send
  }
  if (done) {  // ended and everything written
    beast::error_code ec;
    connection_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    return Close();
  }
  asio::async_write(connection_.socket(), asio::buffer(writing_now_),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->Close();
                      self->Pump();
                    });
}

void StreamWriter::WatchForHangUp() {
  connection_.socket().async_read_some(
      asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->Close();  // EOF or reset: the client went away
        self->WatchForHangUp();        // a client may send more; it is ignored
      });
}

void StreamWriter::Close() {
  std::vector<std::function<void()>> callbacks;
  std::shared_ptr<void> owner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    callbacks.swap(on_close_);
    queue_.clear();
    owner = std::move(owner_);
  }
  for (auto& fn : callbacks) fn();
  // The socket belongs to the connection's executor; close it there.
  asio::post(connection_.get_executor(), [this, owner, self = shared_from_this()] {
    beast::error_code ec;
    connection_.socket().close(ec);
    socket_closed_.set_value();
  });
}

std::shared_future<void> StreamWriter::CloseAndWait() {
  Close();
  return socket_closed_future_;
}

}  // namespace plinth::http
