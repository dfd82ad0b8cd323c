#include "plinth/tracking/mlflow_json.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"

namespace plinth::tracking {
namespace {

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    // Shortest round-trip form; much cheaper than printf("%.17g").
    char buf[32];
    auto result = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, result.ptr);
  }
}

void AppendMetric(std::string& out, const std::string& key_json, const Metric& m) {
  absl::StrAppend(&out, "{\"key\":", key_json, ",\"value\":");
  AppendDouble(out, m.value);
  absl::StrAppend(&out, ",\"timestamp\":", m.timestamp, ",\"step\":", m.step);
}

}  // namespace

Json KeyValuesToJson(const std::vector<KeyValue>& kvs) {
  Json out = Json::array();
  for (const auto& kv : kvs) out.push_back({{"key", kv.key}, {"value", kv.value}});
  return out;
}

Json ExperimentToJson(const Experiment& e) {
  Json out = {
      {"experiment_id", std::to_string(e.experiment_id)}, {"name", e.name},
      {"artifact_location", e.artifact_location},         {"lifecycle_stage", e.lifecycle_stage},
      {"last_update_time", e.last_update_time},           {"creation_time", e.creation_time}};
  if (!e.tags.empty()) out["tags"] = KeyValuesToJson(e.tags);
  return out;
}

Json RunInfoToJson(const RunInfo& info) {
  Json out = {{"run_id", info.run_id},
              {"run_uuid", info.run_id},
              {"run_name", info.run_name},
              {"experiment_id", std::to_string(info.experiment_id)},
              {"user_id", info.user_id},
              {"status", info.status},
              {"start_time", info.start_time},
              {"artifact_uri", info.artifact_uri},
              {"lifecycle_stage", info.lifecycle_stage}};
  if (info.end_time) out["end_time"] = *info.end_time;
  return out;
}

Json MetricToJson(const Metric& m) {
  return {{"key", m.key},
          {"value", DoubleToJson(m.value)},
          {"timestamp", m.timestamp},
          {"step", m.step}};
}

Json RunToJson(const Run& run) {
  Json data = Json::object();
  if (!run.metrics.empty()) {
    data["metrics"] = Json::array();
    for (const auto& m : run.metrics) data["metrics"].push_back(MetricToJson(m));
  }
  if (!run.params.empty()) data["params"] = KeyValuesToJson(run.params);
  if (!run.tags.empty()) data["tags"] = KeyValuesToJson(run.tags);
  Json inputs = Json::object();
  if (!run.inputs.empty()) {
    inputs["dataset_inputs"] = Json::array();
    for (const auto& in : run.inputs) {
      const Dataset& d = in.dataset;
      Json ds = {{"name", d.name},
                 {"digest", d.digest},
                 {"source_type", d.source_type},
                 {"source", d.source}};
      if (!d.schema.empty()) ds["schema"] = d.schema;
      if (!d.profile.empty()) ds["profile"] = d.profile;
      Json entry = {{"dataset", ds}};
      if (!in.tags.empty()) entry["tags"] = KeyValuesToJson(in.tags);
      inputs["dataset_inputs"].push_back(entry);
    }
  }
  return {{"info", RunInfoToJson(run.info)}, {"data", data}, {"inputs", inputs}};
}

std::string MetricHistoryJson(const std::vector<Metric>& metrics,
                              const std::string& next_page_token) {
  std::string out;
  out.reserve(32 + metrics.size() * 72);
  out += "{\"metrics\":[";
  std::string key_json;
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (i == 0 || metrics[i].key != metrics[i - 1].key) key_json = Json(metrics[i].key).dump();
    if (i) out += ',';
    AppendMetric(out, key_json, metrics[i]);
    out += '}';
  }
  out += ']';
  if (!next_page_token.empty())
    absl::StrAppend(&out, ",\"next_page_token\":", Json(next_page_token).dump());
  out += '}';
  return out;
}

