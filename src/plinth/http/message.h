// Transport-independent HTTP request and response values passed to handlers.
#pragma once

#include <cstdint>
#include <map>
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

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(const nlohmann::json& body, int status = 200);
  static Response Text(std::string body, int status = 200,
                       std::string content_type = "text/plain; charset=utf-8");
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`).
std::string PercentDecode(absl::string_view s, bool plus_is_space);
// Encodes everything but unreserved characters and '/'.
std::string PercentEncodePath(absl::string_view s);
// Parses "a=1&b=2&b=3" into a multimap.
std::multimap<std::string, std::string> ParseQuery(absl::string_view query);

}  // namespace plinth::http
