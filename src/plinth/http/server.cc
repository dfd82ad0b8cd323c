#include "plinth/http/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plinth/common/errors.h"
#include "plinth/http/stream_writer.h"
#include "spdlog/spdlog.h"

namespace plinth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kHeaderLimit = 64 * 1024;

absl::Status WithHttpStatus413(absl::Status s) {
  return WithHttpStatus(WithErrorName(std::move(s), "REQUEST_LIMIT_EXCEEDED"), 413);
}

// The reply to a request the parser rejected, or nullopt when the client
// just went away (closed, reset, timed out) and there is nobody to tell.
std::optional<absl::Status> FramingError(beast::error_code ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return std::nullopt;
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec == bhttp::error::header_limit) {
    return WithHttpStatus(WithErrorName(absl::ResourceExhaustedError(absl::StrCat(
                                            "request headers exceed ", kHeaderLimit / 1024,
                                            " KiB: send fewer or "
                                            "shorter headers")),
                                        "REQUEST_HEADER_FIELDS_TOO_LARGE"),
                          431);
  }
  return WithHttpStatus(WithErrorName(absl::InvalidArgumentError(absl::StrCat(
                                          "malformed HTTP request (", ec.message(),
                                          "): send HTTP/1.1 with CRLF line endings and a valid "
                                          "Content-Length or chunked body")),
                                      "BAD_REQUEST"),
                        400);
}

