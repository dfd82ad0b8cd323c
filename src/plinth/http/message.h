// Transport-independent HTTP request and response values passed to handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "plinth/auth/policy.h"

namespace plinth::http {

// Who is calling, as established by the authenticator before the handler
// runs (the policy's type, auth/policy.h).
using Principal = auth::Principal;

struct Request {
  std::string method;                             // "GET", "POST", ...
  std::string target;                             // raw request target
  std::string path;                               // percent-decoded path, no query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-cased names
  std::string body;
  std::string route;        // the matched route pattern (for metrics), set by the router
  std::string path_suffix;  // for prefix routes: the remainder after the prefix
  Principal principal;

  // The header value or "" when absent. `name` must be lower case.
  std::string Header(const std::string& name) const;
  // The first value of query parameter `name`, if present.
  std::optional<std::string> QueryParam(const std::string& name) const;
};

// The body of a response that is written as it is produced (Server-Sent
// Events, a followed log). Thread-safe: the producer calls it from any
// thread; writes go out in order on the connection's own thread.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `data`; false once the response has ended (nothing is sent).
  virtual bool Send(std::string data) = 0;
  // Ends the response once everything queued is written (the connection
  // then closes).
  virtual void End() = 0;
  // `fn` runs once, on a server thread, when the response ends: after
  // End(), when the client goes away, or at server shutdown. A producer
  // drops what it holds for the stream there. Runs at once if it has ended.
  virtual void OnClose(std::function<void()> fn) = 0;
  // Bytes sent but not yet written to the connection; a producer that can
  // make data faster than the client reads it (a long log) waits for
  // OnWritable once this is large.
  virtual size_t Queued() = 0;
  // `fn` runs once, on a server thread, when everything queued has been
  // written (at once if nothing is queued); not after the response ended.
  virtual void OnWritable(std::function<void()> fn) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: a streamed response; `body` is ignored and this is called (on the
  // handler's thread) with the stream to write to. The response is sent
  // chunked and the connection closes after it.
  std::function<void(std::shared_ptr<ResponseStream>)> start_stream;

  static Response Json(const nlohmann::json& body, int status = 200);
  static Response Text(std::string body, int status = 200,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response Stream(std::string content_type,
                         std::function<void(std::shared_ptr<ResponseStream>)> start);
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`).
std::string PercentDecode(absl::string_view s, bool plus_is_space);
// Encodes everything but unreserved characters and '/'.
std::string PercentEncodePath(absl::string_view s);
// Parses "a=1&b=2&b=3" into a multimap.
std::multimap<std::string, std::string> ParseQuery(absl::string_view query);

}  // namespace plinth::http
