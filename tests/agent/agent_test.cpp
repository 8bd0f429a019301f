// The continuous-mode loop against an in-process fake API: bootstrap, the
// disabled loop, config replacement, bad answers, the outbox drop counter,
// re-probes, stopping, the token swap. Timing constants are shrunk through
// AgentTuning; collectors read this host's real /proc and /sys.
#include "agent/agent.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fake_api_transport.hpp"
#include "support/scratch_dir.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::FakeApiTransport;
using testing::RecordedPost;
using testing::ScratchDir;
using testing::ScriptedReply;
using Clock = std::chrono::steady_clock;

constexpr const char* k_token = "install-token-0123456789";
// retry 1, retry_interval 0.5 s: a failed metric post costs the uploader
// 0.5 s; the loop must not notice.
constexpr const char* k_enabled_answer =
    R"({"config": {"enabled": true, "interval": 60, "cpu": true, "memory": true,
        "request_options": {"timeout": 2, "retry": 1, "retry_interval": 0.5}}})";
constexpr const char* k_disabled_answer = R"({"config": {"enabled": false}})";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool is_config_request(const RecordedPost& post) {
  return post.body.find("\"get_config\": true") != std::string::npos;
}

std::size_t count_metric(const std::vector<RecordedPost>& posts) {
  std::size_t n = 0;
  for (const auto& post : posts) n += is_config_request(post) ? 0 : 1;
  return n;
}
std::size_t count_config(const std::vector<RecordedPost>& posts) { return posts.size() - count_metric(posts); }

CapabilitySet all_available() {
  CapabilitySet set;
  for (std::size_t i = 0; i < k_capability_count; ++i) set.set(static_cast<Capability>(i), true);
  set.cgroup = CgroupVersion::v2;
  return set;
}

AgentTuning fast_tuning() {
  AgentTuning tuning;
  tuning.disabled_wait = 150ms;
  tuning.first_sample_window = 20ms;
  tuning.min_sleep = 10ms;
  tuning.interval_override = 200ms;
  return tuning;
}

// An Agent on its own thread, with a fake transport and a scratch CONFIG_DIR
// that holds a TOKEN.
class AgentRun {
 public:
  AgentRun(FakeApiTransport::Script script, AgentTuning tuning, std::function<CapabilitySet()> probe = {},
           bool write_token = true) {
    if (write_token) {
      std::ofstream(m_dir.file("TOKEN")) << k_token << "\n";
      ::chmod(m_dir.file("TOKEN").c_str(), 0600);
    }
    auto transport = std::make_unique<FakeApiTransport>(std::move(script));
    m_transport = transport.get();
    Settings settings;
    settings.config_dir = m_dir.str();
    settings.api_url = "127.0.0.1:9";
    AgentDeps deps;
    deps.make_transport = [this, holder = std::make_shared<std::unique_ptr<FakeApiTransport>>(std::move(transport))] {
      m_transport_made = true;
      return std::unique_ptr<ApiTransport>(std::move(*holder));
    };
    deps.probe_capabilities = probe ? std::move(probe) : [] { return all_available(); };
    m_agent = std::make_unique<Agent>(settings, std::move(deps), tuning);
  }

  ~AgentRun() { stop(); }

  void start() {
    m_thread = std::thread([this] { m_exit_code = m_agent->run(); });
  }
  // Requests the stop and returns how long run() took to return.
  std::chrono::milliseconds stop() {
    if (!m_thread.joinable()) return 0ms;
    const auto start = Clock::now();
    m_agent->request_stop();
    m_thread.join();
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }
  int run_in_foreground() { return m_agent->run(); }

  FakeApiTransport& transport() { return *m_transport; }
  Agent& agent() { return *m_agent; }
  const ScratchDir& dir() const { return m_dir; }
  [[nodiscard]] int exit_code() const { return m_exit_code; }
  [[nodiscard]] bool transport_made() const { return m_transport_made; }

  bool wait_for(const std::function<bool(const std::vector<RecordedPost>&)>& predicate,
                std::chrono::milliseconds timeout = 10s) {
    return m_transport->wait_until(predicate, timeout);
  }

