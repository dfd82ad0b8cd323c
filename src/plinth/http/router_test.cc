#include "plinth/http/router.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"

namespace plinth::http {
namespace {

using ::testing::HasSubstr;

// A handler that answers with its own name, so tests can tell which matched.
Handler Named(const std::string& name) {
  return [name](Request&) { return Response::Text(name); };
}

std::string Call(const Router::Match& m) {
  if (m.handler == nullptr) return "<none>";
  Request r;
  return (*m.handler)(r).body;
}

TEST(RouterTest, ExactRouteMatches) {
  Router router;
  router.Add("GET", "/api/2.0/mlflow/runs/get", Named("get"));
  Router::Match m = router.Find("GET", "/api/2.0/mlflow/runs/get");
  EXPECT_EQ(Call(m), "get");
  EXPECT_EQ(m.route, "/api/2.0/mlflow/runs/get");
  EXPECT_EQ(m.suffix, "");
  EXPECT_FALSE(m.wrong_method);
}

TEST(RouterTest, UnknownPathHasNoHandlerAndIsNotWrongMethod) {
  Router router;
  router.Add("GET", "/a", Named("a"));
  Router::Match m = router.Find("GET", "/b");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.wrong_method);
  // Exact routes do not match by prefix.
  EXPECT_EQ(router.Find("GET", "/a/b").handler, nullptr);
  EXPECT_EQ(router.Find("GET", "/").handler, nullptr);
}

TEST(RouterTest, WrongMethodOnExactRouteIsFlagged) {
  Router router;
  router.Add("GET", "/a", Named("a"));
  Router::Match m = router.Find("POST", "/a");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.wrong_method);
}

TEST(RouterTest, MethodsOnTheSamePathAreDistinct) {
  Router router;
  router.Add("GET", "/a", Named("get"));
  router.Add("POST", "/a", Named("post"));
  EXPECT_EQ(Call(router.Find("GET", "/a")), "get");
  EXPECT_EQ(Call(router.Find("POST", "/a")), "post");
  EXPECT_TRUE(router.Find("DELETE", "/a").wrong_method);
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  router.Add("GET", "/a", Named("get"));
  router.AddPrefix("GET", "/files/", Named("files"));
  EXPECT_EQ(Call(router.Find("HEAD", "/a")), "get");
  EXPECT_EQ(Call(router.Find("HEAD", "/files/x")), "files");
  // An explicit HEAD route wins over the fallback.
  router.Add("HEAD", "/a", Named("head"));
  EXPECT_EQ(Call(router.Find("HEAD", "/a")), "head");
  // The fallback is HEAD-only.
  router.Add("POST", "/p", Named("post"));
  EXPECT_TRUE(router.Find("HEAD", "/p").wrong_method);
}

TEST(RouterTest, PrefixRouteGivesTheSuffix) {
  Router router;
  router.AddPrefix("GET", "/files/", Named("files"));
  Router::Match m = router.Find("GET", "/files/a/b c.txt");
  EXPECT_EQ(Call(m), "files");
  EXPECT_EQ(m.suffix, "a/b c.txt");
  EXPECT_EQ(m.route, "/files/*");
  Router::Match empty = router.Find("GET", "/files/");
  EXPECT_EQ(Call(empty), "files");
  EXPECT_EQ(empty.suffix, "");
  EXPECT_EQ(router.Find("GET", "/files").handler, nullptr);
}

TEST(RouterTest, LongestPrefixWins) {
  Router router;
  router.AddPrefix("GET", "/api/", Named("api"));
  router.AddPrefix("GET", "/api/v2/", Named("v2"));
  router.AddPrefix("GET", "/api/v2/deep/", Named("deep"));
  EXPECT_EQ(Call(router.Find("GET", "/api/v1/x")), "api");
  EXPECT_EQ(Call(router.Find("GET", "/api/v2/x")), "v2");
  Router::Match deep = router.Find("GET", "/api/v2/deep/x/y");
  EXPECT_EQ(Call(deep), "deep");
  EXPECT_EQ(deep.suffix, "x/y");
  EXPECT_EQ(deep.route, "/api/v2/deep/*");
}

TEST(RouterTest, LongestPrefixWinsWhateverTheRegistrationOrder) {
  Router router;
  router.AddPrefix("GET", "/api/v2/", Named("v2"));
  router.AddPrefix("GET", "/api/", Named("api"));
  EXPECT_EQ(Call(router.Find("GET", "/api/v2/x")), "v2");
}

