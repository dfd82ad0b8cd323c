#include "plinth/http/router.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"

namespace plinth::http {
namespace {

template <typename V>
const V* LongestPrefix(const std::map<std::string, V>& m, const std::string& path) {
  const V* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, value] : m) {
    if (absl::StartsWith(path, prefix) && (best == nullptr || prefix.size() >= best_len)) {
      best = &value;
      best_len = prefix.size();
    }
  }
  return best;
}

}  // namespace

Router::Router() {
  renderers_[""] = [](const absl::Status& s) {
    nlohmann::json body = {
        {"error",
         {{"code", absl::StatusCodeToString(s.code())}, {"message", std::string(s.message())}}}};
    return Response::Json(body, HttpStatusFor(s));
  };
  body_limits_[""] = 1 << 20;
}

void Router::Add(const std::string& method, const std::string& path, Handler handler) {
  exact_[path][method] = std::move(handler);
}

void Router::AddPrefix(const std::string& method, const std::string& prefix, Handler handler) {
  prefixes_.push_back({method, prefix, std::move(handler)});
}

void Router::SetErrorRenderer(const std::string& prefix, ErrorRenderer renderer) {
  renderers_[prefix] = std::move(renderer);
}

void Router::SetBodyLimit(const std::string& prefix, size_t bytes) { body_limits_[prefix] = bytes; }

void Router::SetPublic(const std::string& prefix) { public_prefixes_.push_back(prefix); }

std::vector<Router::RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  for (const auto& [path, methods] : exact_) {
    for (const auto& [method, handler] : methods) out.push_back({method, path, false});
  }
  std::vector<RouteInfo> prefixes;
  for (const PrefixRoute& r : prefixes_) prefixes.push_back({r.method, r.prefix, true});
  std::sort(prefixes.begin(), prefixes.end(), [](const RouteInfo& a, const RouteInfo& b) {
    return std::tie(a.path, a.method) < std::tie(b.path, b.method);
  });
  out.insert(out.end(), prefixes.begin(), prefixes.end());
  return out;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match match;
  if (auto it = exact_.find(path); it != exact_.end()) {
    auto m = it->second.find(method);
    if (m == it->second.end() && method == "HEAD") m = it->second.find("GET");
    if (m != it->second.end()) {
      match.handler = &m->second;
      match.route = path;
      return match;
    }
    match.wrong_method = true;
  }
  const PrefixRoute* best = nullptr;
  for (const auto& r : prefixes_) {
    if (!absl::StartsWith(path, r.prefix)) continue;
    if (r.method != method && !(method == "HEAD" && r.method == "GET")) {
      match.wrong_method = true;
      continue;
    }
    if (best == nullptr || r.prefix.size() > best->prefix.size()) best = &r;
  }
  if (best != nullptr) {
    match.handler = &best->handler;
    match.wrong_method = false;
    match.route = absl::StrCat(best->prefix, "*");
    match.suffix = path.substr(best->prefix.size());
  }
  return match;
}

Response Router::RenderError(const std::string& path, const absl::Status& status) const {
  return (*LongestPrefix(renderers_, path))(status);
}

size_t Router::BodyLimit(const std::string& path) const {
  return *LongestPrefix(body_limits_, path);
}

bool Router::IsPublic(const std::string& path) const {
  for (const auto& p : public_prefixes_) {
    if (path == p || (absl::EndsWith(p, "/") && absl::StartsWith(path, p))) return true;
  }
  return false;
}

}  // namespace plinth::http
