#include "plinth/registry/registry_routes.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/registry/registry_json.h"

namespace plinth::registry {
namespace {

using http::Args;
using http::Request;

// A required string field; an empty string counts as missing, as in MLflow.
absl::StatusOr<std::string> Required(const Args& args, const std::string& name) {
  ASSIGN_OR_RETURN(std::string value, args.RequiredString(name));
  if (value.empty()) return http::MissingParameter(name);
  return value;
}

absl::StatusOr<std::string> Optional(const Args& args, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, args.String(name));
  return value.value_or("");
}

// `version` is a string in MLflow's protos; accept a JSON integer too.
absl::StatusOr<std::string> VersionArg(const Args& args) {
  auto it = args.json().find("version");
  if (it != args.json().end() && it->is_number_integer()) return it->dump();
  return Required(args, "version");
}

// tags: [{key, value}, ...]
absl::StatusOr<std::vector<Tag>> TagsArg(const Args& args) {
  std::vector<Tag> tags;
  auto it = args.json().find("tags");
  if (it == args.json().end() || it->is_null()) return tags;
  if (!it->is_array()) {
    return http::InvalidValue("tags", *it, "must be a list of {\"key\": ..., \"value\": ...}");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& tag = (*it)[i];
    std::string field = absl::StrCat("tags[", i, "]");
    if (!tag.is_object()) {
      return http::InvalidValue(field, tag, "must be an object {\"key\": ..., \"value\": ...}");
    }
    Args tag_args(tag);
    ASSIGN_OR_RETURN(std::optional<std::string> key, tag_args.String("key"));
    if (!key || key->empty()) return http::MissingParameter(field + ".key");
    ASSIGN_OR_RETURN(std::string value, Optional(tag_args, "value"));
    tags.push_back({*key, value});
  }
  return tags;
}

absl::StatusOr<SearchRequest> SearchArgs(const Args& args) {
  SearchRequest request;
  ASSIGN_OR_RETURN(request.filter, Optional(args, "filter"));
  ASSIGN_OR_RETURN(request.max_results, args.Int64("max_results"));
  ASSIGN_OR_RETURN(request.order_by, args.StringList("order_by"));
  ASSIGN_OR_RETURN(request.page_token, Optional(args, "page_token"));
  return request;
}

Json ModelsPage(const Page<RegisteredModel>& page) {
  Json out = Json::object();
  if (!page.items.empty()) {
    Json models = Json::array();
    for (const RegisteredModel& m : page.items) models.push_back(RegisteredModelToJson(m));
    out["registered_models"] = std::move(models);
  }
  if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
  return out;
}

Json VersionList(const std::vector<ModelVersion>& versions) {
  Json out = Json::object();
  if (!versions.empty()) {
    Json list = Json::array();
    for (const ModelVersion& v : versions) list.push_back(ModelVersionToJson(v));
    out["model_versions"] = std::move(list);
  }
  return out;
}

Json ModelJson(const RegisteredModel& m) {
  return {{"registered_model", RegisteredModelToJson(m)}};
}
Json VersionJson(const ModelVersion& v) { return {{"model_version", ModelVersionToJson(v)}}; }

// A handler body: the request's fields, the caller, and the store.
using Body = std::function<absl::StatusOr<Json>(const Args&, const http::Principal&)>;

struct Route {
  const char* method;
  const char* path;  // under <prefix>/
  Body body;
};

std::vector<Route> Routes(RegistryStore& store) {
  RegistryStore* s = &store;
  return {
      // ---- registered-models ----
      {"POST", "registered-models/create",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::vector<Tag> tags, TagsArg(a));
         ASSIGN_OR_RETURN(std::string description, Optional(a, "description"));
         ASSIGN_OR_RETURN(RegisteredModel m, s->CreateRegisteredModel(p, name, tags, description));
         return ModelJson(m);
       }},
      {"GET", "registered-models/get",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(RegisteredModel m, s->GetRegisteredModel(p, name));
         return ModelJson(m);
       }},
      {"POST", "registered-models/rename",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string new_name, Required(a, "new_name"));
         ASSIGN_OR_RETURN(RegisteredModel m, s->RenameRegisteredModel(p, name, new_name));
         return ModelJson(m);
       }},
      {"PATCH", "registered-models/update",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string description, Optional(a, "description"));
         ASSIGN_OR_RETURN(RegisteredModel m, s->UpdateRegisteredModel(p, name, description));
         return ModelJson(m);
       }},
      {"DELETE", "registered-models/delete",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         RETURN_IF_ERROR(s->DeleteRegisteredModel(p, name));
         return Json::object();
       }},
      {"GET", "registered-models/search",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(SearchRequest request, SearchArgs(a));
         ASSIGN_OR_RETURN(Page<RegisteredModel> page, s->SearchRegisteredModels(p, request));
         return ModelsPage(page);
       }},
      // Removed in MLflow 2.0; older clients still call it.
      {"GET", "registered-models/list",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         SearchRequest request;
         ASSIGN_OR_RETURN(request.max_results, a.Int64("max_results"));
         ASSIGN_OR_RETURN(request.page_token, Optional(a, "page_token"));
         ASSIGN_OR_RETURN(Page<RegisteredModel> page, s->SearchRegisteredModels(p, request));
         return ModelsPage(page);
       }},
      {"POST", "registered-models/get-latest-versions",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::vector<std::string> stages, a.StringList("stages"));
         ASSIGN_OR_RETURN(std::vector<ModelVersion> versions,
                          s->GetLatestVersions(p, name, stages));
         return VersionList(versions);
       }},
      {"POST", "registered-models/set-tag",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string key, Required(a, "key"));
         ASSIGN_OR_RETURN(std::string value, Optional(a, "value"));
         RETURN_IF_ERROR(s->SetRegisteredModelTag(p, name, key, value));
         return Json::object();
       }},
      {"DELETE", "registered-models/delete-tag",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string key, Required(a, "key"));
         RETURN_IF_ERROR(s->DeleteRegisteredModelTag(p, name, key));
         return Json::object();
       }},
      {"POST", "registered-models/alias",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string alias, Required(a, "alias"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         RETURN_IF_ERROR(s->SetAlias(p, name, alias, version));
         return Json::object();
       }},
      {"DELETE", "registered-models/alias",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string alias, Required(a, "alias"));
         RETURN_IF_ERROR(s->DeleteAlias(p, name, alias));
         return Json::object();
       }},
      {"GET", "registered-models/alias",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string alias, Required(a, "alias"));
         ASSIGN_OR_RETURN(ModelVersion v, s->GetModelVersionByAlias(p, name, alias));
         return VersionJson(v);
       }},
      // ---- model-versions ----
      {"POST", "model-versions/create",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         NewModelVersion request;
         ASSIGN_OR_RETURN(request.name, Required(a, "name"));
         ASSIGN_OR_RETURN(request.source, Required(a, "source"));
         ASSIGN_OR_RETURN(request.run_id, Optional(a, "run_id"));
         ASSIGN_OR_RETURN(request.tags, TagsArg(a));
         ASSIGN_OR_RETURN(request.run_link, Optional(a, "run_link"));
         ASSIGN_OR_RETURN(request.description, Optional(a, "description"));
         ASSIGN_OR_RETURN(ModelVersion v, s->CreateModelVersion(p, request));
         return VersionJson(v);
       }},
      {"GET", "model-versions/get",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(ModelVersion v, s->GetModelVersion(p, name, version));
         return VersionJson(v);
       }},
      {"PATCH", "model-versions/update",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(std::string description, Optional(a, "description"));
         ASSIGN_OR_RETURN(ModelVersion v, s->UpdateModelVersion(p, name, version, description));
         return VersionJson(v);
       }},
      {"DELETE", "model-versions/delete",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         RETURN_IF_ERROR(s->DeleteModelVersion(p, name, version));
         return Json::object();
       }},
      {"GET", "model-versions/search",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(SearchRequest request, SearchArgs(a));
         ASSIGN_OR_RETURN(Page<ModelVersion> page, s->SearchModelVersions(p, request));
         Json out = VersionList(page.items);
         if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
         return out;
       }},
      {"GET", "model-versions/get-download-uri",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(std::string uri, s->GetDownloadUri(p, name, version));
         return Json{{"artifact_uri", uri}};
       }},
      {"POST", "model-versions/transition-stage",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(std::string stage, Required(a, "stage"));
         ASSIGN_OR_RETURN(std::optional<bool> archive, a.Bool("archive_existing_versions"));
         ASSIGN_OR_RETURN(ModelVersion v,
                          s->TransitionStage(p, name, version, stage, archive.value_or(false)));
         return VersionJson(v);
       }},
      {"POST", "model-versions/set-tag",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(std::string key, Required(a, "key"));
         ASSIGN_OR_RETURN(std::string value, Optional(a, "value"));
         RETURN_IF_ERROR(s->SetModelVersionTag(p, name, version, key, value));
         return Json::object();
       }},
      {"DELETE", "model-versions/delete-tag",
       [s](const Args& a, const http::Principal& p) -> absl::StatusOr<Json> {
         ASSIGN_OR_RETURN(std::string name, Required(a, "name"));
         ASSIGN_OR_RETURN(std::string version, VersionArg(a));
         ASSIGN_OR_RETURN(std::string key, Required(a, "key"));
         RETURN_IF_ERROR(s->DeleteModelVersionTag(p, name, version, key));
         return Json::object();
       }},
  };
}

}  // namespace

void RegisterRegistryRoutes(http::Router& router, RegistryStore& store) {
  std::vector<Route> routes = Routes(store);
  // get-latest-versions is also served over GET (stages as repeated query keys).
  for (const Route& r : std::vector<Route>(routes)) {
    if (std::string(r.path) == "registered-models/get-latest-versions") {
      routes.push_back({"GET", r.path, r.body});
    }
  }
  for (const char* prefix : {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"}) {
    for (const Route& r : routes) {
      router.Add(r.method, absl::StrCat(prefix, r.path),
                 http::MlflowHandler([body = r.body](Request& request) -> absl::StatusOr<Json> {
                   ASSIGN_OR_RETURN(Args args, Args::FromRequest(request));
                   return body(args, request.principal);
                 }));
    }
  }
}

}  // namespace plinth::registry
