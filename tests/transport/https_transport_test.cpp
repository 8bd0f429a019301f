// HttpsApiTransport against real servers on loopback: the scripted API
// (tests/servers/api_server.py) over TLS with a PKI made at test time, a DNS
// server for the test names, and a CONNECT proxy. The runs that need their
// own process (OPENSSL_CONF, a network namespace) are in https_isolated_test.
#include "transport/https_transport.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include <set>
#include <thread>

#include "transport/transport_test_support.hpp"
#include "util/log.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using testing::ApiServer;
using testing::ApiServerOptions;
using testing::header_value;
using testing::Json;
using testing::PortServer;
using testing::ScratchDir;
using testing::TestPki;

constexpr const char* k_token = "tok-3f9a8c2e5b7d4e1f";
constexpr const char* k_body = R"({"get_config": true, "version": "0.1.0"})";

class HttpsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = testing::missing_server_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (!TestPki::get().ok()) GTEST_SKIP() << "no test pki: " << TestPki::get().error();
    m_dns = std::make_unique<PortServer>(
        "dns_server.py",
        std::vector<std::string>{"--record", "api.test=127.0.0.1", "--record", "a.test=127.0.0.1", "--record",
                                 "a.test=::1", "--record", "v6only.test=::1", "--record", "aaaa.test=127.0.0.1",
                                 "--record", "aaaa.test=::1", "--record", "localhost.example.com=127.0.0.1"},
        m_dir.path(), "dns");
    ASSERT_TRUE(m_dns->ok()) << m_dns->error();
  }

  std::unique_ptr<ApiServer> start_api(ApiServerOptions options, const std::string& name = "api") {
    auto server = std::make_unique<ApiServer>(options, m_dir.path(), name);
    EXPECT_TRUE(server->ok()) << server->error();
    return server;
  }

  [[nodiscard]] HttpsTransportOptions options() const {
    HttpsTransportOptions options;
    options.ca_bundle_path = TestPki::get().ca();
    options.resolver.servers = "127.0.0.1:" + std::to_string(m_dns->port());
    return options;
  }

  std::unique_ptr<HttpsApiTransport> transport(const std::string& api_url, HttpsTransportOptions transport_options) {
    auto endpoint = parse_api_endpoint(api_url);
    EXPECT_TRUE(endpoint.has_value()) << api_url;
    auto made = HttpsApiTransport::create(*endpoint, std::move(transport_options));
    EXPECT_TRUE(made.has_value()) << (made ? "" : made.error().message);
    return made ? std::move(*made) : nullptr;
  }
  std::unique_ptr<HttpsApiTransport> transport(const std::string& api_url) { return transport(api_url, options()); }

  Result<ApiAnswer> post(ApiTransport& client, std::chrono::milliseconds timeout = 5000ms,
                         std::string_view token = k_token, std::string_view body = k_body) {
    return client.post_once("/collect", body, token, std::chrono::steady_clock::now() + timeout, m_stopping);
  }

  ScratchDir m_dir;
  std::unique_ptr<PortServer> m_dns;
  std::atomic<bool> m_stopping{false};
};

std::string api_url(const std::string& host, std::uint16_t port) { return host + ":" + std::to_string(port); }

// cert: a TestPki file stem ("good", "expired"...), empty for plain HTTP.
ApiServerOptions api_options(std::string cert = {}, Json script = nullptr, std::string bind = "127.0.0.1",
                             bool tls_max_1_1 = false) {
  ApiServerOptions options;
  options.cert = std::move(cert);
  options.script = std::move(script);
  options.bind = std::move(bind);
  options.tls_max_1_1 = tls_max_1_1;
  return options;
}

