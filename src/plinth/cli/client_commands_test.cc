#include "plinth/cli/client_commands.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"

namespace plinth::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ErrorLineTest, NamesTheProtocolError) {
  absl::Status s = http::StatusFromResponse(
      404, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"run 'abc' not found"})");
  EXPECT_EQ(ErrorLine(s), "plinth: run 'abc' not found (RESOURCE_DOES_NOT_EXIST)");
}

TEST(ErrorLineTest, ConnectionFailuresSuggestStartingTheServer) {
  absl::Status s = WithErrorName(
      absl::UnavailableError("cannot reach http://127.0.0.1:8470: connection refused"),
      "CONNECT_FAILED");
  EXPECT_EQ(ErrorLine(s),
            "plinth: cannot reach http://127.0.0.1:8470: connection refused — is 'plinth server' "
            "running? (set --url or PLINTH_URL)");
}

TEST(ErrorLineTest, AuthFailuresSuggestAToken) {
  absl::Status s = http::StatusFromResponse(
      401, R"({"error":{"code":"UNAUTHENTICATED","message":"missing API token"}})");
  EXPECT_EQ(ErrorLine(s),
            "plinth: missing API token (UNAUTHENTICATED); pass a token with --token or "
            "PLINTH_TOKEN");
}

TEST(ErrorLineTest, NoTokenHintWhenTheServerAlreadyGivesOne) {
  absl::Status s = WithErrorName(
      absl::UnauthenticatedError("send a token (plinth CLI: set PLINTH_TOKEN)"), "UNAUTHENTICATED");
  EXPECT_EQ(ErrorLine(s), "plinth: send a token (plinth CLI: set PLINTH_TOKEN) (UNAUTHENTICATED)");
}

TEST(ErrorLineTest, AlwaysOneLine) {
  EXPECT_EQ(ErrorLine(absl::InternalError("a\nb\r\nc")), "plinth: a b c");
  EXPECT_EQ(ErrorLine(absl::UnknownError("")), "plinth: UNKNOWN");
}

TEST(WithContextTest, PrefixesAndKeepsTheErrorName) {
  absl::Status s = WithContext(WithErrorName(absl::NotFoundError("gone"), "X"), "downloading a");
  EXPECT_EQ(s.message(), "downloading a: gone");
  EXPECT_EQ(ErrorNameOf(s), "X");
  EXPECT_TRUE(absl::IsNotFound(s));
}

// A CLI with the global options and a `things` group of scripted commands.
class RunCliTest : public ::testing::Test {
 protected:
  RunCliTest() : app_("test", "plinth") {
    ctx_.out = &out_;
    ctx_.err = &err_;
    AddGlobalOptions(app_, ctx_);
    CLI::App* group = app_.add_subcommand("things", "Things");
    OnRun(group->add_subcommand("ok", "ok"), ctx_, [this] {
      ctx_.Print("done\n");
      return absl::OkStatus();
    });
    OnRun(group->add_subcommand("fail", "fail"), ctx_, [] {
      return WithErrorName(absl::NotFoundError("thing 'x' not found"), "RESOURCE_DOES_NOT_EXIST");
    });
    OnRun(group->add_subcommand("misuse", "misuse"), ctx_,
          [] { return UsageError("give either --a or --b"); });
    OnRun(group->add_subcommand("bug", "bug"), ctx_,
          []() -> absl::Status { throw std::runtime_error("boom"); });
  }

  int Run(std::vector<const char*> args) {
    args.insert(args.begin(), "plinth");
    return RunCli(app_, ctx_, static_cast<int>(args.size()), args.data());
  }

  CLI::App app_;
  CliContext ctx_;
  std::ostringstream out_, err_;
};

