// The loopback HTTP client against a real HTTP server the test starts on
// 127.0.0.1 (tests/servers/loopback_http_server.py) and canary listeners
// that must never see a connection.
#include "platform/loopback_http.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/loopback_servers.hpp"

namespace fivenines {
namespace {

using testing::CanaryListener;
using testing::SpawnedServer;
using namespace std::chrono_literals;

class LoopbackHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server = std::make_unique<SpawnedServer>("loopback_http_server.py", std::vector<std::string>{});
    if (m_server->port() == 0) GTEST_SKIP() << "loopback HTTP server: " << m_server->error();
  }

  [[nodiscard]] std::string url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(m_server->port()) + target;
  }

  static LoopbackHttpRequest request(std::string url, std::chrono::milliseconds timeout = 5000ms) {
    LoopbackHttpRequest r;
    r.url = std::move(url);
    r.pinned_address = "127.0.0.1";
    r.deadline = std::chrono::steady_clock::now() + timeout;
    return r;
  }

  std::unique_ptr<SpawnedServer> m_server;
};

TEST_F(LoopbackHttp, GetsStatusBodyAndHeaders) {
  auto response = loopback_http_get(request(url("/status")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Active connections: 1\nserver accepts handled requests\n 1 1 1\n");
  EXPECT_EQ(response->header("server"), std::optional<std::string>("nginx/1.25.0"));
  EXPECT_EQ(response->header("content-type"), std::optional<std::string>("text/plain"));
}

TEST_F(LoopbackHttp, LocalhostIsPinnedNotLookedUp) {
  // "localhost" goes to the pinned literal; the Host header keeps the name.
  auto response = loopback_http_get(request(url("/echo-headers", "localhost")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("GET /echo-headers HTTP/1.1\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("Host: localhost:" + std::to_string(m_server->port())), std::string::npos)
      << response->body;
}

TEST_F(LoopbackHttp, SendsExtraHeadersAndRefusesHeaderInjection) {
  auto r = request(url("/echo-headers"));
  r.headers = {"Authorization: PVEAPIToken=a@pam!b=c"};
  auto response = loopback_http_get(r);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_NE(response->body.find("Authorization: PVEAPIToken=a@pam!b=c"), std::string::npos);

  r.headers = {"X-A: 1\r\nX-Injected: 1"};
  auto refused = loopback_http_get(r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_config);
}

TEST_F(LoopbackHttp, RedirectToFileIsNotFollowed) {
  auto response = loopback_http_get(request(url("/redirect?to=file:///etc/passwd")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->body, "moved\n");
  EXPECT_EQ(response->header("location"), std::optional<std::string>("file:///etc/passwd"));
  EXPECT_EQ(response->body.find("root:"), std::string::npos);
}

TEST_F(LoopbackHttp, RedirectToGopherOrHttpIsNotFollowed) {
  // A Redis stand-in on loopback: a followed gopher:// redirect would
  // connect to it and send commands.
  auto redis = CanaryListener::tcp("127.0.0.1");
  ASSERT_TRUE(redis.ok());
  const std::string gopher = "gopher://127.0.0.1:" + std::to_string(redis.port()) + "/_FLUSHALL";
  auto response = loopback_http_get(request(url("/redirect?to=" + gopher)));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  const std::string http = "http://127.0.0.1:" + std::to_string(redis.port()) + "/";
  auto second = loopback_http_get(request(url("/redirect?to=" + http)));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 302);
  EXPECT_EQ(redis.connections(), 0);
}

TEST_F(LoopbackHttp, ProxyEnvironmentIsIgnored) {
  auto proxy = CanaryListener::tcp("127.0.0.1");
  ASSERT_TRUE(proxy.ok());
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
    ::setenv(name, proxy_url.c_str(), 1);
  }
  ::unsetenv("NO_PROXY");
  ::unsetenv("no_proxy");
  auto response = loopback_http_get(request(url("/status")));
  auto localhost = loopback_http_get(request(url("/status", "localhost")));
  for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
    ::unsetenv(name);
  }
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  ASSERT_TRUE(localhost) << localhost.error().message;
  EXPECT_EQ(localhost->status, 200);
  EXPECT_EQ(proxy.connections(), 0);
}

TEST_F(LoopbackHttp, BodyOverTheCapIsRefused) {
  auto big = loopback_http_get(request(url("/big?bytes=2097152")));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::parse);
  EXPECT_EQ(big.error().message, "GET " + url("/big?bytes=2097152") + ": body larger than 1048576 bytes");

  // No Content-Length: the write callback stops it.
  auto chunked = loopback_http_get(request(url("/big-chunked?bytes=2097152")));
  ASSERT_FALSE(chunked);
  EXPECT_EQ(chunked.error().kind, ErrorKind::parse);

  auto exact = loopback_http_get(request(url("/big?bytes=1048576")));
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->body.size(), 1048576u);

  auto small_cap = request(url("/status"));
  small_cap.max_body_bytes = 10;
  EXPECT_EQ(loopback_http_get(small_cap).error().kind, ErrorKind::parse);
}

TEST_F(LoopbackHttp, HeadersOverTheCapAreRefused) {
  auto response = loopback_http_get(request(url("/big-headers")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::parse);
}

TEST_F(LoopbackHttp, DeadlineBoundsTheRequest) {
  const auto start = std::chrono::steady_clock::now();
  auto response = loopback_http_get(request(url("/slow?seconds=5"), 300ms));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::timeout);
  EXPECT_LT(took, 2s);

  auto past = request(url("/status"));
  past.deadline = std::chrono::steady_clock::now() - 1ms;
  EXPECT_EQ(loopback_http_get(past).error().kind, ErrorKind::timeout);
}

TEST_F(LoopbackHttp, StopFlagAbortsTheRequest) {
  std::atomic<bool> stopping{false};
  auto r = request(url("/slow?seconds=5"));
  r.stopping = &stopping;
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stopping.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  auto response = loopback_http_get(r);
  stopper.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(LoopbackHttpRefusal, NonLoopbackTargetsNeverConnect) {
  auto canary = CanaryListener::tcp("127.0.0.2");
  if (!canary.ok()) GTEST_SKIP() << "cannot listen on 127.0.0.2";
  const std::string port = std::to_string(canary.port());
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  for (const std::string& url : {"http://127.0.0.2:" + port + "/", "http://2130706434:" + port + "/",
                                 "http://localhost.:" + port + "/", std::string("file:///etc/passwd"),
                                 "gopher://127.0.0.2:" + port + "/_x", "http://user@127.0.0.1:" + port + "/"}) {
    LoopbackHttpRequest r;
    r.url = url;
    r.pinned_address = "127.0.0.1";
    r.deadline = deadline;
    auto response = loopback_http_get(r);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().kind, ErrorKind::invalid_config) << url;
  }
  // The pinned address must itself be a loopback literal.
  LoopbackHttpRequest r;
  r.url = "http://localhost:" + port + "/";
  r.pinned_address = "127.0.0.2";
  r.deadline = deadline;
  EXPECT_EQ(loopback_http_get(r).error().kind, ErrorKind::invalid_config);
  EXPECT_EQ(canary.connections(), 0);
}

TEST(LoopbackHttpIpv6, PinnedToIpv6LiteralReachesAnIpv6OnlyServer) {
  // The server listens on ::1 only: "localhost" and "[::1]" reach it
  // because the connection goes to the pinned ::1, and a canary on
  // 127.0.0.1 with the same port sees nothing.
  SpawnedServer server("loopback_http_server.py", {"--ipv6"});
  if (server.port() == 0) GTEST_SKIP() << "loopback HTTP server on ::1: " << server.error();
  auto canary = CanaryListener::tcp("127.0.0.1", server.port());
  ASSERT_TRUE(canary.ok());
  for (const std::string host : {"[::1]", "localhost"}) {
    LoopbackHttpRequest r;
    r.url = "http://" + host + ":" + std::to_string(server.port()) + "/status";
    r.pinned_address = "::1";
    r.deadline = std::chrono::steady_clock::now() + 5s;
    auto response = loopback_http_get(r);
    ASSERT_TRUE(response) << host << ": " << response.error().message;
    EXPECT_EQ(response->status, 200) << host;
  }
  EXPECT_EQ(canary.connections(), 0);
}

TEST(LoopbackHttpRefusal, PinningOverridesTheUrlHost) {
  // Even a URL naming localhost connects only to the pinned literal: here
  // ::1 with nothing listening on that port, so the canary on 127.0.0.1
  // (same port number) sees nothing.
  auto canary = CanaryListener::tcp("127.0.0.1");
  ASSERT_TRUE(canary.ok());
  LoopbackHttpRequest r;
  r.url = "http://localhost:" + std::to_string(canary.port()) + "/";
  r.pinned_address = "::1";
  r.deadline = std::chrono::steady_clock::now() + 2s;
  auto response = loopback_http_get(r);
  EXPECT_FALSE(response);
  EXPECT_EQ(canary.connections(), 0);
}

}  // namespace
}  // namespace fivenines
