#include "plinth/http/client.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::http {

// One request in flight: what to send, where the answer goes.
struct HttpClient::Transfer {
  std::string method;
  std::string url;
  std::string content_type;
  const std::string* body = nullptr;  // in-memory request body, if any
  std::FILE* upload = nullptr;        // streamed request body, if any
  uint64_t upload_size = 0;
  std::string upload_path;
  std::FILE* sink = nullptr;  // 2xx response bodies go here when set
  std::string sink_path;
  const ProgressFn* progress = nullptr;
  const HttpClient::DataFn* on_data = nullptr;  // streamed 2xx bodies go here when set
  bool is_file_transfer = false;
  bool is_stream = false;

  ClientResponse response;
  bool write_failed = false;
  int write_errno = 0;
  bool read_failed = false;
  bool cancelled = false;
};

namespace {

// Error bodies are for messages; never buffer more than this of one.
constexpr size_t kMaxErrorBody = 64 * 1024;

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<HttpClient::Transfer*>(user);
  size_t n = size * count;
  absl::string_view line(data, n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after a redirect or an interim 1xx) starts afresh.
    t->response.headers.clear();
    size_t sp = line.find(' ');
    int status = 0;
    if (sp != absl::string_view::npos && absl::SimpleAtoi(line.substr(sp + 1, 3), &status)) {
      t->response.status = status;
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  t->response.headers.emplace(std::move(name), std::move(value));
  return n;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<HttpClient::Transfer*>(user);
  size_t n = size * count;
  if (t->on_data != nullptr && t->response.ok()) {
    if (!(*t->on_data)(absl::string_view(data, n))) {
      t->cancelled = true;
      return 0;  // ends the transfer; Stream reports OK
    }
    return n;
  }
  if (t->sink != nullptr && t->response.ok()) {
    if (std::fwrite(data, 1, n, t->sink) != n) {
      t->write_failed = true;
      t->write_errno = errno;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    return n;
  }
  if (t->sink != nullptr && t->response.body.size() >= kMaxErrorBody) return n;
  t->response.body.append(data, n);
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<HttpClient::Transfer*>(user);
  size_t n = std::fread(buffer, 1, size * count, t->upload);
  if (n == 0 && std::ferror(t->upload)) {
    t->read_failed = true;
    return CURL_READFUNC_ABORT;
  }
  return n;
}

int OnProgress(void* user, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total,
               curl_off_t ul_now) {
  auto* t = static_cast<HttpClient::Transfer*>(user);
  if (t->progress == nullptr || !*t->progress) return 0;
  bool keep_going = true;
  if (t->upload != nullptr) {
    keep_going = (*t->progress)(static_cast<uint64_t>(ul_now), t->upload_size);
  } else if (t->response.ok()) {
    keep_going = (*t->progress)(static_cast<uint64_t>(dl_now),
                                static_cast<uint64_t>(dl_total > 0 ? dl_total : 0));
  }
  if (!keep_going) t->cancelled = true;
  return keep_going ? 0 : 1;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::StatusCode CodeForErrorName(absl::string_view name) {
  struct Entry {
    absl::string_view name;
    absl::StatusCode code;
  };
  static constexpr Entry kNames[] = {
      {"RESOURCE_DOES_NOT_EXIST", absl::StatusCode::kNotFound},
      {"ENDPOINT_NOT_FOUND", absl::StatusCode::kNotFound},
      {"RESOURCE_ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
      {"INVALID_PARAMETER_VALUE", absl::StatusCode::kInvalidArgument},
      {"BAD_REQUEST", absl::StatusCode::kInvalidArgument},
      {"MALFORMED_REQUEST", absl::StatusCode::kInvalidArgument},
      {"INVALID_STATE", absl::StatusCode::kFailedPrecondition},
      {"RESOURCE_CONFLICT", absl::StatusCode::kAborted},
      {"REQUEST_LIMIT_EXCEEDED", absl::StatusCode::kResourceExhausted},
      {"TEMPORARILY_UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"INTERNAL_ERROR", absl::StatusCode::kInternal},
      {"NOT_IMPLEMENTED", absl::StatusCode::kUnimplemented},
  };
  for (const Entry& e : kNames) {
    if (e.name == name) return e.code;
  }
  // Native errors use the canonical names themselves ("NOT_FOUND", ...).
  for (int c = 1; c <= 16; ++c) {
    auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return absl::StatusCode::kUnknown;
}

std::string FirstLine(absl::string_view body) {
  body = absl::StripAsciiWhitespace(body);
  size_t nl = body.find('\n');
  if (nl != absl::string_view::npos) body = body.substr(0, nl);
  body = absl::StripAsciiWhitespace(body);
  if (body.size() > 200) return absl::StrCat(body.substr(0, 200), "...");
  return std::string(body);
}

absl::StatusOr<Json> ParseBody(const ClientResponse& response) {
  if (!response.ok()) return StatusFromResponse(response.status, response.body);
  if (absl::StripAsciiWhitespace(response.body).empty()) return Json::object();
  absl::StatusOr<Json> parsed = ParseJsonLenient(response.body);
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("the server answered with invalid JSON (", parsed.status().message(), ")"));
  }
  return parsed;
}

}  // namespace

std::string ClientResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(ClientOptions options) {
  std::string url(absl::StripSuffix(absl::StripAsciiWhitespace(options.base_url), "/"));
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL '", options.base_url,
                     "' must start with http:// or https:// (e.g. http://127.0.0.1:8470)"));
  }
  options.base_url = url;
  GlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("cannot initialise libcurl");
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(options), curl));
}