TEST_F(RunCliTest, SuccessExitsZero) {
  EXPECT_EQ(Run({"things", "ok"}), 0);
  EXPECT_EQ(out_.str(), "done\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunCliTest, FailureIsOneStderrLineAndExitOne) {
  EXPECT_EQ(Run({"things", "fail"}), 1);
  EXPECT_EQ(err_.str(), "plinth: thing 'x' not found (RESOURCE_DOES_NOT_EXIST)\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(RunCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"things", "misuse"}), 2);
  EXPECT_EQ(err_.str(), "plinth: give either --a or --b\n");
}

TEST_F(RunCliTest, UnknownArgumentsExitTwoWithAHelpHint) {
  EXPECT_EQ(Run({"things", "ok", "--nope"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("plinth: "));
  EXPECT_THAT(err_.str(), HasSubstr("--nope"));
  EXPECT_THAT(err_.str(), HasSubstr("(see 'plinth things ok --help')\n"));
  std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST_F(RunCliTest, BadOutputFormatIsAUsageError) {
  EXPECT_EQ(Run({"--output", "yaml", "things", "ok"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("yaml"));
}

TEST_F(RunCliTest, GroupWithoutCommandListsItsCommands) {
  EXPECT_EQ(Run({"things"}), 2);
  EXPECT_EQ(err_.str(),
            "plinth: 'plinth things' needs a command: ok, fail, misuse, bug "
            "(see 'plinth things --help')\n");
  err_.str("");
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("'plinth' needs a command: things"));
}

TEST_F(RunCliTest, HelpExitsZeroOnStdout) {
  EXPECT_EQ(Run({"things", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("ok"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunCliTest, ExceptionsFromCommandsBecomeOneLine) {
  EXPECT_EQ(Run({"things", "bug"}), 1);
  EXPECT_EQ(err_.str(), "plinth: internal error: boom\n");
}

TEST_F(RunCliTest, GlobalOptionsAreAcceptedAfterTheCommand) {
  EXPECT_EQ(Run({"things", "ok", "--output", "json", "--url", "http://h:1", "--token", "t"}), 0);
  EXPECT_TRUE(ctx_.json());
  EXPECT_EQ(ctx_.options.url, "http://h:1");
  EXPECT_EQ(ctx_.options.token, "t");
}

TEST_F(RunCliTest, UrlAndTokenComeFromTheEnvironment) {
  setenv("PLINTH_URL", "http://env:2", 1);
  setenv("PLINTH_TOKEN", "plt_env", 1);
  EXPECT_EQ(Run({"things", "ok"}), 0);
  unsetenv("PLINTH_URL");
  unsetenv("PLINTH_TOKEN");
  EXPECT_EQ(ctx_.options.url, "http://env:2");
  EXPECT_EQ(ctx_.options.token, "plt_env");
  EXPECT_FALSE(ctx_.json());
}

TEST(CliContextTest, MalformedUrlIsAUsageError) {
  CliContext ctx;
  ctx.options.url = "127.0.0.1:8470";
  auto client = ctx.Client();
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(IsUsageError(client.status()));
}

TEST(CollectPagesTest, FollowsTokensUntilDoneOrLimit) {
  std::vector<std::string> tokens_seen;
  auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
    tokens_seen.push_back(token);
    if (token.empty()) return Json{{"items", {1, 2}}, {"next_page_token", "p2"}};
    if (token == "p2") return Json{{"items", {3, 4}}, {"next_page_token", "p3"}};
    return Json{{"items", {5}}};
  };
  bool more = true;
  auto all = CollectPages(fetch, "items", 0, &more);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  EXPECT_FALSE(more);
  EXPECT_EQ(tokens_seen, (std::vector<std::string>{"", "p2", "p3"}));

  tokens_seen.clear();
  auto three = CollectPages(fetch, "items", 3, &more);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three, (std::vector<Json>{1, 2, 3}));
  EXPECT_TRUE(more);
  EXPECT_EQ(tokens_seen.size(), 2u);
}

TEST(CollectPagesTest, PassesErrorsThrough) {
  auto fetch = [](const std::string&, size_t) -> absl::StatusOr<Json> {
    return absl::PermissionDeniedError("no");
  };
  EXPECT_TRUE(absl::IsPermissionDenied(CollectPages(fetch, "items", 0).status()));
}

}  // namespace
}  // namespace plinth::cli