// A header value that could end the header block early (response splitting).
bool UnsafeHeaderValue(absl::string_view value) {
  return value.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

// Sent, without parsing anything, to a connection over max_connections.
constexpr absl::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    "Content-Length: 44\r\n\r\ntoo many open connections; try again later\r\n";

class ServerImpl;

// One client connection; reads requests one after another (HTTP/1.1
// keep-alive) and runs each handler on the worker pool.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl& server);
  ~Session();
  void Start() { ReadHeader(); }

 private:
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void Dispatch();
  void Write(Response response, bool keep_alive, bool head);
  // On a worker: hands a streamed response's writer to its producer, then
  // writes the head; the request stops counting as in flight there.
  void StartStream(Response response);
  void Close();
  // After an early error reply (413), reads and discards what the client is
  // still sending, so it sees the reply instead of a connection reset.
  void DrainAndClose();
  // Replies to a request the parser rejected, then closes.
  void RejectFraming(const absl::Status& status);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  std::string path_;
  bool drain_after_write_ = false;
  bool counted_ = false;  // this request is counted in the server's in-flight total
  ServerImpl& server_;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, const Router& router, Authenticator auth,
             metrics::Registry& registry)
      : options_(options),
        router_(router),
        auth_(std::move(auth)),
        ioc_(options.io_threads),
        acceptor_(ioc_),
        workers_(options.worker_threads),
        requests_(registry.AddCounter("plinth_http_requests_total",
                                      "HTTP requests served, by route, method and status code.",
                                      {"route", "method", "code"})),
        latency_(registry.AddHistogram("plinth_http_request_duration_seconds",
                                       "HTTP request latency from full body read to response "
                                       "ready, by route and method.",
                                       {"route", "method"})),
        in_flight_gauge_(
            registry.AddGauge("plinth_http_requests_in_flight", "HTTP requests being handled now.")
                .WithLabels({})) {}

  absl::Status Listen() {
    beast::error_code ec;
    // "localhost" is the one name accepted; everything else must be an address.
    auto address =
        asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("invalid host '", options_.host, "'"));
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.host, ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Run() override {
    // Keeps ioc_.run() going while a handler runs on a worker and nothing is
    // pending on the sockets (after Shutdown closed the acceptor); Shutdown
    // ends it with ioc_.stop().
    auto work = asio::make_work_guard(ioc_);
    Accept();
    std::vector<std::thread> threads;
    for (int i = 0; i < options_.io_threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    for (auto& t : threads) t.join();
    workers_.join();
    std::lock_guard lock(shutdown_mu_);
    if (shutdown_thread_.joinable()) shutdown_thread_.join();
  }

  ~ServerImpl() override {
    std::lock_guard lock(shutdown_mu_);
    if (shutdown_thread_.joinable()) shutdown_thread_.join();
  }

  void Shutdown() override {
    if (draining_.exchange(true)) return;
    std::lock_guard guard(shutdown_mu_);
    shutdown_thread_ = std::thread([this] {
      // Close the listening socket on an I/O thread and wait for it, so no
      // connection is accepted once draining has begun.
      auto closed = std::make_shared<std::promise<void>>();
      asio::post(ioc_, [this, closed] {
        beast::error_code ec;
        acceptor_.close(ec);
        closed->set_value();
      });
      closed->get_future().wait_for(std::chrono::seconds(5));
      CloseStreams();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.drain_timeout, [this] { return in_flight_ == 0; });
      ioc_.stop();
    });
  }

  const Router& router() const { return router_; }
  const ServerOptions& options() const { return options_; }
  bool draining() const { return draining_; }
  asio::thread_pool& workers() { return workers_; }

  // Runs auth and the handler; never throws.
  Response Handle(Request& request) {
    auto started = std::chrono::steady_clock::now();
    Response response = HandleInner(request);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string& route = request.route.empty() ? std::string("unmatched") : request.route;
    requests_.WithLabels({route, request.method, std::to_string(response.status)}).Increment();
    latency_.WithLabels({route, request.method}).Observe(seconds);
    return response;
  }

  // Records a response produced without a handler (413 from the parser).
  void CountRejected(const std::string& method, int status) {
    requests_.WithLabels({"unmatched", method, std::to_string(status)}).Increment();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec,
                                                           tcp::socket socket) {
      if (ec) {
        if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;  // Shutdown
        spdlog::warn("accept failed: {}", ec.message());
      } else if (options_.max_connections > 0 && open_connections_ >= options_.max_connections) {
        RefuseConnection(std::move(socket));
      } else {
        std::make_shared<Session>(std::move(socket), *this)->Start();
      }
      Accept();
    });
  }

  // Tells a connection over the limit why it is closed. The reply is far
  // smaller than a socket's send buffer, so the write does not block.
  void RefuseConnection(tcp::socket socket) {
    CountRejected("unknown", 503);
    beast::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kTooManyConnections.data(), kTooManyConnections.size()), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    static std::atomic<int64_t> last_warned{0};
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    if (now - last_warned.exchange(now) >= 60) {
      spdlog::warn("refusing connections: {} open, the limit is server.max_connections = {}",
                   open_connections_.load(), options_.max_connections);
    }
  }

  Response HandleInner(Request& request) {
    Router::Match match = router_.Find(request.method, request.path);
    if (match.handler == nullptr) {
      if (match.wrong_method) {
        return router_.RenderError(
            request.path,
            WithName(absl::NotFoundError(absl::StrCat("method ", request.method,
                                                      " is not allowed on ", request.path)),
                     "ENDPOINT_NOT_FOUND", 405));
      }
      return router_.RenderError(
          request.path, WithName(absl::NotFoundError(absl::StrCat(
                                     "no API endpoint at ", request.method, " ", request.path)),
                                 "ENDPOINT_NOT_FOUND", 404));
    }
    request.route = match.route;
    request.path_suffix = match.suffix;
    try {
      if (!router_.IsPublic(request.path)) {
        absl::StatusOr<Principal> principal = auth_(request);
        if (!principal.ok()) return router_.RenderError(request.path, principal.status());
        request.principal = *std::move(principal);
      }
      return (*match.handler)(request);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} threw: {}", request.method, request.path, e.what());
      return router_.RenderError(request.path,
                                 absl::InternalError(absl::StrCat("internal error: ", e.what())));
    }
  }

  static absl::Status WithName(absl::Status s, const char* name, int http_status);

 public:
  std::atomic<int> open_connections_{0};

  // A request is in flight from the full body read until its response has
  // been written; Shutdown waits for the count to reach zero.
  void BeginRequest() {
    std::lock_guard lock(mu_);
    ++in_flight_;
    in_flight_gauge_.Set(in_flight_);
  }
  // Streams stay open until their producer ends them; at shutdown they end.
  void TrackStream(const std::shared_ptr<StreamWriter>& writer) {
    std::lock_guard lock(mu_);
    std::erase_if(streams_, [](const std::weak_ptr<StreamWriter>& w) { return w.expired(); });
    streams_.push_back(writer);
  }
  void CloseStreams() {
    std::vector<std::weak_ptr<StreamWriter>> streams;
    {
      std::lock_guard lock(mu_);
      streams.swap(streams_);
    }
    std::vector<std::shared_future<void>> closed;
    for (auto& weak : streams) {
      if (auto writer = weak.lock()) closed.push_back(writer->CloseAndWait());
    }
    // The sockets close on their executors, which must run before ioc_.stop().
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto& f : closed) f.wait_until(deadline);
  }
  void EndRequest() {
    std::lock_guard lock(mu_);
    --in_flight_;
    in_flight_gauge_.Set(in_flight_);
    cv_.notify_all();
  }

 private:
  ServerOptions options_;
  const Router& router_;
  Authenticator auth_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::thread_pool workers_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  std::vector<std::weak_ptr<StreamWriter>> streams_;  // guarded by mu_
  std::mutex shutdown_mu_;
  std::thread shutdown_thread_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& latency_;
  metrics::Gauge& in_flight_gauge_;
};

absl::Status ServerImpl::WithName(absl::Status s, const char* name, int http_status) {
  return WithHttpStatus(WithErrorName(std::move(s), name), http_status);
}

Session::Session(tcp::socket socket, ServerImpl& server)
    : stream_(std::move(socket)), server_(server) {
  ++server_.open_connections_;
}

Session::~Session() { --server_.open_connections_; }