TEST_F(HttpsTransportTest, SendsTheContractHeadersAndAGzipBody) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  auto client = transport(api_url("api.test", api->port()));
  auto answer = post(*client);
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 200);
  EXPECT_EQ(answer->body, R"({"config": {}})");

  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  const Json& request = requests[0];
  EXPECT_EQ(request["method"], "POST");
  EXPECT_EQ(request["path"], "/collect");
  EXPECT_EQ(request["version"], "HTTP/1.1");
  EXPECT_EQ(request["gzip_ok"], true);
  EXPECT_EQ(request["body"], k_body);
  std::set<std::string> names;
  for (const auto& header : request["headers"]) names.insert(header[0].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"Host", "Accept-Encoding", "Content-Type", "Content-Encoding",
                                          "Authorization", "Content-Length"}))
      << request["headers"].dump();
  EXPECT_EQ(request["headers"].size(), 6U) << "a header was sent twice: " << request["headers"].dump();
  // TLS: the name only, even with a custom port (wire contract §1.3).
  EXPECT_EQ(header_value(request, "Host"), "api.test");
  EXPECT_EQ(header_value(request, "Accept-Encoding"), "identity");
  EXPECT_EQ(header_value(request, "Content-Type"), "application/json");
  EXPECT_EQ(header_value(request, "Content-Encoding"), "gzip");
  EXPECT_EQ(header_value(request, "Authorization"), std::string("Bearer ") + k_token);
  EXPECT_EQ(header_value(request, "Content-Length"), std::to_string(request["body_bytes"].get<int>()));
  // The server offers h2 first: only a client that offers nothing but
  // HTTP/1.1 ends up with it (libcurl alone would pick h2).
  EXPECT_EQ(request["alpn"], "http/1.1");
  EXPECT_TRUE(api->records("h2_refused").empty());
  EXPECT_EQ(request["sni"], "api.test");
  const std::string tls_version = request["tls_version"].get<std::string>();
  EXPECT_TRUE(tls_version == "TLSv1.2" || tls_version == "TLSv1.3") << tls_version;
}

TEST_F(HttpsTransportTest, PlainHttpOnlyForLoopbackHostsWithHostAndPort) {
  auto api = start_api(api_options());
  ASSERT_TRUE(api->ok());
  for (const std::string host : {"localhost", "LOCALHOST", "127.0.0.1"}) {
    auto client = transport(api_url(host, api->port()));
    auto answer = post(*client);
    ASSERT_TRUE(answer.has_value()) << host << ": " << answer.error().message;
    EXPECT_EQ(answer->http_status, 200);
  }
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(header_value(requests[0], "Host"), "localhost:" + std::to_string(api->port()));
  EXPECT_EQ(header_value(requests[2], "Host"), "127.0.0.1:" + std::to_string(api->port()));
  for (const auto& request : requests) {
    EXPECT_TRUE(request["tls_version"].is_null()) << "plain http expected";
    EXPECT_EQ(request["peer"], "127.0.0.1");  // localhost pinned to 127.0.0.1
    EXPECT_EQ(header_value(request, "Authorization"), std::string("Bearer ") + k_token);
    EXPECT_EQ(request["gzip_ok"], true);
  }
  EXPECT_TRUE(m_dns->records().empty()) << "localhost and literals are never looked up";
}

TEST_F(HttpsTransportTest, PlainHttpOverIpv6Loopback) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  auto api = start_api(api_options("", nullptr, "::1"));
  ASSERT_TRUE(api->ok());
  auto client = transport("[::1]:" + std::to_string(api->port()));
  auto answer = post(*client);
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "::1");
  EXPECT_EQ(header_value(requests[0], "Host"), "[::1]:" + std::to_string(api->port()));
}

TEST_F(HttpsTransportTest, LocalhostLookalikeNeverGoesOutInClearText) {
  auto api = start_api(api_options());  // a plain-HTTP server: only a TLS client fails here
  ASSERT_TRUE(api->ok());
  auto client = transport(api_url("localhost.example.com", api->port()));
  auto answer = post(*client);
  ASSERT_FALSE(answer.has_value()) << "plain http was used";
  EXPECT_EQ(answer.error().kind, ErrorKind::io);
  EXPECT_TRUE(api->records("request").empty());
}

TEST_F(HttpsTransportTest, IpLiteralUsesTlsAndChecksTheIpSan) {
  auto api = start_api(api_options("good", nullptr, "127.0.0.2"));
  if (!api->ok()) GTEST_SKIP() << "cannot bind 127.0.0.2: " << api->error();
  auto client = transport(api_url("127.0.0.2", api->port()));
  auto answer = post(*client);
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 200);
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(header_value(requests[0], "Host"), "127.0.0.2");
  EXPECT_TRUE(requests[0]["sni"].is_null()) << "an address is never sent as SNI (RFC 6066 §3)";
  EXPECT_TRUE(m_dns->records().empty());

  auto wrong = start_api(api_options("wrong_host", nullptr, "127.0.0.2"), "wrong");
  ASSERT_TRUE(wrong->ok());
  auto refused = post(*transport(api_url("127.0.0.2", wrong->port())));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("IP address mismatch"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(wrong->records("request").empty());
}

