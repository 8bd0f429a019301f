// The PostgreSQL client (issue 4, rule 8) against a real PostgreSQL server
// the test initialises and starts on 127.0.0.1 and ::1 (as 'nobody' when
// run as root), with canary listeners on 127.0.0.2 that must never see a
// connection from it. Each "naive client" control makes the same attempt
// the way an ordinary libpq caller would, and the canary does get it: so
// the canary would catch a regression.
#include "platform/postgres_connection.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <fstream>

#include "support/loopback_servers.hpp"

namespace fivenines {
namespace {

using testing::CanaryListener;
using testing::PostgresServer;
using namespace std::chrono_literals;

constexpr const char* k_password = "s3cret-Pg pass";

class PostgresConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::postgres_bin_dir().empty()) s_server = new PostgresServer(k_password);
  }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
  }
  void SetUp() override {
    // Absent binaries are the one reason to skip; CI installs them.
    if (s_server == nullptr) GTEST_SKIP() << "postgresql server not installed (Debian package postgresql)";
    ASSERT_NE(s_server->port(), 0) << s_server->error();
  }

  static PostgresEndpoint endpoint(const std::string& host_name = "localhost",
                                   const std::string& pinned = "127.0.0.1") {
    PostgresEndpoint e;
    e.host_name = host_name;
    e.pinned_address = pinned;
    e.port = static_cast<std::uint16_t>(s_server->port());
    e.user = "postgres";
    e.database = "postgres";
    e.password = k_password;
    return e;
  }

  static std::chrono::steady_clock::time_point soon(std::chrono::milliseconds in = 10s) {
    return std::chrono::steady_clock::now() + in;
  }

  // What the server says about the session: database, user, server
  // address, and the settings the agent chose.
  static std::string session(PostgresConnection& connection) {
    auto rows = connection.query(
        "select current_database(), current_user, host(inet_server_addr()), current_setting('application_name'), "
        "current_setting('search_path'), current_setting('client_encoding')",
        soon());
    if (!rows) return "error: " + rows.error().message;
    std::string out;
    for (const auto& value : rows->at(0)) out += (out.empty() ? "" : "|") + value.value_or("NULL");
    return out;
  }

  static PostgresServer* s_server;
};

PostgresServer* PostgresConnectionTest::s_server = nullptr;

// A naive libpq caller: PQconnectdbParams with the given keywords only.
void naive_connect(std::vector<std::pair<const char*, std::string>> params, int expand_dbname) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : params) {
    keys.push_back(key);
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PQfinish(PQconnectdbParams(keys.data(), values.data(), expand_dbname));
}

TEST_F(PostgresConnectionTest, ConnectsPinnedWithPasswordAndItsOwnSettings) {
  auto connection = postgres_connect(endpoint(), soon());
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(session(*connection), "postgres|postgres|127.0.0.1|fivenines-agent|pg_catalog|UTF8");
  EXPECT_GE(connection->server_version(), 100000);
}

TEST_F(PostgresConnectionTest, Ipv6AndLocalhostGoToThePinnedLiteral) {
  auto v6 = postgres_connect(endpoint("::1", "::1"), soon());
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(session(*v6), "postgres|postgres|::1|fivenines-agent|pg_catalog|UTF8");
  // The name "localhost" is not looked up: the connection goes where the
  // pinned address says.
  auto named = postgres_connect(endpoint("localhost", "::1"), soon());
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(session(*named), "postgres|postgres|::1|fivenines-agent|pg_catalog|UTF8");
}

TEST_F(PostgresConnectionTest, WrongPasswordFailsWithoutQuotingIt) {
  auto e = endpoint();
  e.password = "wrong-password-value";
  auto connection = postgres_connect(e, soon());
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().kind, ErrorKind::io);
  EXPECT_NE(connection.error().message.find("password authentication failed"), std::string::npos)
      << connection.error().message;
  EXPECT_EQ(connection.error().message.find("wrong-password-value"), std::string::npos);
  EXPECT_EQ(connection.error().message.find('\n'), std::string::npos);
}

TEST_F(PostgresConnectionTest, DatabaseNamesThatLookLikeConnectionStringsDoNotRepoint) {
  auto canary = CanaryListener::tcp("127.0.0.2");
  ASSERT_TRUE(canary.ok()) << "cannot listen on 127.0.0.2";
  const std::string port = std::to_string(canary.port());
  for (const std::string& name :
       {"host=127.0.0.2 port=" + port + " dbname=x", "hostaddr=127.0.0.2 port=" + port + " dbname=x",
        "postgresql://127.0.0.2:" + port + "/x", "postgres://127.0.0.2:" + port + "/x",
        "postgresql:///x?hostaddr=127.0.0.2&port=" + port}) {
    auto e = endpoint();
    e.database = name;
    auto connection = postgres_connect(e, soon());
    ASSERT_FALSE(connection) << name;
    // The real server on 127.0.0.1 answered, about a database of that name.
    EXPECT_NE(connection.error().message.find("database \"" + name + "\" does not exist"), std::string::npos)
        << connection.error().message;
  }
  EXPECT_EQ(canary.connections(), 0);

  // Control: the same keywords with expand_dbname on are re-pointed.
  naive_connect({{"host", "localhost"},
                 {"hostaddr", "127.0.0.1"},
                 {"port", std::to_string(s_server->port())},
                 {"dbname", "hostaddr=127.0.0.2 port=" + port + " dbname=x connect_timeout=2"},
                 {"user", "postgres"}},
                1);
  EXPECT_GE(canary.connections(), 1);
}