 private:
  ScratchDir m_dir{"fivenines-agent"};
  FakeApiTransport* m_transport = nullptr;
  std::unique_ptr<Agent> m_agent;
  std::thread m_thread;
  int m_exit_code = -1;
  std::atomic<bool> m_transport_made{false};
};

ScriptedReply answer_enabled_everywhere(const RecordedPost&, std::size_t) {
  return testing::reply_status(200, k_enabled_answer);
}

TEST(Agent, BootstrapAsksForTheConfigThenCollectsEveryInterval) {
  AgentRun run(answer_enabled_everywhere, fast_tuning());
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 4; }));
  EXPECT_LT(run.stop(), 1000ms);
  EXPECT_EQ(run.exit_code(), 0);

  const auto posts = run.transport().posts();
  ASSERT_TRUE(is_config_request(posts[0]));
  EXPECT_EQ(count_config(posts), 1u) << "no second get_config while enabled";
  for (const auto& post : posts) {
    EXPECT_EQ(post.path, "/collect");
    EXPECT_EQ(post.token, k_token);  // stripped of its newline
  }

  // The get_config body: exactly get_config plus the static fields (§3.2).
  const auto request = nlohmann::ordered_json::parse(posts[0].body);
  std::vector<std::string> keys;
  for (const auto& item : request.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"get_config", "version", "uname", "boot_time", "capabilities",
                                            "capability_reasons", "pending_capabilities", "user_context",
                                            "machine_id"}));
  EXPECT_EQ(request["get_config"], true);
  // The minimal form: flags instead of group names, no paths.
  EXPECT_TRUE(request["user_context"].contains("in_sudo_group"));
  EXPECT_FALSE(request["user_context"].contains("groups"));
  EXPECT_FALSE(request["user_context"].contains("config_dir"));
  EXPECT_FALSE(request["user_context"].contains("home_dir"));
  // MACHINE_ID was created and is what the payloads carry.
  ASSERT_TRUE(request["machine_id"].is_string());
  EXPECT_EQ(request["machine_id"].get<std::string>(), read_text(run.dir().file("MACHINE_ID")));

  // Metric payloads: static fields, ts, the configured collectors, telemetry.
  std::vector<double> ts;
  for (const auto& post : posts) {
    if (is_config_request(post)) continue;
    const Json payload = Json::parse(post.body);
    EXPECT_FALSE(payload.contains("get_config"));
    EXPECT_EQ(payload["machine_id"].get<std::string>(), request["machine_id"].get<std::string>());
    EXPECT_TRUE(payload.contains("cpu"));
    EXPECT_TRUE(payload.contains("memory"));
    EXPECT_FALSE(payload.contains("processes"));  // not configured
    EXPECT_TRUE(payload["_telemetry"].contains("cpu"));
    EXPECT_FALSE(payload["_telemetry"].contains("outbox"));  // nothing dropped
    // USER_CONTEXT=minimal (the default): user_context rides in get_config only.
    EXPECT_FALSE(payload.contains("user_context"));
    EXPECT_TRUE(payload["running_time"].is_number_float());
    ts.push_back(payload["ts"].get<double>());
  }
  // Ticks are `interval` apart (sleep = interval minus the time spent).
  for (std::size_t i = 1; i < ts.size(); ++i) {
    EXPECT_GE(ts[i] - ts[i - 1], 0.190) << i;
    EXPECT_LE(ts[i] - ts[i - 1], 0.300) << i;
  }
}

TEST(Agent, MissingTokenExits2BeforeAnythingElse) {
  AgentRun run(answer_enabled_everywhere, fast_tuning(), {}, /*write_token=*/false);
  ::testing::internal::CaptureStderr();
  const int code = run.run_in_foreground();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_FALSE(run.transport_made());
  EXPECT_NE(log.find("[ERROR]"), std::string::npos) << log;
  EXPECT_NE(log.find("token file " + run.dir().file("TOKEN") + ": does not exist"), std::string::npos) << log;
  std::size_t lines = 0;
  for (const char c : log) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, 1u) << log;
}

