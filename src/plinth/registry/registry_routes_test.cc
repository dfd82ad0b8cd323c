// The registry's MLflow REST routes, driven through the Router as the server
// would: status codes, error codes and JSON bodies.
#include "plinth/registry/registry_routes.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/json.h"
#include "plinth/http/router.h"
#include "plinth/registry/registry_test_util.h"

namespace plinth::registry {
namespace {

using ::testing::HasSubstr;

class RegistryRoutesTest : public testing::RegistryTest {
 protected:
  void SetUp() override {
    testing::RegistryTest::SetUp();
    RegisterRegistryRoutes(router_, *store_);
  }

  // Calls `path` (under /api/2.0/mlflow/) with `fields` as the JSON body, or
  // as query parameters for GET (lists become repeated keys).
  http::Response Call(const std::string& method, const std::string& path, const Json& fields,
                      const http::Principal& principal,
                      const std::string& prefix = "/api/2.0/mlflow/") {
    http::Request request;
    request.method = method;
    request.path = prefix + path;
    request.target = request.path;
    request.principal = principal;
    if (method == "GET") {
      for (const auto& [key, value] : fields.items()) {
        for (const Json& v : value.is_array() ? value : Json::array({value})) {
          request.query.emplace(key, v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
    } else {
      request.body = fields.dump();
    }
    http::Router::Match match = router_.Find(method, request.path);
    if (match.handler == nullptr) {
      ADD_FAILURE() << "no route for " << method << " " << request.path;
      return http::Response::Text("no route", 404);
    }
    return (*match.handler)(request);
  }
  http::Response Call(const std::string& method, const std::string& path, const Json& fields) {
    return Call(method, path, fields, alice_);
  }

  static Json Body(const http::Response& response) { return Json::parse(response.body); }

  // Asserts an MLflow error answer.
  static void ExpectError(const http::Response& response, int status, const std::string& code) {
    EXPECT_EQ(response.status, status) << response.body;
    Json body = Json::parse(response.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_EQ(body.value("error_code", ""), code) << response.body;
    EXPECT_TRUE(body.contains("message"));
  }

  http::Router router_;
};

TEST_F(RegistryRoutesTest, RegisteredModelLifecycle) {
  auto created = Call("POST", "registered-models/create",
                      {{"name", "resnet"},
                       {"description", "classifier"},
                       {"tags", {{{"key", "task"}, {"value", "vision"}}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  Json model = Body(created)["registered_model"];
  EXPECT_EQ(model["name"], "resnet");
  EXPECT_EQ(model["description"], "classifier");
  EXPECT_TRUE(model["creation_timestamp"].is_number_integer());
  EXPECT_EQ(model["creation_timestamp"], clock_.NowMillis());
  EXPECT_EQ(model["tags"], Json::parse(R"([{"key":"task","value":"vision"}])"));
  EXPECT_FALSE(model.contains("latest_versions"));  // empty lists are left out
  EXPECT_FALSE(model.contains("team"));

  auto got = Call("GET", "registered-models/get", {{"name", "resnet"}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["registered_model"]["name"], "resnet");

  auto updated =
      Call("PATCH", "registered-models/update", {{"name", "resnet"}, {"description", "new"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Body(updated)["registered_model"]["description"], "new");

  auto renamed =
      Call("POST", "registered-models/rename", {{"name", "resnet"}, {"new_name", "resnet50"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(Body(renamed)["registered_model"]["name"], "resnet50");

  ASSERT_EQ(Call("POST", "registered-models/set-tag",
                 {{"name", "resnet50"}, {"key", "k"}, {"value", "v"}})
                .status,
            200);
  auto tagged = Body(Call("GET", "registered-models/get", {{"name", "resnet50"}}));
  EXPECT_EQ(tagged["registered_model"]["tags"].size(), 2u);
  auto untag = Call("DELETE", "registered-models/delete-tag", {{"name", "resnet50"}, {"key", "k"}});
  ASSERT_EQ(untag.status, 200) << untag.body;
  EXPECT_EQ(Body(untag), Json::object());

  auto deleted = Call("DELETE", "registered-models/delete", {{"name", "resnet50"}});
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Body(deleted), Json::object());
  ExpectError(Call("GET", "registered-models/get", {{"name", "resnet50"}}), 404,
              "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(RegistryRoutesTest, ModelErrors) {
  auto missing = Call("POST", "registered-models/create", Json::object());
  ExpectError(missing, 400, "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(Body(missing)["message"].get<std::string>(),
              HasSubstr("Missing value for required parameter 'name'"));
  ExpectError(Call("POST", "registered-models/create", {{"name", ""}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "registered-models/create", {{"name", 42}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "registered-models/create", {{"name", "m"}, {"tags", "oops"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(
      Call("POST", "registered-models/create", {{"name", "m"}, {"tags", {{{"value", "v"}}}}}), 400,
      "INVALID_PARAMETER_VALUE");

  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  ExpectError(Call("POST", "registered-models/create", {{"name", "m"}}), 400,
              "RESOURCE_ALREADY_EXISTS");
  ExpectError(Call("GET", "registered-models/get", {{"name", "nope"}}), 404,
              "RESOURCE_DOES_NOT_EXIST");
  ExpectError(Call("POST", "registered-models/rename", {{"name", "m"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "registered-models/set-tag", {{"name", "m"}, {"key", "../x"}}), 400,
              "INVALID_PARAMETER_VALUE");

  http::Request bad_json;
  bad_json.method = "POST";
  bad_json.path = "/api/2.0/mlflow/registered-models/create";
  bad_json.body = "{not json";
  bad_json.principal = alice_;
  ExpectError((*router_.Find("POST", bad_json.path).handler)(bad_json), 400, "BAD_REQUEST");
}

TEST_F(RegistryRoutesTest, SearchAndLegacyList) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(Call("POST", "registered-models/create", {{"name", name}}).status, 200);
  }
  auto first = Call("GET", "registered-models/search",
                    {{"max_results", 2}, {"order_by", {"name DESC"}}, {"filter", "name != 'zzz'"}});
  ASSERT_EQ(first.status, 200) << first.body;
  Json page = Body(first);
  ASSERT_EQ(page["registered_models"].size(), 2u);
  EXPECT_EQ(page["registered_models"][0]["name"], "c");
  ASSERT_TRUE(page.contains("next_page_token"));
  auto second = Body(Call(
      "GET", "registered-models/search",
      {{"max_results", 2}, {"order_by", {"name DESC"}}, {"page_token", page["next_page_token"]}}));
  ASSERT_EQ(second["registered_models"].size(), 1u);
  EXPECT_EQ(second["registered_models"][0]["name"], "a");
  EXPECT_FALSE(second.contains("next_page_token"));

  auto none = Call("GET", "registered-models/search", {{"filter", "name = 'zzz'"}});
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(Body(none), Json::object());

  ExpectError(Call("GET", "registered-models/search", {{"max_results", 1001}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "registered-models/search", {{"max_results", "many"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "registered-models/search", {{"filter", "metrics.x > 1"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "registered-models/search", {{"page_token", "garbage!"}}), 400,
              "INVALID_PARAMETER_VALUE");

  auto listed = Call("GET", "registered-models/list", {{"max_results", 10}});
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Body(listed)["registered_models"].size(), 3u);
}

TEST_F(RegistryRoutesTest, ModelVersionLifecycle) {
  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  runs_.Add("run1", "mlflow-artifacts:/1/run1/artifacts", "vision");
  auto created = Call("POST", "model-versions/create",
                      {{"name", "m"},
                       {"source", "runs:/run1/model"},
                       {"run_id", "run1"},
                       {"tags", {{{"key", "k"}, {"value", "v"}}}},
                       {"run_link", "http://ui/run1"},
                       {"description", "first"}});
  ASSERT_EQ(created.status, 200) << created.body;
  Json v = Body(created)["model_version"];
  EXPECT_EQ(v["name"], "m");
  EXPECT_EQ(v["version"], "1");  // a string, as in MLflow's protos
  EXPECT_EQ(v["current_stage"], "None");
  EXPECT_EQ(v["status"], "READY");
  EXPECT_EQ(v["source"], "runs:/run1/model");
  EXPECT_EQ(v["run_id"], "run1");
  EXPECT_EQ(v["run_link"], "http://ui/run1");
  EXPECT_EQ(v["description"], "first");
  EXPECT_EQ(v["tags"][0]["key"], "k");
  EXPECT_FALSE(v.contains("status_message"));

  auto got = Call("GET", "model-versions/get", {{"name", "m"}, {"version", "1"}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["model_version"]["version"], "1");

  auto uri = Call("GET", "model-versions/get-download-uri", {{"name", "m"}, {"version", "1"}});
  ASSERT_EQ(uri.status, 200) << uri.body;
  EXPECT_EQ(Body(uri), Json({{"artifact_uri", "mlflow-artifacts:/1/run1/artifacts/model"}}));

  auto updated = Call("PATCH", "model-versions/update",
                      {{"name", "m"}, {"version", "1"}, {"description", "better"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Body(updated)["model_version"]["description"], "better");

  ASSERT_EQ(Call("POST", "model-versions/set-tag",
                 {{"name", "m"}, {"version", "1"}, {"key", "k2"}, {"value", "v2"}})
                .status,
            200);
  ASSERT_EQ(
      Call("DELETE", "model-versions/delete-tag", {{"name", "m"}, {"version", "1"}, {"key", "k"}})
          .status,
      200);
  auto tags = Body(Call("GET", "model-versions/get", {{"name", "m"}, {"version", "1"}}));
  EXPECT_EQ(tags["model_version"]["tags"], Json::parse(R"([{"key":"k2","value":"v2"}])"));

  // The model lists its latest version per stage.
  auto model = Body(Call("GET", "registered-models/get", {{"name", "m"}}));
  ASSERT_EQ(model["registered_model"]["latest_versions"].size(), 1u);
  EXPECT_EQ(model["registered_model"]["latest_versions"][0]["version"], "1");

  auto deleted = Call("DELETE", "model-versions/delete", {{"name", "m"}, {"version", "1"}});
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  ExpectError(Call("GET", "model-versions/get", {{"name", "m"}, {"version", "1"}}), 404,
              "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(RegistryRoutesTest, ModelVersionErrors) {
  ExpectError(Call("POST", "model-versions/create", {{"name", "ghost"}, {"source", "s3://b/m"}}),
              404, "RESOURCE_DOES_NOT_EXIST");
  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  ExpectError(Call("POST", "model-versions/create", {{"name", "m"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "model-versions/create", {{"name", "m"}, {"source", "/etc/passwd"}}),
              400, "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "model-versions/get", {{"name", "m"}}), 400, "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "model-versions/get", {{"name", "m"}, {"version", "x"}}), 400,
              "INVALID_PARAMETER_VALUE");
  ExpectError(Call("GET", "model-versions/get", {{"name", "m"}, {"version", "3"}}), 404,
              "RESOURCE_DOES_NOT_EXIST");
  ExpectError(Call("GET", "model-versions/search", {{"max_results", 200001}}), 400,
              "INVALID_PARAMETER_VALUE");
}

TEST_F(RegistryRoutesTest, StagesAndLatestVersions) {
  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Call("POST", "model-versions/create", {{"name", "m"}, {"source", "s3://b/m"}}).status,
              200);
  }
  auto moved = Call("POST", "model-versions/transition-stage",
                    {{"name", "m"},
                     {"version", "1"},
                     {"stage", "production"},
                     {"archive_existing_versions", false}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Body(moved)["model_version"]["current_stage"], "Production");
  auto archived = Call("POST", "model-versions/transition-stage",
                       {{"name", "m"},
                        {"version", 2},
                        {"stage", "Production"},
                        {"archive_existing_versions", true}});
  ASSERT_EQ(archived.status, 200) << archived.body;
  auto v1 = Body(Call("GET", "model-versions/get", {{"name", "m"}, {"version", "1"}}));
  EXPECT_EQ(v1["model_version"]["current_stage"], "Archived");

  ExpectError(Call("POST", "model-versions/transition-stage",
                   {{"name", "m"}, {"version", "1"}, {"stage", "Live"}}),
              400, "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "model-versions/transition-stage", {{"name", "m"}, {"version", "1"}}),
              400, "INVALID_PARAMETER_VALUE");
  ExpectError(Call("POST", "model-versions/transition-stage",
                   {{"name", "m"},
                    {"version", "1"},
                    {"stage", "None"},
                    {"archive_existing_versions", "sure"}}),
              400, "INVALID_PARAMETER_VALUE");

  auto latest = Call("POST", "registered-models/get-latest-versions",
                     {{"name", "m"}, {"stages", {"Production"}}});
  ASSERT_EQ(latest.status, 200) << latest.body;
  ASSERT_EQ(Body(latest)["model_versions"].size(), 1u);
  EXPECT_EQ(Body(latest)["model_versions"][0]["version"], "2");

  auto via_get = Call("GET", "registered-models/get-latest-versions",
                      {{"name", "m"}, {"stages", {"Production", "None"}}});
  ASSERT_EQ(via_get.status, 200) << via_get.body;
  EXPECT_EQ(Body(via_get)["model_versions"].size(), 2u);
  auto all = Body(Call("POST", "registered-models/get-latest-versions", {{"name", "m"}}));
  EXPECT_EQ(all["model_versions"].size(), 3u);  // Archived, Production, None

  auto search = Call(
      "GET", "model-versions/search",
      {{"filter", "name = 'm' AND version_number >= 2"}, {"order_by", {"version_number ASC"}}});
  ASSERT_EQ(search.status, 200) << search.body;
  ASSERT_EQ(Body(search)["model_versions"].size(), 2u);
  EXPECT_EQ(Body(search)["model_versions"][0]["version"], "2");
}

TEST_F(RegistryRoutesTest, Aliases) {
  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  ASSERT_EQ(Call("POST", "model-versions/create", {{"name", "m"}, {"source", "s3://b/1"}}).status,
            200);
  auto set = Call("POST", "registered-models/alias",
                  {{"name", "m"}, {"alias", "champion"}, {"version", "1"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Body(set), Json::object());

  auto got = Call("GET", "registered-models/alias", {{"name", "m"}, {"alias", "champion"}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["model_version"]["version"], "1");
  EXPECT_EQ(Body(got)["model_version"]["aliases"], Json::array({"champion"}));
  auto model = Body(Call("GET", "registered-models/get", {{"name", "m"}}));
  EXPECT_EQ(model["registered_model"]["aliases"],
            Json::parse(R"([{"alias":"champion","version":"1"}])"));

  ExpectError(Call("POST", "registered-models/alias",
                   {{"name", "m"}, {"alias", "latest"}, {"version", "1"}}),
              400, "INVALID_PARAMETER_VALUE");
  ExpectError(
      Call("POST", "registered-models/alias", {{"name", "m"}, {"alias", "v3"}, {"version", "1"}}),
      400, "INVALID_PARAMETER_VALUE");
  ExpectError(
      Call("POST", "registered-models/alias", {{"name", "m"}, {"alias", "a b"}, {"version", "1"}}),
      400, "INVALID_PARAMETER_VALUE");
  ExpectError(
      Call("POST", "registered-models/alias", {{"name", "m"}, {"alias", "x"}, {"version", "9"}}),
      404, "RESOURCE_DOES_NOT_EXIST");
  ExpectError(Call("POST", "registered-models/alias", {{"name", "m"}, {"alias", "x"}}), 400,
              "INVALID_PARAMETER_VALUE");

  auto removed = Call("DELETE", "registered-models/alias", {{"name", "m"}, {"alias", "champion"}});
  ASSERT_EQ(removed.status, 200) << removed.body;
  ExpectError(Call("GET", "registered-models/alias", {{"name", "m"}, {"alias", "champion"}}), 400,
              "INVALID_PARAMETER_VALUE");
}

TEST_F(RegistryRoutesTest, RolesAndTeams) {
  ASSERT_EQ(Call("POST", "registered-models/create", {{"name", "m"}}).status, 200);
  ExpectError(Call("POST", "registered-models/create", {{"name", "x"}}, viewer_), 403,
              "PERMISSION_DENIED");
  ExpectError(Call("DELETE", "registered-models/delete", {{"name", "m"}}, viewer_), 403,
              "PERMISSION_DENIED");
  EXPECT_EQ(Call("GET", "registered-models/get", {{"name", "m"}}, viewer_).status, 200);

  ExpectError(Call("GET", "registered-models/get", {{"name", "m"}}, bob_), 403,
              "PERMISSION_DENIED");
  ExpectError(Call("POST", "model-versions/create", {{"name", "m"}, {"source", "s3://b/m"}}, bob_),
              403, "PERMISSION_DENIED");
  auto bob_search = Call("GET", "registered-models/search", Json::object(), bob_);
  ASSERT_EQ(bob_search.status, 200);
  EXPECT_EQ(Body(bob_search), Json::object());
  EXPECT_EQ(Call("GET", "registered-models/get", {{"name", "m"}}, admin_).status, 200);
}

TEST_F(RegistryRoutesTest, AjaxPrefixAndDeleteWithQueryParameters) {
  auto created =
      Call("POST", "registered-models/create", {{"name", "m"}}, alice_, "/ajax-api/2.0/mlflow/");
  ASSERT_EQ(created.status, 200) << created.body;
  // Some clients send DELETE fields as query parameters.
  http::Request request;
  request.method = "DELETE";
  request.path = "/ajax-api/2.0/mlflow/registered-models/delete";
  request.query.emplace("name", "m");
  request.principal = alice_;
  auto deleted = (*router_.Find("DELETE", request.path).handler)(request);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  ExpectError(Call("GET", "registered-models/get", {{"name", "m"}}), 404,
              "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(RegistryRoutesTest, EveryEndpointIsMounted) {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"POST", "registered-models/create"},
      {"POST", "registered-models/rename"},
      {"PATCH", "registered-models/update"},
      {"DELETE", "registered-models/delete"},
      {"GET", "registered-models/get"},
      {"GET", "registered-models/search"},
      {"GET", "registered-models/list"},
      {"POST", "registered-models/get-latest-versions"},
      {"GET", "registered-models/get-latest-versions"},
      {"POST", "registered-models/set-tag"},
      {"DELETE", "registered-models/delete-tag"},
      {"POST", "registered-models/alias"},
      {"DELETE", "registered-models/alias"},
      {"GET", "registered-models/alias"},
      {"POST", "model-versions/create"},
      {"PATCH", "model-versions/update"},
      {"DELETE", "model-versions/delete"},
      {"GET", "model-versions/get"},
      {"GET", "model-versions/search"},
      {"GET", "model-versions/get-download-uri"},
      {"POST", "model-versions/transition-stage"},
      {"POST", "model-versions/set-tag"},
      {"DELETE", "model-versions/delete-tag"},
  };
  for (const auto& [method, path] : endpoints) {
    for (const std::string prefix : {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"}) {
      EXPECT_NE(router_.Find(method, prefix + path).handler, nullptr) << method << " " << path;
    }
  }
  EXPECT_TRUE(router_.Find("GET", "/api/2.0/mlflow/registered-models/create").wrong_method);
}

}  // namespace
}  // namespace plinth::registry