TEST_F(HttpsTransportTest, NonSuccessStatusIsAValueWithItsBody) {
  auto api = start_api(api_options("good", Json::array({{{"status", 500}, {"body", "internal oops"}}})));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("api.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 500);
  EXPECT_EQ(answer->body, "internal oops");
}

TEST_F(HttpsTransportTest, RedirectIsNotFollowed) {
  auto api = start_api(api_options("good", Json::array({{{"status", 302},
                                                {"headers", {{"Location", "https://api.test/elsewhere"}}},
                                                {"body", "moved"}},
                                               {{"status", 200}, {"json", {{"config", Json::object()}}}}})));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("api.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 302);
  EXPECT_EQ(answer->body, "moved");
  std::this_thread::sleep_for(200ms);
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["path"], "/collect");
}

TEST_F(HttpsTransportTest, AnswerOfExactlyTheCapIsKept) {
  auto api = start_api(api_options("good", Json::array({{{"body", "x"}, {"repeat", k_api_answer_max_bytes}, {"chunked", true}}})));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("api.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->body.size(), k_api_answer_max_bytes);
}

TEST_F(HttpsTransportTest, AnswerOverTheCapFailsWithoutBufferingIt) {
  // One byte over, announced (Content-Length) and not (chunked); then 10 MB.
  const Json script = Json::array({{{"body", "x"}, {"repeat", k_api_answer_max_bytes + 1}},
                                   {{"body", "x"}, {"repeat", k_api_answer_max_bytes + 1}, {"chunked", true}},
                                   {{"body", "x"}, {"repeat", 10'000'000}, {"chunked", true}},
                                   {{"body", "x"}, {"repeat", 10'000'000}}});
  auto api = start_api(api_options("good", script));
  ASSERT_TRUE(api->ok());
  auto client = transport(api_url("api.test", api->port()));
  for (int i = 0; i < 4; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto answer = post(*client, 20s);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(answer.has_value()) << "answer " << i << " accepted, " << answer->body.size() << " bytes";
    EXPECT_EQ(answer.error().kind, ErrorKind::parse) << answer.error().message;
    EXPECT_NE(answer.error().message.find("larger than 1048576 bytes"), std::string::npos) << answer.error().message;
    EXPECT_LT(elapsed, 3s) << "answer " << i;
  }
}

TEST_F(HttpsTransportTest, DrippedAnswerStopsAtTheDeadline) {
  auto api = start_api(api_options("good", Json::array({{{"body", R"({"config": {}})"}, {"drip_s", 1.0}}})));
  ASSERT_TRUE(api->ok());
  const auto started = std::chrono::steady_clock::now();
  auto answer = post(*transport(api_url("api.test", api->port())), 2500ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().kind, ErrorKind::timeout) << answer.error().message;
  EXPECT_GE(elapsed, 2400ms);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_EQ(api->records("request").size(), 1U);
}

TEST_F(HttpsTransportTest, SlowAnswerPastTheDeadlineTimesOut) {
  auto api = start_api(api_options("good", Json::array({{{"delay_s", 3}, {"json", {{"config", {}}}}}})));
  ASSERT_TRUE(api->ok());
  const auto started = std::chrono::steady_clock::now();
  auto answer = post(*transport(api_url("api.test", api->port())), 1000ms);
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().kind, ErrorKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1300ms);
}

TEST_F(HttpsTransportTest, StoppingAbortsAHungRequestPromptly) {
  auto api = start_api(api_options("good", Json::array({{{"hang", true}}})));
  ASSERT_TRUE(api->ok());
  auto client = transport(api_url("api.test", api->port()));
  std::thread stopper([&] {
    std::this_thread::sleep_for(500ms);
    m_stopping = true;
  });
  const auto started = std::chrono::steady_clock::now();
  auto answer = post(*client, 30s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  stopper.join();
  ASSERT_FALSE(answer.has_value());
  EXPECT_NE(answer.error().message.find("stopping"), std::string::npos) << answer.error().message;
  EXPECT_LT(elapsed, 800ms);
  // Already stopping: nothing is sent at all.
  auto again = post(*client, 30s);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(api->records("request").size(), 1U);
}

TEST_F(HttpsTransportTest, RefusesTokenAndPathThatCouldForgeHeaders) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  auto client = transport(api_url("api.test", api->port()));
  for (const std::string& token :
       std::vector<std::string>{"abc\r\nX-Evil: 1", "abc def", "abc\x7f", std::string("abc\0def", 7)}) {
    auto answer = post(*client, 5000ms, token);
    ASSERT_FALSE(answer.has_value());
    EXPECT_EQ(answer.error().kind, ErrorKind::invalid_config);
    EXPECT_EQ(answer.error().message.find("abc"), std::string::npos) << "the token was quoted";
  }
  for (const char* path : {"collect", "/collect x", "/col\r\nlect", ""}) {
    auto answer = client->post_once(path, k_body, k_token, std::chrono::steady_clock::now() + 5s, m_stopping);
    ASSERT_FALSE(answer.has_value()) << path;
    EXPECT_EQ(answer.error().kind, ErrorKind::invalid_config);
  }
  EXPECT_TRUE(api->records().empty());
}

// A: first; AAAA only when A gives nothing usable.
TEST_F(HttpsTransportTest, UsesTheARecordWhenPresent) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("a.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "127.0.0.1");
  const auto queries = m_dns->records();
  ASSERT_EQ(queries.size(), 1U) << "AAAA asked although A worked";
  EXPECT_EQ(queries[0]["type"], "A");
}

TEST_F(HttpsTransportTest, FallsBackToAaaaWhenThereIsNoARecord) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  auto api = start_api(api_options("good", nullptr, "::1"));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("v6only.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "::1");
  // Connected to the resolved address; SNI and the certificate check used the name.
  EXPECT_EQ(requests[0]["sni"], "v6only.test");
  EXPECT_EQ(header_value(requests[0], "Host"), "v6only.test");
  const auto queries = m_dns->records();
  ASSERT_EQ(queries.size(), 2U);
  EXPECT_EQ(queries[0]["type"], "A");
  EXPECT_EQ(queries[1]["type"], "AAAA");
}

TEST_F(HttpsTransportTest, FallsBackToAaaaWhenTheAAddressRefuses) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  // aaaa.test has A 127.0.0.1 (nothing listens there on this port) and AAAA ::1.
  auto api = start_api(api_options("good", nullptr, "::1"));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("aaaa.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "::1");
}

TEST_F(HttpsTransportTest, FallsBackToAaaaWhenTlsFailsOverTheAAddress) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  // aaaa.test: A 127.0.0.1 serves a certificate for another name; AAAA ::1 the right one (wire contract §1.1).
  auto api = start_api(api_options("good", nullptr, "::1"));
  ASSERT_TRUE(api->ok());
  ApiServerOptions wrong_options = api_options("wrong_host");
  wrong_options.port = api->port();
  auto wrong = start_api(wrong_options, "wrong");
  if (!wrong->ok()) GTEST_SKIP() << "port " << api->port() << " taken on 127.0.0.1";
  auto answer = post(*transport(api_url("aaaa.test", api->port())));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 200);
  ASSERT_TRUE(wrong->wait_for_records("tls_error", 1));
  EXPECT_TRUE(wrong->records("request").empty()) << "a request went to the certificate that failed";
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "::1");
  EXPECT_EQ(requests[0]["sni"], "aaaa.test");
}

