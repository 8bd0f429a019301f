// The agent's send path end to end, without fakes: ApiSender (retries, what
// counts as success, the config hand-over, the log lines) over the real
// HttpsApiTransport, against the scripted API (tests/servers/api_server.py)
// on loopback over TLS with a PKI made at test time.
//
// Shown here: a bad answer (not JSON, an array, no `config`, 10 MB, dripped
// one byte a second) fails the attempt with a log line saying why, the
// config sink never sees it (the previous config stays), and the next good
// answer is taken as usual; a refused certificate or TLS version sends no
// request and leaves one warning naming the reason, never the token.
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

#include "identity/token_store.hpp"
#include "transport/https_transport.hpp"
#include "transport/transport_test_support.hpp"
#include "transport/uploader.hpp"
#include "util/log.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using testing::ApiServer;
using testing::ApiServerOptions;
using testing::Json;
using testing::PortServer;
using testing::ScratchDir;
using testing::TestPki;

constexpr const char* k_token = "tok-sender-5e8b1c7a9d2f4036";
constexpr const char* k_body = R"({"ts": 1700000000.5, "cpu_count": 4})";

SendPolicy one_attempt(std::chrono::milliseconds timeout) {
  SendPolicy policy;
  policy.options.attempts = 1;
  policy.options.retry_interval = 1ms;
  policy.options.timeout = timeout;
  policy.cap = 20s;
  return policy;
}

class SenderOverTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = testing::missing_server_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (!TestPki::get().ok()) GTEST_SKIP() << "no test pki: " << TestPki::get().error();
    m_dns = std::make_unique<PortServer>("dns_server.py", std::vector<std::string>{"--record", "api.test=127.0.0.1"},
                                         m_dir.path(), "dns");
    ASSERT_TRUE(m_dns->ok()) << m_dns->error();
    m_previous_level = log_level();
    set_log_level(LogLevel::debug);
  }
  void TearDown() override { set_log_level(m_previous_level); }

  std::unique_ptr<ApiServer> start_api(const std::string& cert, Json script = nullptr, bool tls_max_1_1 = false) {
    ApiServerOptions options;
    options.cert = cert;
    options.script = std::move(script);
    options.tls_max_1_1 = tls_max_1_1;
    auto server = std::make_unique<ApiServer>(options, m_dir.path(), "api-" + cert);
    EXPECT_TRUE(server->ok()) << server->error();
    return server;
  }

  // A sender to api.test:PORT with a token store in the scratch folder;
  // every config it hands over lands in m_configs.
  void connect(std::uint16_t port) {
    auto endpoint = parse_api_endpoint("api.test:" + std::to_string(port));
    ASSERT_TRUE(endpoint.has_value());
    HttpsTransportOptions options;
    options.ca_bundle_path = TestPki::get().ca();
    options.resolver.servers = "127.0.0.1:" + std::to_string(m_dns->port());
    auto transport = HttpsApiTransport::create(*endpoint, std::move(options));
    ASSERT_TRUE(transport.has_value()) << transport.error().message;
    m_transport = std::move(*transport);
    m_tokens = std::make_unique<TokenStore>(m_dir.path().string(), std::make_shared<const Secret>(k_token),
                                            TokenRotation::enrollment);
    m_sender = std::make_unique<ApiSender>(*m_transport, *m_tokens, m_stop, [this](ConfigReadResult config) {
      const std::lock_guard lock(m_mutex);
      m_configs.push_back(std::move(config.config));
    });
  }

  SendOutcome send(std::chrono::milliseconds timeout, std::string& log) {
    ::testing::internal::CaptureStderr();
    const SendOutcome outcome = m_sender->send(k_collect_path, k_body, one_attempt(timeout));
    log = ::testing::internal::GetCapturedStderr();
    return outcome;
  }

  std::vector<RemoteConfig> configs() {
    const std::lock_guard lock(m_mutex);
    return m_configs;
  }

  ScratchDir m_dir;
  std::unique_ptr<PortServer> m_dns;
  LogLevel m_previous_level = LogLevel::info;
  StopSignal m_stop;
  std::unique_ptr<HttpsApiTransport> m_transport;
  std::unique_ptr<TokenStore> m_tokens;
  std::unique_ptr<ApiSender> m_sender;
  std::mutex m_mutex;
  std::vector<RemoteConfig> m_configs;
};

Json config_answer(int interval_seconds) {
  return {{"json", {{"config", {{"enabled", true}, {"interval", interval_seconds}}}}}};
}

