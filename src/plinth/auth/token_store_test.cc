#include "plinth/auth/token_store.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/ids.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/test_util.h"

namespace plinth::auth {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = db::UniqueTestDir("plinth_auth");
    Open();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    store_.reset();
    db_.reset();
    db_ = db::OpenTestSqlite(dir_);
    ASSERT_NE(db_, nullptr);
    auto store = TokenStore::Create(*db_, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::vector<std::string> TeamNames() {
    auto teams = store_->ListTeams();
    EXPECT_TRUE(teams.ok()) << teams.status();
    std::vector<std::string> names;
    if (teams.ok()) {
      for (const auto& t : *teams) names.push_back(t.name);
    }
    return names;
  }

  CreatedToken MustCreate(const std::string& name, const std::string& team,
                          const std::string& role) {
    auto created = store_->CreateToken(name, team, role);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : CreatedToken{};
  }

  fs::path dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(TokenStoreTest, DefaultTeamExists) {
  EXPECT_THAT(TeamNames(), ::testing::ElementsAre("default"));
  auto teams = store_->ListTeams();
  EXPECT_EQ((*teams)[0].created_at, 1'700'000'000'000);
}

TEST_F(TokenStoreTest, CreateTeamsListedByName) {
  clock_.AdvanceMillis(5);
  ASSERT_TRUE(store_->CreateTeam("vision").ok());
  ASSERT_TRUE(store_->CreateTeam("ml-team_2.0").ok());
  EXPECT_THAT(TeamNames(), ::testing::ElementsAre("default", "ml-team_2.0", "vision"));
  EXPECT_EQ((*store_->ListTeams())[2].created_at, 1'700'000'000'005);
}

TEST_F(TokenStoreTest, DuplicateTeamIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateTeam("vision").ok());
  absl::Status s = store_->CreateTeam("vision");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()), HasSubstr("vision"));
  EXPECT_EQ(store_->CreateTeam("default").code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(TokenStoreTest, TeamNamesAreValidated) {
  for (const std::string& bad :
       {std::string(""), std::string("a b"), std::string("x/y"), std::string(65, 'a'),
        std::string("é"), std::string("semi;colon")}) {
    absl::Status s = store_->CreateTeam(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(store_->CreateTeam(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateTeamName("A-z_0.9").ok());
}

TEST_F(TokenStoreTest, RolesAreValidated) {
  for (const char* role : {"viewer", "member", "admin"}) EXPECT_TRUE(ValidateRole(role).ok());
  for (const char* role : {"", "Admin", "owner"}) {
    EXPECT_EQ(ValidateRole(role).code(), absl::StatusCode::kInvalidArgument) << role;
  }
}

TEST_F(TokenStoreTest, CreateTokenReturnsTheSecretOnce) {
  clock_.AdvanceMillis(42);
  CreatedToken created = MustCreate("ci", "default", "member");
  EXPECT_TRUE(absl::StartsWith(created.secret, "plt_")) << created.secret;
  EXPECT_EQ(created.secret.size(), 4u + 40u);
  EXPECT_FALSE(created.token.id.empty());
  EXPECT_EQ(created.token.name, "ci");
  EXPECT_EQ(created.token.team, "default");
  EXPECT_EQ(created.token.role, "member");
  EXPECT_EQ(created.token.created_at, 1'700'000'000'042);
  // Each token gets its own id and secret.
  CreatedToken other = MustCreate("ci", "default", "member");
  EXPECT_NE(other.token.id, created.token.id);
  EXPECT_NE(other.secret, created.secret);
}

TEST_F(TokenStoreTest, CreateTokenValidatesTeamRoleAndName) {
  auto unknown = store_->CreateToken("t", "nope", "member");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("'nope'"));
  EXPECT_EQ(store_->CreateToken("t", "default", "owner").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken("t", "bad team", "admin").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken(std::string(201, 'n'), "default", "admin").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->HasTokens());  // nothing was created
  auto tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE(tokens->empty());
}

TEST_F(TokenStoreTest, SecretsAreStoredOnlyAsHashes) {
  CreatedToken created = MustCreate("ci", "default", "admin");
  int rows_seen = 0;
  ASSERT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(auto rows, s.Query("SELECT * FROM api_tokens"));
                   for (const auto& row : rows) {
                     ++rows_seen;
                     for (size_t i = 0; i < row.size(); ++i) {
                       EXPECT_THAT(row.Str(i), ::testing::Not(HasSubstr(created.secret)));
                       EXPECT_THAT(row.Str(i), ::testing::Not(HasSubstr(created.secret.substr(4))));
                     }
                   }
                   ASSIGN_OR_RETURN(auto hashes, s.Query("SELECT secret_sha256 FROM api_tokens"));
                   EXPECT_EQ(hashes.at(0).Str(0), Sha256Hex(created.secret));
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(rows_seen, 1);
}

TEST_F(TokenStoreTest, ListTokensNeverShowsSecrets) {
  CreatedToken a = MustCreate("first", "default", "viewer");
  clock_.AdvanceMillis(1);
  CreatedToken b = MustCreate("second", "default", "admin");
  auto tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].id, a.token.id);
  EXPECT_EQ((*tokens)[0].name, "first");
  EXPECT_EQ((*tokens)[0].role, "viewer");
  EXPECT_EQ((*tokens)[1].id, b.token.id);
  EXPECT_EQ((*tokens)[1].created_at, b.token.created_at);
}

TEST_F(TokenStoreTest, VerifyKnownAndUnknownSecrets) {
  ASSERT_TRUE(store_->CreateTeam("vision").ok());
  CreatedToken created = MustCreate("ci", "vision", "member");
  auto principal = store_->Verify(created.secret);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->authenticated);
  EXPECT_EQ(principal->token_id, created.token.id);
  EXPECT_EQ(principal->team, "vision");
  EXPECT_EQ(principal->role, "member");
  // Cached the second time, same answer.
  auto again = store_->Verify(created.secret);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->token_id, created.token.id);
  for (const std::string& bad : {std::string("plt_wrong"), std::string(""), created.secret + "x",
                                 created.secret.substr(4)}) {
    auto v = store_->Verify(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated) << bad;
  }
}

