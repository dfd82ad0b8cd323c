#include "plinth/auth/authenticator.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/db/test_util.h"

namespace plinth::auth {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = db::UniqueTestDir("plinth_authenticator");
    db_ = db::OpenTestSqlite(dir_);
    ASSERT_NE(db_, nullptr);
    auto store = TokenStore::Create(*db_, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    tokens_ = std::move(*store);
  }
  void TearDown() override {
    tokens_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  static http::Request WithHeader(const std::string& authorization) {
    http::Request r;
    r.method = "GET";
    r.path = "/api/2.0/mlflow/experiments/search";
    if (!authorization.empty()) r.headers["authorization"] = authorization;
    return r;
  }

  std::string NewSecret(const std::string& role = "member") {
    auto created = tokens_->CreateToken("t", "default", role);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->secret : "";
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<TokenStore> tokens_;
};

TEST_F(AuthenticatorTest, AnonymousAdminWhenNoTokensExist) {
  auto principal = MakeAuthenticator(*tokens_, false)(WithHeader(""));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_FALSE(principal->authenticated);
  EXPECT_EQ(principal->team, kDefaultTeam);
  EXPECT_EQ(principal->role, "admin");
  EXPECT_TRUE(principal->token_id.empty());
  http::Principal anon = AnonymousPrincipal();
  EXPECT_FALSE(anon.authenticated);
  EXPECT_EQ(anon.team, "default");
  EXPECT_TRUE(anon.IsAdmin());
}

TEST_F(AuthenticatorTest, MissingHeaderIs401OnceATokenExists) {
  NewSecret();
  auto principal = MakeAuthenticator(*tokens_, false)(WithHeader(""));
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(HttpStatusFor(principal.status()), 401);
  EXPECT_THAT(std::string(principal.status().message()), HasSubstr("Authorization: Bearer"));
}

TEST_F(AuthenticatorTest, RequireTokensWithNoTokensIs401) {
  auto principal = MakeAuthenticator(*tokens_, true)(WithHeader(""));
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, ValidBearerTokenGivesItsPrincipal) {
  std::string secret = NewSecret("viewer");
  auto auth = MakeAuthenticator(*tokens_, true);
  for (const std::string& header :
       {"Bearer " + secret, "bearer " + secret, "  Bearer " + secret + " "}) {
    auto principal = auth(WithHeader(header));
    ASSERT_TRUE(principal.ok()) << header << ": " << principal.status();
    EXPECT_TRUE(principal->authenticated);
    EXPECT_EQ(principal->role, "viewer");
    EXPECT_EQ(principal->team, "default");
  }
}

TEST_F(AuthenticatorTest, UnknownTokenIs401) {
  NewSecret();
  auto principal = MakeAuthenticator(*tokens_, false)(WithHeader("Bearer plt_00"));
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, OtherSchemesAre401) {
  std::string secret = NewSecret();
  auto auth = MakeAuthenticator(*tokens_, false);
  for (const std::string& header : {std::string("Basic dXNlcjpwYXNz"), "Token " + secret, secret}) {
    auto principal = auth(WithHeader(header));
    ASSERT_FALSE(principal.ok()) << header;
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_THAT(std::string(principal.status().message()), HasSubstr("scheme")) << header;
  }
}

TEST_F(AuthenticatorTest, RevokedTokenIs401) {
  auto created = tokens_->CreateToken("t", "default", "admin");
  ASSERT_TRUE(created.ok());
  NewSecret("admin");  // another token keeps auth on (and an admin remains)
  auto auth = MakeAuthenticator(*tokens_, false);
  ASSERT_TRUE(auth(WithHeader("Bearer " + created->secret)).ok());
  ASSERT_TRUE(tokens_->RevokeToken(created->token.id).ok());
  EXPECT_EQ(auth(WithHeader("Bearer " + created->secret)).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, AnonymousAgainOnceTheLastTokenIsRevoked) {
  auto created = tokens_->CreateToken("t", "default", "admin");
  ASSERT_TRUE(created.ok());
  auto auth = MakeAuthenticator(*tokens_, false);
  EXPECT_FALSE(auth(WithHeader("")).ok());
  ASSERT_TRUE(tokens_->RevokeToken(created->token.id).ok());
  auto principal = auth(WithHeader(""));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_FALSE(principal->authenticated);
}

}  // namespace
}  // namespace plinth::auth