TEST_F(HttpsTransportTest, SilentAAddressLeavesTimeForAaaa) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  // aaaa.test: A 127.0.0.1 accepts and then says nothing; AAAA ::1 answers.
  auto api = start_api(api_options("good", nullptr, "::1"));
  ASSERT_TRUE(api->ok());
  ApiServerOptions silent_options = api_options("good");
  silent_options.stall = true;
  silent_options.port = api->port();
  auto silent = start_api(silent_options, "silent");
  if (!silent->ok()) GTEST_SKIP() << "port " << api->port() << " taken on 127.0.0.1";
  const auto started = std::chrono::steady_clock::now();
  auto answer = post(*transport(api_url("aaaa.test", api->port())), 4000ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 200);
  EXPECT_EQ(silent->records("stalled").size(), 1U);
  ASSERT_EQ(api->records("request").size(), 1U);
  EXPECT_EQ(api->records("request")[0]["peer"], "::1");
  EXPECT_GE(elapsed, 1900ms);  // the A attempt had half of the 4 s
  EXPECT_LT(elapsed, 3500ms);
}

TEST_F(HttpsTransportTest, SilentServerTimesOutInTheConnectPhase) {
  ApiServerOptions options = api_options("good", nullptr, "127.0.0.2");
  options.stall = true;
  auto silent = start_api(options);
  if (!silent->ok()) GTEST_SKIP() << "cannot bind 127.0.0.2: " << silent->error();
  const auto started = std::chrono::steady_clock::now();
  auto answer = post(*transport(api_url("127.0.0.2", silent->port())), 1500ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  // 127.0.0.2 is a literal, so there is no AAAA to fall back to: all 1.5 s for connecting.
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().kind, ErrorKind::timeout);
  EXPECT_GE(elapsed, 1400ms);
  EXPECT_LT(elapsed, 1900ms);
}