HttpClient::HttpClient(ClientOptions options, void* curl)
    : options_(std::move(options)), curl_(curl), error_buffer_(CURL_ERROR_SIZE + 1, '\0') {}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::Status HttpClient::Run(Transfer& t) {
  CURL* curl = static_cast<CURL*>(curl_);
  // Reset clears options but keeps the connection cache, so keep-alive holds.
  curl_easy_reset(curl);
  error_buffer_.assign(CURL_ERROR_SIZE + 1, '\0');
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer_.data());
  curl_easy_setopt(curl, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  if (t.is_stream) {
    // no limit: a followed log may be quiet for hours
  } else if (t.is_file_transfer) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout_s));
  } else if (options_.request_timeout_ms > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  }

  curl_slist* headers = nullptr;
  // Without this curl waits up to a second for "100 Continue" on large bodies.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::string auth;
  if (!options_.token.empty()) {
    auth = absl::StrCat("Authorization: Bearer ", options_.token);
    headers = curl_slist_append(headers, auth.c_str());
  }
  std::string content_type;
  if (t.body != nullptr || t.upload != nullptr) {
    content_type = absl::StrCat("Content-Type: ", t.content_type);
    headers = curl_slist_append(headers, content_type.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  if (t.upload != nullptr) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);  // PUT with a streamed body
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.upload_size));
    if (t.method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, t.method.c_str());
  } else if (t.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    if (t.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, t.method.c_str());
    if (t.body != nullptr) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, t.body->data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body->size()));
    } else if (t.method != "DELETE") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    }
  }

  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (t.progress != nullptr && *t.progress) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  }

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  long connects = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    connections_opened_ += connects;
  }
  if (rc != CURLE_OK) {
    if (t.write_failed) {
      return absl::InternalError(
          absl::StrCat("cannot write ", t.sink_path, ": ", std::strerror(t.write_errno)));
    }
    if (t.read_failed) {
      return absl::InternalError(absl::StrCat("cannot read ", t.upload_path));
    }
    if (t.cancelled) return absl::CancelledError("transfer cancelled");
    return TransportError(rc, t.url);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  t.response.status = static_cast<int>(status);
  return absl::OkStatus();
}

absl::Status HttpClient::TransportError(int curl_code, const std::string& url) const {
  CURL* curl = static_cast<CURL*>(curl_);
  auto rc = static_cast<CURLcode>(curl_code);
  std::string detail = error_buffer_.c_str();
  if (detail.empty()) detail = curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      std::string why = os_errno != 0 ? std::strerror(static_cast<int>(os_errno)) : detail;
      if (!why.empty()) why[0] = absl::ascii_tolower(why[0]);
      return WithErrorName(
          absl::UnavailableError(absl::StrCat("cannot reach ", options_.base_url, ": ", why)),
          "CONNECT_FAILED");
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return WithErrorName(absl::UnavailableError(
                               absl::StrCat("cannot reach ", options_.base_url, ": unknown host")),
                           "CONNECT_FAILED");
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(absl::StrCat("request to ", url, " timed out: ", detail));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(absl::StrCat("invalid URL '", url, "': ", detail));
    default:
      return absl::UnavailableError(absl::StrCat("request to ", url, " failed: ", detail));
  }
}

absl::StatusOr<ClientResponse> HttpClient::Perform(const std::string& method,
                                                   const std::string& path, const std::string* body,
                                                   const std::string& content_type) {
  Transfer t;
  t.method = method;
  t.url = absl::StrCat(options_.base_url, path);
  t.body = body;
  t.content_type = content_type;
  RETURN_IF_ERROR(Run(t));
  return std::move(t.response);
}

absl::StatusOr<ClientResponse> HttpClient::Get(const std::string& path) {
  return Perform("GET", path, nullptr, "");
}
absl::StatusOr<ClientResponse> HttpClient::Delete(const std::string& path, const std::string& body,
                                                  const std::string& content_type) {
  return Perform("DELETE", path, body.empty() ? nullptr : &body, content_type);
}
absl::StatusOr<ClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                                const std::string& content_type) {
  return Perform("POST", path, &body, content_type);
}
absl::StatusOr<ClientResponse> HttpClient::Put(const std::string& path, const std::string& body,
                                               const std::string& content_type) {
  return Perform("PUT", path, &body, content_type);
}
absl::StatusOr<ClientResponse> HttpClient::Patch(const std::string& path, const std::string& body,
                                                 const std::string& content_type) {
  return Perform("PATCH", path, &body, content_type);
}