TEST_F(TokenStoreTest, RevokeTokensNamedRevokesThoseOnly) {
  CreatedToken keep = MustCreate("keep", "default", "admin");
  CreatedToken first = MustCreate("job-1", "default", "member");
  CreatedToken second = MustCreate("job-1", "default", "member");
  ASSERT_TRUE(store_->Verify(first.secret).ok());  // now cached
  ASSERT_TRUE(store_->RevokeTokensNamed("job-1").ok());
  EXPECT_FALSE(store_->Verify(first.secret).ok());
  EXPECT_FALSE(store_->Verify(second.secret).ok());
  EXPECT_TRUE(store_->Verify(keep.secret).ok());
  EXPECT_TRUE(store_->RevokeTokensNamed("job-1").ok());  // none left: fine
  EXPECT_EQ(store_->ListTokens()->size(), 1u);
}

TEST_F(TokenStoreTest, RevokeInvalidatesACachedVerification) {
  CreatedToken keep = MustCreate("keep", "default", "admin");
  CreatedToken gone = MustCreate("gone", "default", "admin");
  ASSERT_TRUE(store_->Verify(gone.secret).ok());  // now cached
  ASSERT_TRUE(store_->Verify(keep.secret).ok());
  ASSERT_TRUE(store_->RevokeToken(gone.token.id).ok());
  auto v = store_->Verify(gone.secret);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->Verify(keep.secret).ok());
  EXPECT_EQ(store_->ListTokens()->size(), 1u);
}

TEST_F(TokenStoreTest, AUserTokenWithoutAnAdminMustBeAnAdmin) {
  auto member = store_->CreateUserToken("first", "default", "member");
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(member.status().message()), HasSubstr("create an admin token first"));
  EXPECT_FALSE(store_->HasTokens());
  ASSERT_TRUE(store_->CreateUserToken("root", "default", "admin").ok());
  EXPECT_TRUE(store_->CreateUserToken("ci", "default", "viewer").ok());
}

TEST_F(TokenStoreTest, TheLastAdminCannotBeRevokedWhileOtherTokensRemain) {
  CreatedToken admin = MustCreate("root", "default", "admin");
  CreatedToken member = MustCreate("dev", "default", "member");
  absl::Status s = store_->RevokeToken(admin.token.id);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("last admin token"));
  EXPECT_TRUE(store_->Verify(admin.secret).ok());
  // With a second admin, or once it is the only token, it may go.
  ASSERT_TRUE(store_->RevokeToken(member.token.id).ok());
  EXPECT_TRUE(store_->RevokeToken(admin.token.id).ok());
  EXPECT_FALSE(store_->HasTokens());
}

TEST_F(TokenStoreTest, RevokeUnknownIsNotFound) {
  absl::Status s = store_->RevokeToken("nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("nope"));
}

TEST_F(TokenStoreTest, HasTokensTracksCreateAndRevoke) {
  EXPECT_FALSE(store_->HasTokens());
  CreatedToken a = MustCreate("a", "default", "admin");
  EXPECT_TRUE(store_->HasTokens());
  CreatedToken b = MustCreate("b", "default", "admin");
  ASSERT_TRUE(store_->RevokeToken(a.token.id).ok());
  EXPECT_TRUE(store_->HasTokens());
  ASSERT_TRUE(store_->RevokeToken(b.token.id).ok());
  EXPECT_FALSE(store_->HasTokens());
}

TEST_F(TokenStoreTest, TokensSurviveReopening) {
  ASSERT_TRUE(store_->CreateTeam("vision").ok());
  CreatedToken created = MustCreate("ci", "vision", "viewer");
  Open();
  EXPECT_TRUE(store_->HasTokens());
  EXPECT_THAT(TeamNames(), ::testing::ElementsAre("default", "vision"));
  auto principal = store_->Verify(created.secret);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, "viewer");
}

}  // namespace
}  // namespace plinth::auth