TEST_F(HttpsTransportTest, LocalhostIsPinnedToIpv4) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no ::1 on this host";
  auto api = start_api(api_options("", nullptr, "::1"));  // plain HTTP on ::1 only
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("localhost", api->port())));
  ASSERT_FALSE(answer.has_value()) << "localhost reached ::1";
  EXPECT_TRUE(api->records().empty());
  auto direct = post(*transport("[::1]:" + std::to_string(api->port())));
  ASSERT_TRUE(direct.has_value()) << direct.error().message;
}

TEST_F(HttpsTransportTest, UnknownNameFailsNamingBothLookups) {
  auto answer = post(*transport("nx.test:443"));
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().message,
            "resolve nx.test (A): no such name; resolve nx.test (AAAA): no such name");
}

TEST_F(HttpsTransportTest, DebugLogNamesFamilyAndAddressButNeverTheToken) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  auto bad = start_api(api_options("self_signed"), "bad");
  ASSERT_TRUE(bad->ok());
  const LogLevel before = log_level();
  set_log_level(LogLevel::debug);
  ::testing::internal::CaptureStderr();
  auto good_answer = post(*transport(api_url("api.test", api->port())));
  auto bad_answer = post(*transport(api_url("api.test", bad->port())));
  const std::string logged = ::testing::internal::GetCapturedStderr();
  set_log_level(before);
  ASSERT_TRUE(good_answer.has_value());
  ASSERT_FALSE(bad_answer.has_value());
  EXPECT_NE(logged.find("api api.test:" + std::to_string(api->port()) + ": using A 127.0.0.1"), std::string::npos)
      << logged;
  EXPECT_EQ(logged.find(k_token), std::string::npos) << logged;
  EXPECT_EQ(bad_answer.error().message.find(k_token), std::string::npos);
}

// --- TLS refusals: the handshake fails, so no request (no payload, no token) reaches the server.

struct Refusal {
  const char* cert;
  bool tls_max_1_1;
  const char* reason;  // in the error message
};

void PrintTo(const Refusal& refusal, std::ostream* out) { *out << refusal.cert << (refusal.tls_max_1_1 ? " tls 1.1" : ""); }

class TlsRefusal : public HttpsTransportTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(TlsRefusal, HandshakeFailsBeforeAnyRequestByte) {
  const Refusal& refusal = GetParam();
  auto api = start_api(api_options(refusal.cert, nullptr, "127.0.0.1", refusal.tls_max_1_1));
  ASSERT_TRUE(api->ok());
  auto answer = post(*transport(api_url("api.test", api->port())));
  ASSERT_FALSE(answer.has_value()) << refusal.cert << " was accepted";
  EXPECT_EQ(answer.error().kind, ErrorKind::io);
  EXPECT_NE(answer.error().message.find(refusal.reason), std::string::npos) << answer.error().message;
  EXPECT_EQ(answer.error().message.find(k_token), std::string::npos);
  EXPECT_EQ(answer.error().message.find('\n'), std::string::npos);
  ASSERT_TRUE(api->wait_for_records("tls_error", 1)) << "the client never reached the server";
  EXPECT_TRUE(api->records("request").empty()) << "a request got through";
}