TEST(RouterTest, ExactRouteBeatsPrefixRoute) {
  Router router;
  router.AddPrefix("GET", "/api/", Named("prefix"));
  router.Add("GET", "/api/special", Named("exact"));
  EXPECT_EQ(Call(router.Find("GET", "/api/special")), "exact");
  EXPECT_EQ(Call(router.Find("GET", "/api/other")), "prefix");
}

TEST(RouterTest, PrefixRouteServesAMethodTheExactPathLacks) {
  Router router;
  router.Add("GET", "/api/x", Named("exact"));
  router.AddPrefix("POST", "/api/", Named("prefix"));
  Router::Match m = router.Find("POST", "/api/x");
  EXPECT_EQ(Call(m), "prefix");
  EXPECT_FALSE(m.wrong_method);
}

TEST(RouterTest, WrongMethodOnPrefixRouteIsFlagged) {
  Router router;
  router.AddPrefix("PUT", "/files/", Named("put"));
  Router::Match m = router.Find("GET", "/files/a");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.wrong_method);
  EXPECT_FALSE(router.Find("GET", "/other").wrong_method);
}

TEST(RouterTest, PrefixMatchesTheRightMethodAmongSeveral) {
  Router router;
  router.AddPrefix("PUT", "/files/", Named("put"));
  router.AddPrefix("GET", "/files/", Named("get"));
  router.AddPrefix("DELETE", "/files/", Named("delete"));
  EXPECT_EQ(Call(router.Find("GET", "/files/a")), "get");
  EXPECT_EQ(Call(router.Find("PUT", "/files/a")), "put");
  EXPECT_EQ(Call(router.Find("DELETE", "/files/a")), "delete");
  EXPECT_TRUE(router.Find("PATCH", "/files/a").wrong_method);
}

TEST(RouterTest, DefaultErrorRendererUsesTheNativeShape) {
  Router router;
  Response r = router.RenderError("/anything", absl::NotFoundError("gone"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(body["error"]["message"], "gone");
  // The HTTP status override is honoured.
  EXPECT_EQ(router.RenderError("/x", WithHttpStatus(absl::NotFoundError("m"), 405)).status, 405);
}

TEST(RouterTest, ErrorRendererByLongestPrefix) {
  Router router;
  router.SetErrorRenderer("/api/", [](const absl::Status& s) {
    return Response::Text("api:" + std::string(s.message()), HttpStatusFor(s));
  });
  router.SetErrorRenderer("/api/2.0/", [](const absl::Status& s) {
    return Response::Json({{"error_code", MlflowErrorCode(s)}, {"message", s.message()}},
                          HttpStatusFor(s));
  });
  Response mlflow = router.RenderError("/api/2.0/mlflow/runs/get", NotFound("no run"));
  EXPECT_EQ(mlflow.status, 404);
  EXPECT_EQ(Json::parse(mlflow.body)["error_code"], "RESOURCE_DOES_NOT_EXIST");
  Response api = router.RenderError("/api/v1/x", absl::UnauthenticatedError("who"));
  EXPECT_EQ(api.status, 401);
  EXPECT_EQ(api.body, "api:who");
  Response other = router.RenderError("/v2/models", absl::InternalError("boom"));
  EXPECT_EQ(other.status, 500);
  EXPECT_THAT(other.body, HasSubstr("\"error\""));
}

TEST(RouterTest, BodyLimitByLongestPrefix) {
  Router router;
  EXPECT_EQ(router.BodyLimit("/anything"), 1u << 20);  // default 1 MiB
  router.SetBodyLimit("/upload/", 100);
  router.SetBodyLimit("/upload/big/", 5000);
  EXPECT_EQ(router.BodyLimit("/upload/x"), 100u);
  EXPECT_EQ(router.BodyLimit("/upload/big/x"), 5000u);
  EXPECT_EQ(router.BodyLimit("/uploadx"), 1u << 20);
  router.SetBodyLimit("", 10);
  EXPECT_EQ(router.BodyLimit("/anything"), 10u);
}

TEST(RouterTest, PublicPathsExactOrUnderATrailingSlashPrefix) {
  Router router;
  router.SetPublic("/health");
  router.SetPublic("/static/");
  EXPECT_TRUE(router.IsPublic("/health"));
  EXPECT_FALSE(router.IsPublic("/healthz"));
  EXPECT_FALSE(router.IsPublic("/health/secret"));
  EXPECT_TRUE(router.IsPublic("/static/"));
  EXPECT_TRUE(router.IsPublic("/static/js/app.js"));
  EXPECT_FALSE(router.IsPublic("/static"));
  EXPECT_FALSE(router.IsPublic("/api/2.0/mlflow/runs/get"));
}

}  // namespace
}  // namespace plinth::http