std::string BulkHistoryJson(const std::vector<RunMetric>& metrics) {
  std::string out = "{\"metrics\":[";
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (i) out += ',';
    AppendMetric(out, Json(metrics[i].metric.key).dump(), metrics[i].metric);
    absl::StrAppend(&out, ",\"run_id\":", Json(metrics[i].run_id).dump(), "}");
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::vector<Metric>> ParseMetrics(const Json* array, const std::string& field) {
  std::vector<Metric> out;
  if (array == nullptr || array->is_null()) return out;
  if (!array->is_array()) return http::InvalidValue(field, *array, "must be a list of metrics");
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const Json& m = (*array)[i];
    std::string path = absl::StrCat(field, "[", i, "]");
    if (!m.is_object()) return http::InvalidValue(path, m, "must be an object");
    Metric metric;
    auto key = m.find("key");
    if (key == m.end() || key->is_null()) return http::MissingParameter(path + ".key");
    if (!key->is_string()) return http::InvalidValue(path + ".key", *key, "must be a string");
    metric.key = key->get<std::string>();
    auto value = m.find("value");
    if (value == m.end() || value->is_null()) return http::MissingParameter(path + ".value");
    auto v = JsonToDouble(*value);
    if (!v.ok()) return http::InvalidValue(path + ".value", *value, "must be a number");
    metric.value = *v;
    auto ts = m.find("timestamp");
    if (ts == m.end() || ts->is_null()) return http::MissingParameter(path + ".timestamp");
    auto t = JsonToInt64(*ts);
    if (!t.ok()) return http::InvalidValue(path + ".timestamp", *ts, "must be an integer");
    metric.timestamp = *t;
    if (auto step = m.find("step"); step != m.end() && !step->is_null()) {
      auto s = JsonToInt64(*step);
      if (!s.ok()) return http::InvalidValue(path + ".step", *step, "must be an integer");
      metric.step = *s;
    }
    out.push_back(std::move(metric));
  }
  return out;
}

absl::StatusOr<std::vector<KeyValue>> ParseKeyValues(const Json* array, const std::string& field) {
  std::vector<KeyValue> out;
  if (array == nullptr || array->is_null()) return out;
  if (!array->is_array()) {
    return http::InvalidValue(field, *array, "must be a list of {key, value} objects");
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const Json& kv = (*array)[i];
    std::string path = absl::StrCat(field, "[", i, "]");
    if (!kv.is_object()) return http::InvalidValue(path, kv, "must be a {key, value} object");
    auto key = kv.find("key");
    if (key == kv.end() || key->is_null()) return http::MissingParameter(path + ".key");
    if (!key->is_string()) return http::InvalidValue(path + ".key", *key, "must be a string");
    auto value = kv.find("value");
    std::string v;
    if (value != kv.end() && !value->is_null()) {
      if (value->is_string())
        v = value->get<std::string>();
      else if (value->is_number() || value->is_boolean())
        v = value->dump();
      else
        return http::InvalidValue(path + ".value", *value, "must be a string");
    }
    out.push_back({key->get<std::string>(), std::move(v)});
  }
  return out;
}

absl::StatusOr<std::vector<DatasetInput>> ParseDatasetInputs(const Json* array) {
  std::vector<DatasetInput> out;
  if (array == nullptr || array->is_null()) return out;
  if (!array->is_array()) return http::InvalidValue("datasets", *array, "must be a list");
  for (size_t i = 0; i < array->size(); ++i) {
    const Json& in = (*array)[i];
    std::string path = absl::StrCat("datasets[", i, "]");
    if (!in.is_object() || !in.contains("dataset") || !in["dataset"].is_object()) {
      return http::InvalidValue(path, in, "must be an object with a 'dataset' object");
    }
    const Json& d = in["dataset"];
    auto str = [&](const char* name) {
      auto it = d.find(name);
      return (it != d.end() && it->is_string()) ? it->get<std::string>() : std::string();
    };
    DatasetInput input;
    input.dataset = {str("name"),   str("digest"), str("source_type"),
                     str("source"), str("schema"), str("profile")};
    auto tags = in.find("tags");
    ASSIGN_OR_RETURN(input.tags,
                     ParseKeyValues(tags == in.end() ? nullptr : &*tags, path + ".tags"));
    out.push_back(std::move(input));
  }
  return out;
}

}  // namespace plinth::tracking