INSTANTIATE_TEST_SUITE_P(
    Certificates, TlsRefusal,
    ::testing::Values(Refusal{"self_signed", false, "self-signed certificate"},
                      Refusal{"unknown_ca", false, "unable to get local issuer certificate"},
                      Refusal{"wrong_host", false, "hostname mismatch"},
                      Refusal{"expired", false, "certificate has expired"},
                      Refusal{"not_yet_valid", false, "certificate is not yet valid"},
                      Refusal{"cn_only", false, "hostname mismatch"},
                      Refusal{"non_ca_chain", false, "invalid CA certificate"},
                      Refusal{"rsa1024", false, "key too weak"},
                      Refusal{"good", true, "protocol version"}),
    [](const ::testing::TestParamInfo<Refusal>& param_info) {
      return std::string(param_info.param.cert) + (param_info.param.tls_max_1_1 ? "_tls_1_1_only" : "");
    });

// TLS 1.2 suites the agent offers are AEAD with forward secrecy only: a
// server that offers only a CBC suite, or only RSA key exchange, is refused
// before any request byte, and one that offers a good suite among bad ones
// is still reached (TLS 1.3's suites all qualify).
TEST_F(HttpsTransportTest, Tls12SuitesWithoutForwardSecrecyOrAeadAreRefused) {
  struct Offer {
    const char* cert;
    const char* suites;
  };
  int servers = 0;  // each server its own record file
  // CBC suites with forward secrecy (EC key), then RSA key exchange, GCM or
  // CBC (RSA key): each accepted by libcurl's and OpenSSL's defaults at
  // security level 2.
  for (const Offer offer : {Offer{"good", "ECDHE-ECDSA-AES128-SHA256"}, Offer{"good", "ECDHE-ECDSA-AES256-SHA"},
                            Offer{"good_rsa", "ECDHE-RSA-AES128-SHA256"}, Offer{"good_rsa", "AES256-GCM-SHA384"},
                            Offer{"good_rsa", "AES128-SHA"}}) {
    auto options = api_options(offer.cert);
    options.tls12_ciphers = offer.suites;
    auto api = start_api(options, "api" + std::to_string(++servers));
    ASSERT_TRUE(api->ok()) << offer.suites;
    auto answer = post(*transport(api_url("api.test", api->port())));
    ASSERT_FALSE(answer.has_value()) << offer.suites << " was accepted";
    EXPECT_EQ(answer.error().message.find(k_token), std::string::npos);
    ASSERT_TRUE(api->wait_for_records("tls_error", 1)) << offer.suites << ": the client never reached the server";
    EXPECT_TRUE(api->records("request").empty()) << offer.suites << ": a request got through";
  }
  for (const Offer offer : {Offer{"good", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256"},
                            Offer{"good", "ECDHE-ECDSA-CHACHA20-POLY1305"},
                            Offer{"good_rsa", "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384"}}) {
    auto options = api_options(offer.cert);
    options.tls12_ciphers = offer.suites;
    auto api = start_api(options, "api" + std::to_string(++servers));
    ASSERT_TRUE(api->ok()) << offer.suites;
    auto answer = post(*transport(api_url("api.test", api->port())));
    ASSERT_TRUE(answer.has_value()) << offer.suites << ": " << answer.error().message;
    const auto requests = api->records("request");
    ASSERT_EQ(requests.size(), 1u) << offer.suites;
    EXPECT_EQ(requests[0]["tls_version"], "TLSv1.2") << offer.suites;
  }
}

// --- proxy

TEST_F(HttpsTransportTest, TunnelsThroughTheProxyWithTlsEndToEnd) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  PortServer proxy("connect_proxy.py",
                   {"--map", "api.test=127.0.0.1", "--capture", (m_dir.path() / "tunnel.bin").string()},
                   m_dir.path(), "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  auto transport_options = options();
  transport_options.proxy.https_proxy = ProxyUrl{"127.0.0.1", proxy.port(), "agent", "s3cret", false};
  transport_options.proxy.no_proxy = parse_no_proxy("other.test,10.0.0.0/8");
  auto answer = post(*transport(api_url("api.test", api->port()), transport_options));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->http_status, 200);

  ASSERT_TRUE(proxy.wait_for_records("connect", 1));
  const auto tunnels = proxy.records("connect");
  ASSERT_EQ(tunnels.size(), 1U);
  EXPECT_EQ(tunnels[0]["target"], api_url("api.test", api->port()));
  EXPECT_FALSE(header_value(tunnels[0], "Authorization").has_value()) << "api headers leaked into CONNECT";
  EXPECT_EQ(header_value(tunnels[0], "Proxy-Authorization"), "Basic YWdlbnQ6czNjcmV0");  // agent:s3cret
  // Only ciphertext went through: a TLS record first, and no token bytes.
  const std::string tunnel = testing::read_whole_file(m_dir.path() / "tunnel.bin");
  ASSERT_GE(tunnel.size(), 3U);
  EXPECT_EQ(static_cast<unsigned char>(tunnel[0]), 0x16);  // TLS handshake record
  EXPECT_EQ(static_cast<unsigned char>(tunnel[1]), 0x03);
  EXPECT_EQ(tunnel.find(k_token), std::string::npos);
  EXPECT_EQ(tunnel.find("get_config"), std::string::npos);

  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(header_value(requests[0], "Authorization"), std::string("Bearer ") + k_token);
  EXPECT_EQ(requests[0]["body"], k_body);
  EXPECT_EQ(requests[0]["sni"], "api.test");
  EXPECT_EQ(requests[0]["alpn"], "http/1.1");
  EXPECT_TRUE(m_dns->records().empty()) << "through a proxy, dns is the proxy's job";
}

