#include "platform/postgres_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fivenines {

namespace {

Error refused(std::string reason) { return make_error(ErrorKind::invalid_config, "postgresql: " + std::move(reason)); }

// libpq's message as one bounded line: it may span lines ("connection to
// server ... failed: FATAL: ..."), and it never quotes the password.
std::string one_line(const char* text) {
  std::string out;
  for (const char* c = text; c != nullptr && *c != '\0' && out.size() < 512; ++c) {
    if (*c == '\n' || *c == '\r') {
      if (!out.empty() && c[1] != '\0') out += "; ";
      continue;
    }
    out += (static_cast<unsigned char>(*c) < 0x20) ? ' ' : *c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out.empty() ? std::string("unknown error") : out;
}

// Waits until the socket is ready for `events` or the deadline passes.
// Returns false on timeout.
bool wait_socket(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let libpq report the socket error
  }
}

bool has_nul(const std::string& text) { return text.find('\0') != std::string::npos; }

}  // namespace

PostgresConnection::PostgresConnection(pg_conn* connection) : m_connection(connection) {}

PostgresConnection::PostgresConnection(PostgresConnection&& other) noexcept
    : m_connection(std::exchange(other.m_connection, nullptr)) {}

PostgresConnection& PostgresConnection::operator=(PostgresConnection&& other) noexcept {
  if (this != &other) {
    if (m_connection != nullptr) PQfinish(m_connection);
    m_connection = std::exchange(other.m_connection, nullptr);
  }
  return *this;
}

PostgresConnection::~PostgresConnection() {
  if (m_connection != nullptr) PQfinish(m_connection);
}

int PostgresConnection::server_version() const {
  return m_connection == nullptr ? 0 : PQserverVersion(m_connection);
}

Result<PostgresConnection> postgres_connect(const PostgresEndpoint& endpoint,
                                            std::chrono::steady_clock::time_point deadline) {
  if (endpoint.host_name != "localhost" && endpoint.host_name != "127.0.0.1" && endpoint.host_name != "::1") {
    return refused("host is not localhost, 127.0.0.1 or ::1");
  }
  if (endpoint.pinned_address != "127.0.0.1" && endpoint.pinned_address != "::1") {
    return refused("pinned address is not 127.0.0.1 or ::1");
  }
  if (endpoint.port == 0) return refused("port is 0");
  // libpq skips an empty value and then falls back to PGUSER / PGDATABASE.
  if (endpoint.user.empty() || endpoint.database.empty()) return refused("empty user or database");
  if (has_nul(endpoint.user) || has_nul(endpoint.database) || (endpoint.password && has_nul(*endpoint.password))) {
    return refused("a value has a NUL byte");
  }

  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    return make_error(ErrorKind::timeout, "postgresql " + endpoint.pinned_address + ": deadline passed");
  }
  // A backstop only: libpq counts whole seconds and at least 2; the poll
  // loop below keeps the real deadline.
  const auto whole_seconds = std::chrono::ceil<std::chrono::seconds>(left).count();
  const std::string connect_timeout = std::to_string(std::max<long long>(2, whole_seconds));
  const std::string port = std::to_string(endpoint.port);

  std::vector<const char*> keywords = {"host",
                                       "hostaddr",
                                       "port",
                                       "dbname",
                                       "user",
                                       "passfile",
                                       "connect_timeout",
                                       "application_name",
                                       "sslmode",
                                       "gssencmode",
                                       "target_session_attrs",
                                       "channel_binding",
                                       "client_encoding",
                                       "options"};
  std::vector<const char*> values = {endpoint.host_name.c_str(),
                                     endpoint.pinned_address.c_str(),
                                     port.c_str(),
                                     endpoint.database.c_str(),
                                     endpoint.user.c_str(),
                                     "/dev/null",
                                     connect_timeout.c_str(),
                                     "fivenines-agent",
                                     "prefer",
                                     "disable",
                                     "any",
                                     "prefer",
                                     "UTF8",
                                     "-c search_path=pg_catalog"};
  if (endpoint.password && !endpoint.password->empty()) {
    keywords.push_back("password");
    values.push_back(endpoint.password->c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  const std::string where = "postgresql " + endpoint.pinned_address + ":" + port;
  PGconn* raw = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (raw == nullptr) return make_error(ErrorKind::internal, where + ": out of memory");
  PostgresConnection connection(raw);
  if (PQstatus(raw) == CONNECTION_BAD) return make_error(ErrorKind::io, where + ": " + one_line(PQerrorMessage(raw)));

  // libpq's non-blocking handshake: act as if the last poll said "writing".
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return make_error(ErrorKind::io, where + ": " + one_line(PQerrorMessage(raw)));
    }
    const int fd = PQsocket(raw);
    if (fd < 0) return make_error(ErrorKind::io, where + ": " + one_line(PQerrorMessage(raw)));
    const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!wait_socket(fd, events, deadline)) return make_error(ErrorKind::timeout, where + ": connect timed out");
    state = PQconnectPoll(raw);
  }
  return connection;
}

Result<std::vector<PostgresRow>> PostgresConnection::query(const std::string& sql,
                                                           std::chrono::steady_clock::time_point deadline,
                                                           std::size_t max_rows) {
  if (m_connection == nullptr) return make_error(ErrorKind::io, "postgresql: connection closed");
  if (has_nul(sql)) return make_error(ErrorKind::internal, "postgresql: query has a NUL byte");
  if (PQsendQuery(m_connection, sql.c_str()) != 1) {
    return make_error(ErrorKind::io, "postgresql: " + one_line(PQerrorMessage(m_connection)));
  }

  std::vector<PostgresRow> rows;
  std::optional<Error> failure;
  for (;;) {
    while (PQisBusy(m_connection) == 1) {
      if (!wait_socket(PQsocket(m_connection), POLLIN, deadline)) {
        // Ask the server to stop, then drop the connection: its state is
        // unknown and a later query must not read this one's answer.
        if (PGcancel* cancel = PQgetCancel(m_connection)) {
          std::array<char, 256> ignored{};
          PQcancel(cancel, ignored.data(), static_cast<int>(ignored.size()));
          PQfreeCancel(cancel);
        }
        PQfinish(m_connection);
        m_connection = nullptr;
        return make_error(ErrorKind::timeout, "postgresql: query timed out");
      }
      if (PQconsumeInput(m_connection) != 1) {
        return make_error(ErrorKind::io, "postgresql: " + one_line(PQerrorMessage(m_connection)));
      }
    }
    PGresult* result = PQgetResult(m_connection);
    if (result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && !failure) {
      const int row_count = PQntuples(result);
      const int column_count = PQnfields(result);
      if (rows.size() + static_cast<std::size_t>(row_count) > max_rows) {
        failure = make_error(ErrorKind::parse, "postgresql: more than " + std::to_string(max_rows) + " rows");
      } else {
        for (int r = 0; r < row_count; ++r) {
          PostgresRow row;
          row.reserve(static_cast<std::size_t>(column_count));
          for (int c = 0; c < column_count; ++c) {
            if (PQgetisnull(result, r, c) == 1) {
              row.emplace_back(std::nullopt);
            } else {
              row.emplace_back(std::string(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c))));
            }
          }
          rows.push_back(std::move(row));
        }
      }
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !failure) {
      failure = make_error(ErrorKind::io, "postgresql: " + one_line(PQresultErrorMessage(result)));
    }
    PQclear(result);
  }
  if (failure) return *failure;
  return rows;
}

}  // namespace fivenines
