// libpq connections for the PostgreSQL backend and the coordination
// between servers (pg_cluster.h): one way to connect, one way to describe
// a server in messages. Private to the db module.
#pragma once

#include <libpq-fe.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::db {

// libpq messages end in newlines and may span lines; errors are one line.
std::string PgOneLine(absl::string_view text);

// "host:port/db" from a libpq URL, for messages; never the password.
absl::StatusOr<std::string> PgWhere(const std::string& url);

// Opens a connection (UTF-8, application_name plinth, 10 s connect
// timeout); `where` names the server in the error. With `keepalive`, TCP
// keepalives notice a server that vanished without closing the connection
// within about 10 s (for connections that sit idle waiting for a lock or a
// notification). The caller owns the connection (PQfinish).
absl::StatusOr<PGconn*> PgConnect(const std::string& url, const std::string& where,
                                  bool keepalive = false);

}  // namespace plinth::db