TEST_F(SenderOverTls, BadAnswersKeepThePreviousConfigAndTheSenderGoesOn) {
  struct Bad {
    const char* name;
    Json answer;
    const char* logged;  // the reason in the warning line
  };
  const std::vector<Bad> bad_answers{
      {"not json", {{"body", "<html>bad gateway</html>"}}, "http status 200 but answer is not valid json"},
      {"an array", {{"json", Json::array({{{"config", Json::object()}}})}}, "answer is not a json object"},
      {"no config", {{"json", {{"enabled", true}, {"interval", 300}}}}, "answer has no \"config\""},
      {"10 MB", {{"body", "x"}, {"repeat", 10'000'000}, {"chunked", true}}, "answer larger than 1048576 bytes"},
      {"dripped", {{"body", R"({"config": {"enabled": true, "interval": 900}})"}, {"drip_s", 1.0}}, "timed out"},
  };
  Json script = Json::array({config_answer(90)});
  for (const auto& bad : bad_answers) script.push_back(bad.answer);
  script.push_back(config_answer(120));
  auto api = start_api("good", script);
  ASSERT_TRUE(api->ok());
  connect(api->port());
  ASSERT_TRUE(m_sender);

  std::string log;
  ASSERT_EQ(send(2500ms, log), SendOutcome::delivered) << log;
  ASSERT_EQ(configs().size(), 1U);
  EXPECT_EQ(configs()[0].interval, 90s);

  for (const auto& bad : bad_answers) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(send(2500ms, log), SendOutcome::failed) << bad.name << ": " << log;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << bad.name;
    EXPECT_NE(log.find("post /collect: attempt 1 of 1 failed: "), std::string::npos) << bad.name << ": " << log;
    EXPECT_NE(log.find(bad.logged), std::string::npos) << bad.name << ": " << log;
    EXPECT_EQ(log.find(k_token), std::string::npos) << bad.name << ": " << log;
    EXPECT_EQ(configs().size(), 1U) << bad.name << " was handed over as a config";
  }

  ASSERT_EQ(send(2500ms, log), SendOutcome::delivered) << log;
  ASSERT_EQ(configs().size(), 2U);
  EXPECT_EQ(configs()[1].interval, 120s);
  EXPECT_EQ(api->records("request").size(), bad_answers.size() + 2);
}

TEST_F(SenderOverTls, RetriesNon200AnswersOnScheduleAndLogsStatusAndAShortBody) {
  // 500 with a long body that quotes the token, 503, then a good answer.
  const std::string long_body = "error for Bearer " + std::string(k_token) + " " + std::string(1000, 'z');
  auto api = start_api("good", Json::array({{{"status", 500}, {"body", long_body}},
                                            {{"status", 503}, {"body", "busy"}},
                                            config_answer(90)}));
  ASSERT_TRUE(api->ok());
  connect(api->port());
  ASSERT_TRUE(m_sender);
  SendPolicy policy = one_attempt(2000ms);
  policy.options.attempts = 3;
  policy.options.retry_interval = 300ms;
  ::testing::internal::CaptureStderr();
  const SendOutcome outcome = m_sender->send(k_collect_path, k_body, policy);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outcome, SendOutcome::delivered) << log;
  ASSERT_EQ(configs().size(), 1U);

  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 3U);
  // retry_interval × attempt after failed attempt n: 300 ms, then 600 ms.
  const double first_gap = requests[1]["t"].get<double>() - requests[0]["t"].get<double>();
  const double second_gap = requests[2]["t"].get<double>() - requests[1]["t"].get<double>();
  EXPECT_GE(first_gap, 0.29);
  EXPECT_LT(first_gap, 0.6);
  EXPECT_GE(second_gap, 0.59);
  EXPECT_LT(second_gap, 0.9);
  for (const auto& request : requests) EXPECT_EQ(request["body"], k_body);

  EXPECT_NE(log.find("attempt 1 of 3 failed: http status 500, body: 'error for Bearer [token] zzz"), std::string::npos)
      << log;
  EXPECT_NE(log.find("attempt 2 of 3 failed: http status 503, body: 'busy'"), std::string::npos) << log;
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
  EXPECT_EQ(log.find(std::string(201, 'z')), std::string::npos) << "more than 200 bytes of body logged";
}

struct Refusal {
  const char* cert;
  bool tls_max_1_1;
  const char* reason;
};

void PrintTo(const Refusal& refusal, std::ostream* out) { *out << refusal.cert << (refusal.tls_max_1_1 ? " tls 1.1" : ""); }

class SenderOverTlsRefusal : public SenderOverTls, public ::testing::WithParamInterface<Refusal> {};

TEST_P(SenderOverTlsRefusal, LogsTheReasonSendsNothingAndKeepsTheConfig) {
  const Refusal& refusal = GetParam();
  auto api = start_api(refusal.cert, Json::array({config_answer(90)}), refusal.tls_max_1_1);
  ASSERT_TRUE(api->ok());
  connect(api->port());
  ASSERT_TRUE(m_sender);
  std::string log;
  EXPECT_EQ(send(5000ms, log), SendOutcome::failed) << log;
  // One warning: the attempt, the host, and OpenSSL's reason.
  std::size_t warnings = 0;
  std::string warning;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[WARN]") != std::string::npos || line.find("[WARNING]") != std::string::npos) {
      ++warnings;
      warning = line;
    }
  }
  EXPECT_EQ(warnings, 1U) << log;
  EXPECT_NE(warning.find("post /collect: attempt 1 of 1 failed: "), std::string::npos) << log;
  EXPECT_NE(warning.find("tls with api.test failed"), std::string::npos) << log;
  EXPECT_NE(warning.find(refusal.reason), std::string::npos) << log;
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
  EXPECT_TRUE(configs().empty());
  ASSERT_TRUE(api->wait_for_records("tls_error", 1)) << "the client never reached the server";
  EXPECT_TRUE(api->records("request").empty()) << "a request (with the token) got through";
}

INSTANTIATE_TEST_SUITE_P(
    Certificates, SenderOverTlsRefusal,
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

}  // namespace
}  // namespace fivenines