TEST_F(HttpsTransportTest, CertificateIsStillVerifiedThroughTheProxy) {
  auto api = start_api(api_options("wrong_host"));
  ASSERT_TRUE(api->ok());
  PortServer proxy("connect_proxy.py", {"--map", "api.test=127.0.0.1"}, m_dir.path(), "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  auto transport_options = options();
  transport_options.proxy.https_proxy = ProxyUrl{"127.0.0.1", proxy.port(), "", "", false};
  auto answer = post(*transport(api_url("api.test", api->port()), transport_options));
  ASSERT_FALSE(answer.has_value());
  EXPECT_NE(answer.error().message.find("hostname mismatch"), std::string::npos) << answer.error().message;
  ASSERT_TRUE(api->wait_for_records("tls_error", 1));
  EXPECT_TRUE(api->records("request").empty());
}

TEST_F(HttpsTransportTest, NoProxyMatchBypassesTheProxy) {
  auto api = start_api(api_options("good"));
  ASSERT_TRUE(api->ok());
  PortServer proxy("connect_proxy.py", {"--map", "api.test=127.0.0.1"}, m_dir.path(), "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  for (const char* rules : {"api.test", ".test", "*", "x.test, API.TEST"}) {
    auto transport_options = options();
    transport_options.proxy.https_proxy = ProxyUrl{"127.0.0.1", proxy.port(), "", "", false};
    transport_options.proxy.no_proxy = parse_no_proxy(rules);
    auto answer = post(*transport(api_url("api.test", api->port()), transport_options));
    ASSERT_TRUE(answer.has_value()) << rules << ": " << answer.error().message;
  }
  EXPECT_EQ(api->records("request").size(), 4U);
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(proxy.records().empty()) << proxy.records()[0].dump();
}

TEST_F(HttpsTransportTest, ProxyIsNeverUsedForThePlainLoopbackApi) {
  auto api = start_api(api_options());
  ASSERT_TRUE(api->ok());
  PortServer proxy("connect_proxy.py", {}, m_dir.path(), "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  auto transport_options = options();
  transport_options.proxy.https_proxy = ProxyUrl{"127.0.0.1", proxy.port(), "", "", false};
  auto answer = post(*transport(api_url("localhost", api->port()), transport_options));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_TRUE(proxy.records().empty());
}

// --- the TLS policy itself, on an SSL_CTX as a permissive openssl.cnf leaves it

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

SslCtx permissive_context() {
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(ctx.get()), 0);
  return ctx;
}

TEST(TlsPolicy, OverridesAPermissiveContext) {
  SslCtx ctx = permissive_context();
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(enforce_tls_policy(ctx.get(), "api.test", false));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_security_level(ctx.get()), 2);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_PEER);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
  EXPECT_NE(X509_VERIFY_PARAM_get_hostflags(param) & X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, 0U)
      << "the common name would be checked when there is no subjectAltName";
  ASSERT_NE(X509_VERIFY_PARAM_get0_host(param, 0), nullptr);
  EXPECT_STREQ(X509_VERIFY_PARAM_get0_host(param, 0), "api.test");
  // Every TLS 1.2 suite left has ECDHE key exchange and an AEAD cipher.
  STACK_OF(SSL_CIPHER)* suites = SSL_CTX_get_ciphers(ctx.get());
  ASSERT_NE(suites, nullptr);
  int tls12_suites = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(suites); ++i) {
    const SSL_CIPHER* suite = sk_SSL_CIPHER_value(suites, i);
    if (SSL_CIPHER_get_kx_nid(suite) == NID_kx_any) continue;  // a TLS 1.3 suite
    ++tls12_suites;
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(suite), NID_kx_ecdhe) << SSL_CIPHER_get_name(suite);
    EXPECT_TRUE(SSL_CIPHER_is_aead(suite)) << SSL_CIPHER_get_name(suite);
  }
  EXPECT_GE(tls12_suites, 4);  // ECDSA and RSA, each with AES-GCM and ChaCha20

  // "0" is OpenSSL's "lowest supported version": raised too.
  SslCtx lowest = permissive_context();
  ASSERT_TRUE(lowest);
  SSL_CTX_set_min_proto_version(lowest.get(), 0);
  ASSERT_TRUE(enforce_tls_policy(lowest.get(), "api.test", false));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(lowest.get()), TLS1_2_VERSION);
}

