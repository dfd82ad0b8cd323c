// Maps (method, path) to handlers. Exact routes win over prefix routes; among
// prefix routes the longest prefix wins. Each API family (MLflow, native,
// KServe) registers an error renderer for its path prefix so that 401, 404,
// 405 and 413 answers come back in that family's error shape.
//
// Not thread-safe for mutation: build fully before the server starts; lookups
// are then read-only and safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plinth/http/message.h"

namespace plinth::http {

using Handler = std::function<Response(Request&)>;
using ErrorRenderer = std::function<Response(const absl::Status&)>;

class Router {
 public:
  Router();

  void Add(const std::string& method, const std::string& path, Handler handler);
  // Matches any path starting with `prefix`; the rest goes to Request::path_suffix.
  void AddPrefix(const std::string& method, const std::string& prefix, Handler handler);
  // Error rendering for paths under `prefix` (longest prefix wins; "" is the default).
  void SetErrorRenderer(const std::string& prefix, ErrorRenderer renderer);
  // Maximum request body for paths under `prefix` (longest prefix wins).
  void SetBodyLimit(const std::string& prefix, size_t bytes);
  // Paths under `prefix` skip authentication (health, metrics, UI assets).
  void SetPublic(const std::string& prefix);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    bool wrong_method = false;         // the path exists with another method
    std::string route;                 // pattern for metrics labels
    std::string suffix;
  };
  Match Find(const std::string& method, const std::string& path) const;

  // Every registered route, exact ones first, each sorted by path then
  // method (what `GET /api/v1/routes` lists, and the isolation test walks).
  struct RouteInfo {
    std::string method, path;
    bool prefix = false;
  };
  std::vector<RouteInfo> Routes() const;

  Response RenderError(const std::string& path, const absl::Status& status) const;
  size_t BodyLimit(const std::string& path) const;
  bool IsPublic(const std::string& path) const;

 private:
  struct PrefixRoute {
    std::string method, prefix;
    Handler handler;
  };
  // key: path, then method
  std::map<std::string, std::map<std::string, Handler>> exact_;
  std::vector<PrefixRoute> prefixes_;
  std::map<std::string, ErrorRenderer> renderers_;
  std::map<std::string, size_t> body_limits_;
  std::vector<std::string> public_prefixes_;
};

}  // namespace plinth::http
