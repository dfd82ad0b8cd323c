// A small blocking HTTP/1.1 client on libcurl, for the CLI and for server-side
// callers (webhooks, remote backends). One HttpClient reuses one connection
// (keep-alive) across requests to the same base URL.
//
// Not thread-safe: use one HttpClient per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/common/json.h"

namespace plinth::http {

struct ClientOptions {
  std::string base_url = "http://127.0.0.1:8470";  // scheme://host[:port], no trailing path
  std::string token;                               // sent as "Authorization: Bearer <token>"
  int connect_timeout_ms = 10'000;
  // Whole-request limit for ordinary (JSON) requests; 0 = none.
  int request_timeout_ms = 120'000;
  // File transfers have no total limit (files can be large) but fail when
  // fewer than 1 byte/s moves for this long.
  int stall_timeout_s = 120;
  std::string user_agent = "plinth";
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-cased names

  bool ok() const { return status >= 200 && status < 300; }
  // The first value of header `name` (lower case), or "".
  std::string Header(const std::string& name) const;
};

// Called during transfers with bytes moved so far and the expected total
// (0 when unknown). Return false to abort the transfer.
using ProgressFn = std::function<bool(uint64_t done, uint64_t total)>;

// Query parameters in order; a key may repeat (run_ids=a&run_ids=b).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Raw requests. `path` starts with '/' and may carry a query string.
  // Transport failures (refused, timeout, DNS) are errors with a message that
  // names the URL; any HTTP status, 4xx and 5xx included, is a response.
  absl::StatusOr<ClientResponse> Get(const std::string& path);
  absl::StatusOr<ClientResponse> Delete(const std::string& path, const std::string& body = "",
                                        const std::string& content_type = "application/json");
  absl::StatusOr<ClientResponse> Post(const std::string& path, const std::string& body,
                                      const std::string& content_type = "application/json");
  absl::StatusOr<ClientResponse> Put(const std::string& path, const std::string& body,
                                     const std::string& content_type = "application/json");
  absl::StatusOr<ClientResponse> Patch(const std::string& path, const std::string& body,
                                       const std::string& content_type = "application/json");

  // JSON calls: a non-2xx answer becomes a Status built by StatusFromResponse;
  // a 2xx answer's body is parsed (an empty body is {}).
  absl::StatusOr<Json> GetJson(const std::string& path, const QueryParams& query = {});
  absl::StatusOr<Json> PostJson(const std::string& path, const Json& body);
  absl::StatusOr<Json> PatchJson(const std::string& path, const Json& body);
  absl::StatusOr<Json> DeleteJson(const std::string& path, const Json& body = Json::object());

  // Streams `local_path` as the body of a PUT to `path` without loading it in
  // memory. A non-2xx answer is an error as for the JSON calls.
  absl::Status UploadFile(const std::string& path, const std::string& local_path,
                          const ProgressFn& progress = nullptr);
  // Streams the body of GET `path` into `local_path` (written to a sibling
  // ".part" file and renamed on success, so a failed download leaves nothing).
  absl::Status DownloadFile(const std::string& path, const std::string& local_path,
                            const ProgressFn& progress = nullptr);

  // GET of a streamed response (Server-Sent Events, a followed log): calls
  // `on_data` with each piece as it arrives, until the server ends the
  // response or `on_data` returns false (then OK as well). No time limit:
  // a stream may be quiet for long. A non-2xx answer is an error as for the
  // JSON calls.
  using DataFn = std::function<bool(absl::string_view data)>;
  absl::Status Stream(const std::string& path, const QueryParams& query, const DataFn& on_data);

  const std::string& base_url() const { return options_.base_url; }
  // TCP connections opened so far (1 for any number of keep-alive requests).
  int64_t connections_opened() const { return connections_opened_; }

  // One request in flight; defined in client.cc (public only so that its
  // libcurl callbacks can name it).
  struct Transfer;

 private:
  explicit HttpClient(ClientOptions options, void* curl);
  absl::StatusOr<ClientResponse> Perform(const std::string& method, const std::string& path,
                                         const std::string* body, const std::string& content_type);
  absl::Status Run(Transfer& transfer);
  absl::Status TransportError(int curl_code, const std::string& url) const;

  ClientOptions options_;
  void* curl_;  // CURL*; kept across requests so its connection is reused
  std::string error_buffer_;
  int64_t connections_opened_ = 0;
};

// Builds "?a=1&b=2" with each key and value percent-encoded ("" when empty).
std::string EncodeQuery(const QueryParams& query);
// Percent-encodes everything except RFC 3986 unreserved characters.
std::string PercentEncodeComponent(absl::string_view s);

// The Status for a non-2xx answer. Understands MLflow {"error_code",
// "message"}, native {"error": {"code", "message"}} and KServe {"error": "..."}
// bodies; the protocol's error name (e.g. RESOURCE_DOES_NOT_EXIST) is attached
// with WithErrorName and the canonical code follows the name or, failing
// that, the HTTP status. Other bodies become "HTTP <status>: <first line>".
absl::Status StatusFromResponse(int http_status, absl::string_view body);

// The canonical code for an HTTP status (404 -> kNotFound, 503 -> kUnavailable).
absl::StatusCode CodeForHttpStatus(int http_status);

}  // namespace plinth::http
