#include "plinth/registry/registry_json.h"

#include <string>

namespace plinth::registry {
namespace {

void PutIfSet(Json& out, const char* field, const std::string& value) {
  if (!value.empty()) out[field] = value;
}

Json TagsToJson(const std::vector<Tag>& tags) {
  Json out = Json::array();
  for (const Tag& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

}  // namespace

Json ModelVersionToJson(const ModelVersion& v) {
  Json out = {{"name", v.name},
              {"version", std::to_string(v.version)},
              {"creation_timestamp", v.creation_timestamp},
              {"last_updated_timestamp", v.last_updated_timestamp},
              {"current_stage", v.current_stage}};
  PutIfSet(out, "description", v.description);
  out["source"] = v.source;
  PutIfSet(out, "run_id", v.run_id);
  out["status"] = v.status;
  PutIfSet(out, "status_message", v.status_message);
  if (!v.tags.empty()) out["tags"] = TagsToJson(v.tags);
  PutIfSet(out, "run_link", v.run_link);
  if (!v.aliases.empty()) out["aliases"] = v.aliases;
  return out;
}

Json RegisteredModelToJson(const RegisteredModel& m) {
  Json out = {{"name", m.name},
              {"creation_timestamp", m.creation_timestamp},
              {"last_updated_timestamp", m.last_updated_timestamp}};
  PutIfSet(out, "description", m.description);
  if (!m.latest_versions.empty()) {
    Json versions = Json::array();
    for (const ModelVersion& v : m.latest_versions) versions.push_back(ModelVersionToJson(v));
    out["latest_versions"] = std::move(versions);
  }
  if (!m.tags.empty()) out["tags"] = TagsToJson(m.tags);
  if (!m.aliases.empty()) {
    Json aliases = Json::array();
    for (const Alias& a : m.aliases) {
      aliases.push_back({{"alias", a.alias}, {"version", std::to_string(a.version)}});
    }
    out["aliases"] = std::move(aliases);
  }
  return out;
}

}  // namespace plinth::registry
