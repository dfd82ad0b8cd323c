#include "plinth/db/pg_connect.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace plinth::db {

std::string PgOneLine(absl::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, absl::ByAnyChar("\n\t"), absl::SkipWhitespace());
  std::string out;
  for (absl::string_view part : parts) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", part);
  }
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  return collapsed;
}

absl::StatusOr<std::string> PgWhere(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
  if (options == nullptr) {
    std::string msg = err ? PgOneLine(err) : "out of memory";
    PQfreemem(err);
    return absl::InvalidArgumentError(absl::StrCat("invalid PostgreSQL URL: ", msg));
  }
  std::string host, hostaddr, port, dbname, user;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    absl::string_view key = o->keyword;
    if (key == "host")
      host = o->val;
    else if (key == "hostaddr")
      hostaddr = o->val;
    else if (key == "port")
      port = o->val;
    else if (key == "dbname")
      dbname = o->val;
    else if (key == "user")
      user = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  if (port.empty()) port = "5432";
  if (dbname.empty()) dbname = user;
  return absl::StrCat(host, ":", port, "/", dbname);
}

absl::StatusOr<PGconn*> PgConnect(const std::string& url, const std::string& where,
                                  bool keepalive) {
  // Defaults first: the URL (expanded from dbname) may override them.
  std::vector<const char*> keys = {"connect_timeout", "application_name", "client_encoding"};
  std::vector<const char*> vals = {"10", "plinth", "UTF8"};
  if (keepalive) {
    for (const auto& [k, v] : {std::pair{"keepalives", "1"},
                               {"keepalives_idle", "5"},
                               {"keepalives_interval", "2"},
                               {"keepalives_count", "2"}}) {
      keys.push_back(k);
      vals.push_back(v);
    }
  }
  keys.push_back("dbname");
  vals.push_back(url.c_str());
  keys.push_back(nullptr);
  vals.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), vals.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PgOneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL at ", where, ": ", msg));
  }
  // NOTICEs ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

}  // namespace plinth::db