TEST(Agent, TokenWithWhitespaceInsideExits2) {
  AgentRun run(answer_enabled_everywhere, fast_tuning(), {}, /*write_token=*/false);
  std::ofstream(run.dir().file("TOKEN")) << "abc def\n";
  ::testing::internal::CaptureStderr();
  const int code = run.run_in_foreground();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_NE(log.find(run.dir().file("TOKEN") + ": holds whitespace or a control character"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("abc def"), std::string::npos) << log;
}

TEST(Agent, NotEnabledAsksAgainAfterTheDisabledWait) {
  AgentRun run([](const RecordedPost&, std::size_t) { return testing::reply_status(200, k_disabled_answer); },
               fast_tuning());
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return posts.size() >= 4; }));
  EXPECT_LT(run.stop(), 1000ms);
  const auto posts = run.transport().posts();
  EXPECT_EQ(count_metric(posts), 0u);
  for (std::size_t i = 1; i < posts.size(); ++i) {
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(posts[i].at - posts[i - 1].returned);
    EXPECT_GE(gap, 150ms) << i;
    EXPECT_LT(gap, 300ms) << i;
  }
  ASSERT_TRUE(run.agent().latest_config());
  EXPECT_FALSE(run.agent().latest_config()->enabled);
}

TEST(Agent, NeverAnsweredKeepsAsking) {
  AgentTuning tuning = fast_tuning();
  tuning.send_cap_max = 100ms;  // the default request_options would wait 5 s
  AgentRun run([](const RecordedPost&, std::size_t) {
    return testing::reply_error(ErrorKind::io, "connect 127.0.0.1:9: connection refused");
  }, tuning);
  ::testing::internal::CaptureStderr();
  run.start();
  const bool asked = run.wait_for([](const auto& posts) { return posts.size() >= 3; });
  run.stop();
  (void)::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(asked);
  EXPECT_EQ(count_metric(run.transport().posts()), 0u);
  EXPECT_FALSE(run.agent().latest_config());
}

TEST(Agent, StartsCollectingOnceALaterAnswerEnablesIt) {
  AgentRun run([](const RecordedPost&, std::size_t index) {
    return testing::reply_status(200, index < 2 ? k_disabled_answer : k_enabled_answer);
  }, fast_tuning());
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 2; }));
  run.stop();
  const auto posts = run.transport().posts();
  EXPECT_EQ(count_config(posts), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(is_config_request(posts[i]));
}

TEST(Agent, AnswerToAMetricPostReplacesTheConfig) {
  // get_config: cpu + memory. Metric answers: memory only, and disabled
  // after a few: the loop goes back to asking.
  std::atomic<int> metric_answers{0};
  AgentRun run([&](const RecordedPost& post, std::size_t) {
    if (is_config_request(post)) {
      return testing::reply_status(200, metric_answers.load() == 0 ? k_enabled_answer : k_disabled_answer);
    }
    const int n = ++metric_answers;
    if (n < 4) return testing::reply_status(200, R"({"config": {"enabled": true, "interval": 90, "memory": true}})");
    return testing::reply_status(200, k_disabled_answer);
  }, fast_tuning());
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 4 && is_config_request(posts.back()); }));
  run.stop();
  const auto posts = run.transport().posts();
  // Payloads built after the first memory-only answer carry no cpu.
  bool saw_memory_only = false;
  for (const auto& post : posts) {
    if (is_config_request(post)) continue;
    const Json payload = Json::parse(post.body);
    if (!payload.contains("cpu")) {
      saw_memory_only = true;
      EXPECT_TRUE(payload.contains("memory"));
    } else {
      EXPECT_FALSE(saw_memory_only) << "cpu came back after the config dropped it";
    }
  }
  EXPECT_TRUE(saw_memory_only);
  ASSERT_TRUE(run.agent().latest_config());
  EXPECT_FALSE(run.agent().latest_config()->enabled);
  EXPECT_GE(run.agent().counters().configs_applied, 3u);
}

struct BadBody {
  const char* name;
  const char* body;
};

class AgentBadAnswer : public ::testing::TestWithParam<BadBody> {};

