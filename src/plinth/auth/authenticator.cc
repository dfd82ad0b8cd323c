#include "plinth/auth/authenticator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace plinth::auth {

http::Principal AnonymousPrincipal() { return {false, "", kDefaultTeam, "admin"}; }

http::Authenticator MakeAuthenticator(TokenStore& tokens, bool require_tokens) {
  return [&tokens, require_tokens](const http::Request& req) -> absl::StatusOr<http::Principal> {
    std::string header = req.Header("authorization");
    if (header.empty()) {
      if (!require_tokens && !tokens.HasTokens()) return AnonymousPrincipal();
      return absl::UnauthenticatedError(
          "this server requires an API token: send 'Authorization: Bearer <token>' (MLflow "
          "clients: set MLFLOW_TRACKING_TOKEN; plinth CLI: set PLINTH_TOKEN)");
    }
    absl::string_view value = absl::StripAsciiWhitespace(header);
    if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
      return absl::UnauthenticatedError(
          "unsupported Authorization scheme: use 'Authorization: Bearer <token>'");
    }
    return tokens.Verify(std::string(absl::StripAsciiWhitespace(value)));
  };
}

}  // namespace plinth::auth