TEST_F(PostgresConnectionTest, PgEnvironmentCannotRepointOrReconfigure) {
  auto canary = CanaryListener::tcp("127.0.0.2");
  ASSERT_TRUE(canary.ok()) << "cannot listen on 127.0.0.2";
  const std::string port = std::to_string(canary.port());
  char service_file[] = "/tmp/fivenines-pgservice-XXXXXX";
  const int fd = ::mkstemp(service_file);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(service_file) << "[evil]\nhost=127.0.0.2\nhostaddr=127.0.0.2\nport=" << port
                              << "\nsslmode=require\noptions=-c search_path=evil\n";
  const std::vector<std::pair<const char*, std::string>> environment = {
      {"PGHOST", "127.0.0.2"},
      {"PGHOSTADDR", "127.0.0.2"},
      {"PGPORT", port},
      {"PGDATABASE", "evil"},
      {"PGUSER", "evil"},
      {"PGPASSWORD", "wrong"},
      {"PGSERVICE", "evil"},
      {"PGSERVICEFILE", service_file},
      {"PGSSLMODE", "require"},
      {"PGREQUIRESSL", "1"},
      {"PGGSSENCMODE", "require"},
      {"PGTARGETSESSIONATTRS", "read-only"},
      {"PGCHANNELBINDING", "require"},
      {"PGOPTIONS", "-c search_path=evil"},
      {"PGAPPNAME", "evil"},
      {"PGCLIENTENCODING", "LATIN1"},
      {"PGPASSFILE", service_file},
      {"PGCONNECT_TIMEOUT", "1"},
  };
  for (const auto& [name, value] : environment) ::setenv(name, value.c_str(), 1);

  auto connection = postgres_connect(endpoint(), soon());
  const std::string seen = connection ? session(*connection) : "error: " + connection.error().message;

  // Control: a caller that leaves keywords unset gets them from the
  // environment and lands on the canary.
  naive_connect({{"connect_timeout", "2"}}, 0);
  for (const auto& [name, value] : environment) ::unsetenv(name);
  ::unlink(service_file);

  EXPECT_EQ(seen, "postgres|postgres|127.0.0.1|fivenines-agent|pg_catalog|UTF8");
  EXPECT_GE(canary.connections(), 1);
}

TEST_F(PostgresConnectionTest, RefusesEndpointsOutsideTheRules) {
  auto canary = CanaryListener::tcp("127.0.0.2");
  ASSERT_TRUE(canary.ok()) << "cannot listen on 127.0.0.2";
  const auto refused = [&](PostgresEndpoint e) {
    e.port = static_cast<std::uint16_t>(canary.port());
    auto connection = postgres_connect(e, soon(2s));
    return !connection && connection.error().kind == ErrorKind::invalid_config;
  };
  auto e = endpoint();
  e.pinned_address = "127.0.0.2";
  EXPECT_TRUE(refused(e));
  e = endpoint("127.0.0.2");
  EXPECT_TRUE(refused(e));
  e = endpoint("evil.example");
  EXPECT_TRUE(refused(e));
  e = endpoint("[::1]", "::1");
  EXPECT_TRUE(refused(e));
  e = endpoint();
  e.user = "";  // libpq would take PGUSER
  EXPECT_TRUE(refused(e));
  e = endpoint();
  e.database = "";  // libpq would take PGDATABASE
  EXPECT_TRUE(refused(e));
  e = endpoint();
  e.password = std::string("pass\0word", 9);
  EXPECT_TRUE(refused(e));
  EXPECT_EQ(canary.connections(), 0);
}

TEST_F(PostgresConnectionTest, DeadlineBoundsTheHandshakeAndQueries) {
  // A listener that never accepts: the kernel completes the TCP handshake,
  // and the startup packet is never answered.
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  socklen_t length = sizeof sa;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(silent, 4), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&sa), &length), 0);
  auto e = endpoint();
  e.port = ntohs(sa.sin_port);
  auto start = std::chrono::steady_clock::now();
  auto stuck = postgres_connect(e, soon(300ms));
  ::close(silent);
  ASSERT_FALSE(stuck);
  EXPECT_EQ(stuck.error().kind, ErrorKind::timeout) << stuck.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  auto connection = postgres_connect(endpoint(), soon());
  ASSERT_TRUE(connection) << connection.error().message;
  start = std::chrono::steady_clock::now();
  auto slow = connection->query("select pg_sleep(10)", soon(300ms));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().kind, ErrorKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  // The connection is dropped after a timeout, never reused mid-answer.
  auto after = connection->query("select 1", soon());
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().message, "postgresql: connection closed");
}

TEST_F(PostgresConnectionTest, QueryResultsErrorsAndRowCap) {
  auto connection = postgres_connect(endpoint(), soon());
  ASSERT_TRUE(connection) << connection.error().message;
  auto rows = connection->query("select 'a', null::text union all select 'b', 'c'", soon());
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0], std::optional<std::string>("a"));
  EXPECT_EQ((*rows)[0][1], std::nullopt);
  EXPECT_EQ((*rows)[1][1], std::optional<std::string>("c"));

  auto bad = connection->query("select * from no_such_table", soon());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::io);
  EXPECT_NE(bad.error().message.find("relation \"no_such_table\" does not exist"), std::string::npos)
      << bad.error().message;

  auto capped = connection->query("select generate_series(1, 20)", soon(), 10);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().message, "postgresql: more than 10 rows");
  // Still usable after a server error and after the cap.
  auto one = connection->query("select 1", soon());
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ((*one)[0][0], std::optional<std::string>("1"));
}

}  // namespace
}  // namespace fivenines