TEST_P(AgentBadAnswer, PreviousConfigStaysAndTheLoopGoesOn) {
  AgentRun run([](const RecordedPost& post, std::size_t) {
    if (is_config_request(post)) return testing::reply_status(200, k_enabled_answer);
    return testing::reply_status(200, GetParam().body);
  }, fast_tuning());
  ::testing::internal::CaptureStderr();
  run.start();
  // Ticks go on at the interval while each metric post fails and waits 0.5 s.
  std::this_thread::sleep_for(1200ms);
  const auto counters = run.agent().counters();
  EXPECT_LT(run.stop(), 1000ms);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(counters.ticks, 4u);
  EXPECT_GE(count_metric(run.transport().posts()), 2u);
  EXPECT_EQ(counters.configs_applied, 1u);
  ASSERT_TRUE(run.agent().latest_config());
  EXPECT_TRUE(run.agent().latest_config()->enabled);
  EXPECT_TRUE(run.agent().latest_config()->cpu);
  EXPECT_TRUE(run.agent().latest_config()->memory);
  EXPECT_EQ(run.agent().latest_config()->request_options.retry_interval, 500ms);
  EXPECT_NE(log.find("(previous config kept)"), std::string::npos) << log;
  EXPECT_EQ(run.exit_code(), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, AgentBadAnswer,
                         ::testing::Values(BadBody{"not_json", "Internal things happened"},
                                           BadBody{"array", R"([{"config": {"enabled": false}}])"},
                                           BadBody{"missing_config", R"({"enabled": false})"},
                                           BadBody{"config_not_object", R"({"config": [false]})"}),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(Agent, FullOutboxDropsTheOldestAndTheNextPayloadSaysSo) {
  // The first metric post hangs until the test opens the gate: the API is
  // stuck, the loop goes on collecting, the 3-slot outbox overflows.
  std::mutex gate_mutex;
  std::condition_variable gate_cv;
  bool gate_open = false;
  AgentTuning tuning = fast_tuning();
  tuning.interval_override = 30ms;
  tuning.outbox_capacity = 3;
  AgentRun run([&](const RecordedPost& post, std::size_t) {
    if (is_config_request(post)) return testing::reply_status(200, k_enabled_answer);
    std::unique_lock lock(gate_mutex);
    gate_cv.wait_for(lock, 10s, [&] { return gate_open; });
    return testing::reply_status(200, k_enabled_answer);
  }, tuning);
  ::testing::internal::CaptureStderr();
  run.start();
  const auto deadline = Clock::now() + 10s;
  while (run.agent().counters().ticks < 10 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  {
    const std::lock_guard lock(gate_mutex);
    gate_open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 4; }));
  run.stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("outbox full (3 payloads): oldest payload dropped"), std::string::npos) << log;

  const auto posts = run.transport().posts();
  std::uint64_t reported = 0;
  double last_ts = 0;
  for (const auto& post : posts) {
    if (is_config_request(post)) continue;
    const Json payload = Json::parse(post.body);
    EXPECT_GT(payload["ts"].get<double>(), last_ts) << "delivered out of order";
    last_ts = payload["ts"].get<double>();
    if (!payload["_telemetry"].contains("outbox")) continue;
    const Json& outbox = payload["_telemetry"]["outbox"];
    ASSERT_TRUE(outbox["dropped"].is_number_integer());
    EXPECT_GE(outbox["dropped"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(outbox["duration_ms"], 0.0);
    ASSERT_EQ(outbox["errors"].size(), 1u);
    EXPECT_NE(outbox["errors"][0].get<std::string>().find("payload(s) dropped: outbox full"), std::string::npos);
    reported += outbox["dropped"].get<std::uint64_t>();
  }
  EXPECT_GE(reported, 1u);
}

TEST(Agent, ReprobeOnRequestRefreshesCapabilitiesInThePayload) {
  std::atomic<int> probes{0};
  auto probe = [&] {
    CapabilitySet set = all_available();
    // docker appears from the second probe on (someone fixed the socket).
    if (probes++ == 0) set.set(Capability::docker, false, "/var/run/docker.sock does not exist");
    return set;
  };
  AgentRun run(answer_enabled_everywhere, fast_tuning(), probe);
  ::testing::internal::CaptureStderr();
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 1; }));
  run.agent().request_reprobe();
  const auto deadline = Clock::now() + 5s;
  while (run.agent().counters().probes < 2 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const std::size_t seen = run.transport().count();
  ASSERT_TRUE(run.wait_for([&](const auto& posts) { return posts.size() >= seen + 2; }));
  run.stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(run.agent().counters().probes, 2u);
  EXPECT_NE(log.find("capability docker: false -> true"), std::string::npos) << log;
  const auto posts = run.transport().posts();
  EXPECT_EQ(Json::parse(posts[0].body)["capabilities"]["docker"], false);
  EXPECT_EQ(Json::parse(posts[0].body)["capability_reasons"]["docker"], "/var/run/docker.sock does not exist");
  const Json last = Json::parse(posts.back().body);
  EXPECT_EQ(last["capabilities"]["docker"], true);
  EXPECT_FALSE(last["capability_reasons"].contains("docker"));
}

