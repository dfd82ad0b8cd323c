#include "plinth/tracking/log_batch_decoder.h"

#include <simdjson.h>

#include <cmath>
#include <memory>

#include "absl/strings/numbers.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/tracking/mlflow_json.h"
#include "plinth/tracking/validation.h"

namespace plinth::tracking {
namespace {

namespace dom = simdjson::dom;

// Bodies up to this size reuse a per-thread parser; a larger one (rare: long
// params or tags) gets its own, so no worker keeps a large parser for good.
constexpr size_t kReusedParserLimit = 256 * 1024;

// A string value. A value with a control character (escaped or not: simdjson
// is laxer than nlohmann about raw ones) takes the general path, which decides.
bool ReadString(dom::element v, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  out->assign(s.data(), s.size());
  return true;
}

// As JsonToDouble reads a nlohmann value: numbers, or numeric strings.
bool ReadDouble(dom::element v, double* out) {
  switch (v.type()) {
    case dom::element_type::DOUBLE:
      return !v.get_double().get(*out);
    case dom::element_type::INT64: {
      int64_t i;
      if (v.get_int64().get(i)) return false;
      *out = static_cast<double>(i);
      return true;
    }
    case dom::element_type::STRING: {
      std::string s;
      if (!ReadString(v, &s)) return false;
      auto d = JsonToDouble(Json(std::move(s)));
      if (!d.ok()) return false;
      *out = *d;
      return true;
    }
    default:  // integers past int64 and everything else: the general path
      return false;
  }
}

// As JsonToInt64 reads a nlohmann value: integers, integral floats, or
// strings of decimal digits.
bool ReadInt64(dom::element v, int64_t* out) {
  switch (v.type()) {
    case dom::element_type::INT64:
      return !v.get_int64().get(*out);
    case dom::element_type::DOUBLE: {
      double d;
      if (v.get_double().get(d) || std::floor(d) != d || std::abs(d) >= 9.2e18) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    case dom::element_type::STRING: {
      std::string s;
      return ReadString(v, &s) && absl::SimpleAtoi(s, out);
    }
    default:
      return false;
  }
}

bool IsNull(dom::element v) { return v.type() == dom::element_type::NULL_VALUE; }

// Marks a field as seen; false when it was seen before (a repeated field,
// which nlohmann resolves as last-wins: the general path handles it).
bool FirstTime(bool* seen) {
  if (*seen) return false;
  *seen = true;
  return true;
}

bool ReadMetric(dom::element item, Metric* m) {
  dom::object object;
  if (item.get_object().get(object)) return false;
  bool key = false, value = false, timestamp = false, step = false;
  for (dom::key_value_pair field : object) {
    std::string_view name = field.key;
    dom::element v = field.value;
    if (name == "key") {
      if (!FirstTime(&key) || !ReadString(v, &m->key)) return false;
    } else if (name == "value") {
      if (!FirstTime(&value) || !ReadDouble(v, &m->value)) return false;
    } else if (name == "timestamp") {
      if (!FirstTime(&timestamp) || !ReadInt64(v, &m->timestamp)) return false;
    } else if (name == "step") {
      if (!FirstTime(&step)) return false;
      if (!IsNull(v) && !ReadInt64(v, &m->step)) return false;
    } else {
      return false;
    }
  }
  return key && value && timestamp;
}

bool ReadMetrics(dom::element v, std::vector<Metric>* out) {
  if (IsNull(v)) return true;
  dom::array array;
  if (v.get_array().get(array)) return false;
  out->resize(array.size());  // size() saturates at 0xFFFFFF: fine below that
  size_t i = 0;
  for (dom::element item : array) {
    if (i >= out->size() || !ReadMetric(item, &(*out)[i])) return false;
    ++i;
  }
  return i == out->size();
}

// As ParseKeyValues: {key, value} objects with string values (a missing or
// null value is ""; numbers and booleans take the general path).
bool ReadKeyValues(dom::element v, std::vector<KeyValue>* out) {
  if (IsNull(v)) return true;
  dom::array array;
  if (v.get_array().get(array)) return false;
  for (dom::element item : array) {
    dom::object object;
    if (item.get_object().get(object)) return false;
    KeyValue kv;
    bool key = false, value = false;
    for (dom::key_value_pair field : object) {
      if (field.key == "key") {
        if (!FirstTime(&key) || !ReadString(field.value, &kv.key)) return false;
      } else if (field.key == "value") {
        if (!FirstTime(&value)) return false;
        if (!IsNull(field.value) && !ReadString(field.value, &kv.value)) return false;
      } else {
        return false;
      }
    }
    if (!key) return false;
    out->push_back(std::move(kv));
  }
  return true;
}

// The DOM parser runs simdjson's best kernels for the CPU (chosen at run
// time inside libsimdjson); walking the finished tape needs none.
std::optional<LogBatchRequest> Decode(dom::parser& parser, absl::string_view body) {
  dom::element root;
  // Rejects malformed JSON and anything after the top-level value.
  if (parser.parse(body.data(), body.size()).get(root)) return std::nullopt;
  dom::object top;
  if (root.get_object().get(top)) return std::nullopt;
  LogBatchRequest out;
  std::string run_id, run_uuid;
  bool seen_run_id = false, seen_run_uuid = false, metrics = false, params = false, tags = false;
  for (dom::key_value_pair field : top) {
    std::string_view name = field.key;
    dom::element v = field.value;
    bool ok;
    if (name == "run_id") {
      ok = FirstTime(&seen_run_id) && (IsNull(v) || ReadString(v, &run_id));
    } else if (name == "run_uuid") {
      ok = FirstTime(&seen_run_uuid) && (IsNull(v) || ReadString(v, &run_uuid));
    } else if (name == "metrics") {
      ok = FirstTime(&metrics) && ReadMetrics(v, &out.metrics);
    } else if (name == "params") {
      ok = FirstTime(&params) && ReadKeyValues(v, &out.params);
    } else if (name == "tags") {
      ok = FirstTime(&tags) && ReadKeyValues(v, &out.tags);
    } else {
      ok = false;
    }
    if (!ok) return std::nullopt;
  }
  // Args::RequiredStringOneOf: the first non-empty of run_id, run_uuid.
  out.run_id = !run_id.empty() ? std::move(run_id) : std::move(run_uuid);
  if (out.run_id.empty()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<LogBatchRequest> DecodeLogBatchFast(absl::string_view body) {
  if (body.size() > kReusedParserLimit) {
    dom::parser parser;
    return Decode(parser, body);
  }
  thread_local dom::parser parser;
  return Decode(parser, body);
}

absl::StatusOr<LogBatchRequest> DecodeLogBatch(const http::Request& request) {
  // Args::FromRequest reads the body of a POST unless it is empty.
  if (request.method != "GET" && request.method != "HEAD" && !request.body.empty()) {
    if (auto fast = DecodeLogBatchFast(request.body)) return *std::move(fast);
  }
  return DecodeLogBatchGeneral(request);
}

absl::StatusOr<LogBatchRequest> DecodeLogBatchGeneral(const http::Request& request) {
  ASSIGN_OR_RETURN(http::Args args, http::Args::FromRequest(request));
  auto field = [&](const char* name) -> const Json* {
    auto it = args.json().find(name);
    return it == args.json().end() ? nullptr : &*it;
  };
  LogBatchRequest out;
  ASSIGN_OR_RETURN(out.run_id, args.RequiredStringOneOf({"run_id", "run_uuid"}));
  ASSIGN_OR_RETURN(out.metrics, ParseMetrics(field("metrics"), "metrics"));
  ASSIGN_OR_RETURN(out.params, ParseKeyValues(field("params"), "params"));
  ASSIGN_OR_RETURN(out.tags, ParseKeyValues(field("tags"), "tags"));
  return out;
}

}  // namespace plinth::tracking
