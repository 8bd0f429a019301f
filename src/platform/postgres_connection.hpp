// The PostgreSQL client for the postgresql collector (issue 4, rule 8): a
// libpq connection to a loopback server that the config validator has
// already checked, made so that nothing but the agent's own values decides
// where it goes:
//   - PQconnectStartParams with expand_dbname = 0, so a database named
//     "host=evil dbname=x" or "postgresql://evil/x" is only a name;
//   - hostaddr pinned to the literal 127.0.0.1 or ::1 (host carries the
//     name for TLS only), so `localhost` is never looked up in DNS or NSS;
//   - every keyword that decides where and how it connects is set here,
//     so libpq's PG* environment defaults (PGHOST, PGHOSTADDR, PGPORT,
//     PGDATABASE, PGUSER, PGSSLMODE, PGGSSENCMODE, PGTARGETSESSIONATTRS,
//     PGOPTIONS, PGPASSFILE, PGAPPNAME, PGCLIENTENCODING, PGCHANNELBINDING,
//     PGCONNECT_TIMEOUT) never apply: libpq takes an environment variable
//     only for a keyword left unset. A service (PGSERVICE, PGSERVICEFILE,
//     PGSYSCONFDIR) likewise fills only unset keywords, so it cannot
//     re-point the connection either. Chosen values: sslmode=prefer (the
//     libpq default, made explicit), gssencmode=disable (no Kerberos on
//     loopback), target_session_attrs=any, channel_binding=prefer,
//     passfile=/dev/null (the password comes from the config or not at
//     all), client_encoding=UTF8, options "-c search_path=pg_catalog" (the
//     agent's catalogue queries cannot be shadowed by a schema, and
//     PGOPTIONS cannot add server settings), application_name
//     fivenines-agent, and a connect_timeout as a backstop.
//   - the connection handshake and every query end by a deadline.
// Client certificate files named by PGSSLCERT/PGSSLKEY are the one thing
// left to the environment (libpq has no way to switch them off but an
// empty value, which it ignores); they cannot change the address.
//
// Not thread-safe per connection; separate connections are independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

struct pg_conn;

namespace fivenines {

struct PostgresEndpoint {
  std::string host_name = "localhost";         // "localhost", "127.0.0.1" or "::1" (TLS name only)
  std::string pinned_address = "127.0.0.1";    // "127.0.0.1" or "::1": where the connection goes
  std::uint16_t port = 5432;
  std::string user = "postgres";               // non-empty: an empty one would let PGUSER apply
  std::string database = "postgres";           // non-empty, taken as a name only
  std::optional<std::string> password;         // secret; never in a message
};

// One row of a text-format result; nullopt for SQL NULL.
using PostgresRow = std::vector<std::optional<std::string>>;

class PostgresConnection {
 public:
  PostgresConnection(PostgresConnection&&) noexcept;
  PostgresConnection& operator=(PostgresConnection&&) noexcept;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;
  ~PostgresConnection();

  // Runs one statement without parameters and returns its rows (at most
  // max_rows; more is an ErrorKind::parse error). ErrorKind::timeout when
  // the deadline passes (the query is then cancelled), ErrorKind::io for a
  // server error.
  [[nodiscard]] Result<std::vector<PostgresRow>> query(const std::string& sql,
                                                       std::chrono::steady_clock::time_point deadline,
                                                       std::size_t max_rows = 10000);

  [[nodiscard]] int server_version() const;

 private:
  friend Result<PostgresConnection> postgres_connect(const PostgresEndpoint&, std::chrono::steady_clock::time_point);
  explicit PostgresConnection(pg_conn* connection);
  pg_conn* m_connection = nullptr;
};

// Connects by the rules above. Errors: ErrorKind::invalid_config (host name
// or pinned address not loopback, empty user or database, a NUL byte in a
// value), ErrorKind::timeout (deadline passed), ErrorKind::io (the server
// refused: the message is libpq's first line, which never holds the
// password).
[[nodiscard]] Result<PostgresConnection> postgres_connect(const PostgresEndpoint& endpoint,
                                                          std::chrono::steady_clock::time_point deadline);

}  // namespace fivenines