TEST(Agent, ReprobesPeriodicallyAlsoWhileNotEnabled) {
  AgentTuning tuning = fast_tuning();
  tuning.reprobe_period = 100ms;
  tuning.disabled_wait = 10'000ms;
  std::atomic<int> probes{0};
  AgentRun run([](const RecordedPost&, std::size_t) { return testing::reply_status(200, k_disabled_answer); },
               tuning, [&] {
                 ++probes;
                 return all_available();
               });
  run.start();
  std::this_thread::sleep_for(550ms);
  run.stop();
  EXPECT_GE(probes.load(), 1 + 4);
  EXPECT_LE(probes.load(), 1 + 6);
  EXPECT_EQ(run.transport().count(), 1u);
}

TEST(Agent, StopDuringARetryWaitReturnsWithinASecond) {
  // Default request_options: 3 attempts, 5 s then 10 s waits; the stop
  // comes during the first wait.
  AgentRun run([](const RecordedPost&, std::size_t) { return testing::reply_status(500, "down"); }, AgentTuning{});
  ::testing::internal::CaptureStderr();
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return !posts.empty(); }));
  std::this_thread::sleep_for(200ms);
  const auto took = run.stop();
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(run.exit_code(), 0);
  EXPECT_EQ(run.transport().count(), 1u);
}

TEST(Agent, StopDuringAHungConnectionReturnsWithinASecond) {
  AgentRun run([](const RecordedPost&, std::size_t) { return testing::reply_hang(); }, AgentTuning{});
  ::testing::internal::CaptureStderr();
  run.start();
  std::this_thread::sleep_for(300ms);
  const auto took = run.stop();
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(run.exit_code(), 0);
}

TEST(Agent, StopDuringTheEnabledSleepReturnsAtOnce) {
  AgentTuning tuning = fast_tuning();
  tuning.interval_override = 60'000ms;
  AgentRun run(answer_enabled_everywhere, tuning);
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 1; }));
  EXPECT_LT(run.stop(), 500ms);
}

TEST(Agent, TokenFromTheAnswerIsStoredUsedAndNeverLogged) {
  set_log_level(LogLevel::debug);
  AgentRun run([](const RecordedPost& post, std::size_t) {
    if (is_config_request(post)) {
      return testing::reply_status(
          200, R"({"config": {"enabled": true, "cpu": true}, "token": "per-host-token-abcdef"})");
    }
    return testing::reply_status(200, k_enabled_answer);
  }, fast_tuning());
  ::testing::internal::CaptureStderr();
  run.start();
  ASSERT_TRUE(run.wait_for([](const auto& posts) { return count_metric(posts) >= 2; }));
  run.stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  set_log_level(LogLevel::info);
  const auto posts = run.transport().posts();
  EXPECT_EQ(posts[0].token, k_token);
  for (std::size_t i = 1; i < posts.size(); ++i) EXPECT_EQ(posts[i].token, "per-host-token-abcdef") << i;
  EXPECT_EQ(read_text(run.dir().file("TOKEN")), "per-host-token-abcdef");
  struct stat st{};
  ASSERT_EQ(::stat(run.dir().file("TOKEN").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_NE(log.find("token swap done"), std::string::npos) << log;
  EXPECT_NE(log.find("[DEBUG]"), std::string::npos);
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
  EXPECT_EQ(log.find("per-host-token-abcdef"), std::string::npos) << log;
}

}  // namespace
}  // namespace fivenines