void Session::ReadHeader() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  // Beast checks Content-Length against its default 1 MiB body limit while
  // parsing the header; lift it here and apply the route's limit in OnHeader.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  stream_.expires_after(server_.options().header_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(beast::error_code ec) {
  if (ec) {
    if (std::optional<absl::Status> error = FramingError(ec)) return RejectFraming(*error);
    return Close();
  }
  stream_.expires_after(server_.options().idle_timeout);
  auto& req = parser_->get();
  absl::string_view target(req.target().data(), req.target().size());
  path_ = PercentDecode(target.substr(0, target.find('?')), false);
  size_t limit = server_.router().BodyLimit(path_);
  parser_->body_limit(limit);
  if (parser_->content_length() && *parser_->content_length() > limit) {
    server_.CountRejected(std::string(req.method_string()), 413);
    Response r = server_.router().RenderError(
        path_, WithHttpStatus413(absl::ResourceExhaustedError(
                   absl::StrCat("request body of ", *parser_->content_length(),
                                " bytes exceeds the limit of ", limit, " bytes for ", path_))));
    drain_after_write_ = true;
    return Write(std::move(r), false, false);
  }
  if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    bhttp::async_write(stream_, *cont,
                       [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void Session::OnBody(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    drain_after_write_ = true;
    std::string method(parser_->get().method_string());
    server_.CountRejected(method, 413);
    Response r = server_.router().RenderError(
        path_, WithHttpStatus413(absl::ResourceExhaustedError(
                   absl::StrCat("request body exceeds the limit of ",
                                server_.router().BodyLimit(path_), " bytes for ", path_))));
    return Write(std::move(r), false, false);
  }
  if (ec) {
    if (std::optional<absl::Status> error = FramingError(ec)) return RejectFraming(*error);
    return Close();
  }
  Dispatch();
}

void Session::RejectFraming(const absl::Status& status) {
  server_.CountRejected("unknown", HttpStatusFor(status));
  drain_after_write_ = true;
  Write(server_.router().RenderError(path_.empty() ? "/" : path_, status), false, false);
}

void Session::Dispatch() {
  auto req = parser_->release();
  auto request = std::make_shared<Request>();
  request->method = std::string(req.method_string());
  request->target = std::string(req.target());
  request->path = path_;
  size_t q = request->target.find('?');
  if (q != std::string::npos) request->query = ParseQuery(request->target.substr(q + 1));
  for (const auto& field : req) {
    request->headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  request->body = std::move(req.body());
  bool keep_alive = req.keep_alive();
  bool head = req.method() == bhttp::verb::head;
  stream_.expires_never();
  server_.BeginRequest();
  counted_ = true;
  asio::post(server_.workers(), [self = shared_from_this(), request, keep_alive, head] {
    Response response = self->server_.Handle(*request);
    if (response.start_stream) return self->StartStream(std::move(response));
    asio::post(self->stream_.get_executor(),
               [self, response = std::move(response), keep_alive, head]() mutable {
                 self->Write(std::move(response), keep_alive, head);
               });
  });
}

void Session::Write(Response response, bool keep_alive, bool head) {
  keep_alive = keep_alive && !server_.draining();
  response_ = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(response.status), 11);
  response_->set(bhttp::field::server, "plinth");
  response_->set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) {
    // A handler bug must never let client data split the response.
    if (UnsafeHeaderValue(value) || UnsafeHeaderValue(name)) {
      spdlog::error("dropped response header {}: its value has a line break or NUL", name);
      continue;
    }
    response_->set(name, value);
  }
  response_->keep_alive(keep_alive);
  size_t size = response.body.size();
  if (!head) response_->body() = std::move(response.body);
  response_->prepare_payload();
  if (head) response_->content_length(size);
  stream_.expires_after(server_.options().idle_timeout);
  bhttp::async_write(stream_, *response_,
                     [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                       // Beast reports end_of_stream after writing a "Connection: close" reply.
                       bool sent = !ec || ec == bhttp::error::end_of_stream;
                       if (self->counted_) {
                         self->counted_ = false;
                         self->server_.EndRequest();
                       }
                       if (sent && self->drain_after_write_) return self->DrainAndClose();
                       if (ec || !keep_alive) return self->Close();
                       self->response_.reset();
                       self->ReadHeader();
                     });
}

void Session::StartStream(Response response) {
  auto writer = std::make_shared<StreamWriter>(stream_, shared_from_this());
  server_.TrackStream(writer);
  try {
    response.start_stream(writer);
  } catch (const std::exception& e) {
    spdlog::error("stream for {} threw: {}", path_, e.what());
    writer->End();
  }
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), writer, head = StreamWriter::Head(response)]() mutable {
               if (self->counted_) {
                 self->counted_ = false;
                 self->server_.EndRequest();
               }
               writer->Begin(std::move(head));
             });
}

void Session::DrainAndClose() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(5));
  auto discard = std::make_shared<std::array<char, 65536>>();
  stream_.async_read_some(asio::buffer(*discard),
                          [self = shared_from_this(), discard](beast::error_code ec, size_t) {
                            if (!ec) self->DrainAndClose();
                          });
}

void Session::Close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options,
                                                       const Router& router,
                                                       Authenticator authenticator,
                                                       metrics::Registry& registry) {
  auto server = std::make_unique<ServerImpl>(options, router, std::move(authenticator), registry);
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return server;
}

}  // namespace plinth::http
