// Turns a request's credentials into a Principal for the HTTP server.
#pragma once

#include "plinth/auth/token_store.h"
#include "plinth/http/server.h"

namespace plinth::auth {

// With no tokens configured (and `require_tokens` false) every caller is an
// anonymous admin of the default team: the zero-configuration loopback case.
// Once a token exists, every non-public route needs `Authorization: Bearer`.
http::Authenticator MakeAuthenticator(TokenStore& tokens, bool require_tokens);

// The anonymous principal used when auth is off.
http::Principal AnonymousPrincipal();

}  // namespace plinth::auth
