// Native API for teams and tokens: /api/v1/teams, /api/v1/tokens (admin only).
#pragma once

#include "plinth/auth/token_store.h"
#include "plinth/http/router.h"

namespace plinth::auth {

void RegisterAuthRoutes(http::Router& router, TokenStore& tokens);

}  // namespace plinth::auth