absl::StatusOr<Json> HttpClient::GetJson(const std::string& path, const QueryParams& query) {
  ASSIGN_OR_RETURN(ClientResponse response, Get(absl::StrCat(path, EncodeQuery(query))));
  return ParseBody(response);
}
absl::StatusOr<Json> HttpClient::PostJson(const std::string& path, const Json& body) {
  ASSIGN_OR_RETURN(ClientResponse response, Post(path, body.dump()));
  return ParseBody(response);
}
absl::StatusOr<Json> HttpClient::PatchJson(const std::string& path, const Json& body) {
  ASSIGN_OR_RETURN(ClientResponse response, Patch(path, body.dump()));
  return ParseBody(response);
}
absl::StatusOr<Json> HttpClient::DeleteJson(const std::string& path, const Json& body) {
  ASSIGN_OR_RETURN(ClientResponse response, Delete(path, body.dump()));
  return ParseBody(response);
}

absl::Status HttpClient::UploadFile(const std::string& path, const std::string& local_path,
                                    const ProgressFn& progress) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(local_path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read ", local_path, ": ", ec.message()));
  std::FILE* file = std::fopen(local_path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", local_path, ": ", std::strerror(errno)));
  }
  Transfer t;
  t.method = "PUT";
  t.url = absl::StrCat(options_.base_url, path);
  t.upload = file;
  t.upload_size = size;
  t.upload_path = local_path;
  t.content_type = "application/octet-stream";
  t.progress = &progress;
  t.is_file_transfer = true;
  absl::Status status = Run(t);
  std::fclose(file);
  RETURN_IF_ERROR(status);
  if (!t.response.ok()) return StatusFromResponse(t.response.status, t.response.body);
  if (progress) progress(size, size);
  return absl::OkStatus();
}

absl::Status HttpClient::DownloadFile(const std::string& path, const std::string& local_path,
                                      const ProgressFn& progress) {
  std::string part = absl::StrCat(local_path, ".part");
  std::FILE* file = std::fopen(part.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", local_path, ": ", std::strerror(errno)));
  }
  Transfer t;
  t.method = "GET";
  t.url = absl::StrCat(options_.base_url, path);
  t.sink = file;
  t.sink_path = local_path;
  t.progress = &progress;
  t.is_file_transfer = true;
  absl::Status status = Run(t);
  bool closed = std::fclose(file) == 0;
  if (status.ok() && !t.response.ok())
    status = StatusFromResponse(t.response.status, t.response.body);
  if (status.ok() && !closed) {
    status =
        absl::InternalError(absl::StrCat("cannot write ", local_path, ": ", std::strerror(errno)));
  }
  std::error_code ec;
  if (!status.ok()) {
    std::filesystem::remove(part, ec);
    return status;
  }
  std::filesystem::rename(part, local_path, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    return absl::InternalError(absl::StrCat("cannot create ", local_path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status HttpClient::Stream(const std::string& path, const QueryParams& query,
                                const DataFn& on_data) {
  Transfer t;
  t.method = "GET";
  t.url = absl::StrCat(options_.base_url, path, EncodeQuery(query));
  t.on_data = &on_data;
  t.is_stream = true;
  absl::Status status = Run(t);
  if (t.cancelled && t.response.ok()) return absl::OkStatus();  // on_data said stop
  RETURN_IF_ERROR(status);
  if (!t.response.ok()) return StatusFromResponse(t.response.status, t.response.body);
  return absl::OkStatus();
}

std::string PercentEncodeComponent(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string EncodeQuery(const QueryParams& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    absl::StrAppend(&out, out.empty() ? "?" : "&", PercentEncodeComponent(key), "=",
                    PercentEncodeComponent(value));
  }
  return out;
}

absl::StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 413:
      return absl::StatusCode::kResourceExhausted;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      if (http_status >= 400 && http_status < 500) return absl::StatusCode::kFailedPrecondition;
      return absl::StatusCode::kInternal;
  }
}

absl::Status StatusFromResponse(int http_status, absl::string_view body) {
  std::string name;
  std::string message;
  Json json = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    auto str = [](const Json& obj, const char* key) -> std::string {
      auto it = obj.find(key);
      return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
    };
    if (json.contains("error_code")) {  // MLflow
      name = str(json, "error_code");
      message = str(json, "message");
    } else if (auto it = json.find("error"); it != json.end()) {
      if (it->is_object()) {  // native
        name = str(*it, "code");
        message = str(*it, "message");
      } else if (it->is_string()) {  // KServe
        message = it->get<std::string>();
      }
    }
  }
  if (message.empty()) {
    std::string line = FirstLine(body);
    message = line.empty() ? absl::StrCat("HTTP ", http_status)
                           : absl::StrCat("HTTP ", http_status, ": ", line);
  }
  absl::StatusCode code = name.empty() ? absl::StatusCode::kUnknown : CodeForErrorName(name);
  if (code == absl::StatusCode::kUnknown) code = CodeForHttpStatus(http_status);
  absl::Status status = WithHttpStatus(absl::Status(code, message), http_status);
  if (!name.empty()) status = WithErrorName(std::move(status), name);
  return status;
}

}  // namespace plinth::http
