// The HTTP/1.1 server: keep-alive connections on a few I/O threads, handlers
// on a worker pool (so slow storage or CPU work never blocks network I/O),
// per-route request metrics, and graceful drain on Shutdown().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plinth/http/message.h"
#include "plinth/http/router.h"
#include "plinth/metrics/registry.h"

namespace plinth::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8470;  // 0 picks a free port; see Server::port()
  int io_threads = 2;
  int worker_threads = 8;
  std::chrono::seconds idle_timeout{60};  // body read and response write
  // From the end of one request (or the connect) until the next request's
  // headers are complete; a client that trickles or never sends its headers
  // (slowloris) is cut off here.
  std::chrono::seconds header_timeout{30};
  // Open connections beyond this get 503 and are closed at once, so no
  // client can use up the server's file descriptors. 0 = no limit.
  int max_connections = 4096;
  std::chrono::seconds drain_timeout{30};
};

// Establishes the caller of a non-public route; an error status is rendered
// in the route family's error shape (401/403) and the handler is not run.
using Authenticator = std::function<absl::StatusOr<Principal>(const Request&)>;

class Server {
 public:
  // Binds and listens; fails with a clear message if the address is taken.
  // `router` and `registry` must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options,
                                                        const Router& router,
                                                        Authenticator authenticator,
                                                        metrics::Registry& registry);
  virtual ~Server() = default;

  // The bound port (useful when options.port was 0).
  virtual int port() const = 0;
  // Serves until Shutdown() has drained in-flight requests. Call once.
  virtual void Run() = 0;
  // Stops accepting, lets in-flight requests finish (up to drain_timeout),
  // then makes Run() return. Thread-safe and async-signal-unsafe.
  virtual void Shutdown() = 0;
};

}  // namespace plinth::http