TEST(TlsPolicy, KeepsAStricterConfigurationAndChecksAnIpLiteralAsAnAddress) {
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_TRUE(ctx);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_security_level(ctx.get(), 3);
  ASSERT_TRUE(enforce_tls_policy(ctx.get(), "127.0.0.2", true));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_security_level(ctx.get()), 3);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
  EXPECT_EQ(X509_VERIFY_PARAM_get0_host(param, 0), nullptr) << "an address is not a dns name";
  char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
  ASSERT_NE(ip, nullptr);
  EXPECT_STREQ(ip, "127.0.0.2");
  OPENSSL_free(ip);
  EXPECT_FALSE(enforce_tls_policy(ctx.get(), "not an address", true));
  EXPECT_FALSE(enforce_tls_policy(nullptr, "api.test", false));
}

TEST(HttpsTransportOptions, FromEnvironment) {
  ::setenv("SSL_CERT_FILE", "/nonexistent/ca.pem", 1);
  auto missing = https_options_from_environment();
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "ssl_cert_file /nonexistent/ca.pem: not a readable regular file");
  ScratchDir dir;
  const std::string bundle = (dir.path() / "bundle.pem").string();
  testing::write_whole_file(bundle, "not checked here\n");
  ::setenv("SSL_CERT_FILE", bundle.c_str(), 1);
  ::setenv("https_proxy", "http://user:pw@proxy.corp:3128", 1);
  ::setenv("NO_PROXY", ".corp", 1);
  auto options = https_options_from_environment();
  ::unsetenv("SSL_CERT_FILE");
  ::unsetenv("https_proxy");
  ::unsetenv("NO_PROXY");
  ASSERT_TRUE(options.has_value()) << options.error().message;
  EXPECT_EQ(options->ca_bundle_path, bundle);
  ASSERT_TRUE(options->proxy.https_proxy.has_value());
  EXPECT_EQ(options->proxy.https_proxy->url(), "http://proxy.corp:3128");
  EXPECT_EQ(proxy_for_host(options->proxy, "api.corp"), nullptr);
  EXPECT_NE(proxy_for_host(options->proxy, "api.fivenines.io"), nullptr);
}

}  // namespace
}  // namespace fivenines
