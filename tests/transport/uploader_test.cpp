#include "transport/uploader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "support/fake_api_transport.hpp"
#include "support/scratch_dir.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using testing::FakeApiTransport;
using testing::RecordedPost;
using testing::ScratchDir;
using testing::ScriptedReply;
using Clock = std::chrono::steady_clock;

constexpr const char* k_good_answer = R"({"config": {"enabled": true, "interval": 60, "cpu": true}})";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::chrono::milliseconds ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

SendPolicy policy(int attempts, std::chrono::milliseconds retry_interval, std::chrono::milliseconds cap,
                  std::chrono::milliseconds timeout = 5000ms) {
  SendPolicy out;
  out.options.attempts = attempts;
  out.options.retry_interval = retry_interval;
  out.options.timeout = timeout;
  out.cap = cap;
  return out;
}

// A sender over a fake transport, a token store in a scratch directory,
// and the configs it hands over.
struct Harness {
  explicit Harness(FakeApiTransport::Script script, TokenRotation rotation = TokenRotation::enrollment)
      : transport(std::move(script)),
        tokens(dir.str(), std::make_shared<const Secret>("first-token"), rotation),
        sender(transport, tokens, stop, [this](ConfigReadResult config) {
          const std::lock_guard lock(mutex);
          configs.push_back(std::move(config));
        }) {}

  std::size_t config_count() {
    const std::lock_guard lock(mutex);
    return configs.size();
  }

  ScratchDir dir;
  StopSignal stop;
  FakeApiTransport transport;
  TokenStore tokens;
  ApiSender sender;
  std::mutex mutex;
  std::vector<ConfigReadResult> configs;
};

TEST(SendPolicyFor, CapIsTheIntervalAtMost300Seconds) {
  RemoteConfig config;
  config.interval = std::chrono::seconds(60);
  EXPECT_EQ(send_policy_for(config).cap, 60'000ms);
  config.interval = std::chrono::seconds(3600);
  EXPECT_EQ(send_policy_for(config).cap, 300'000ms);
  config.request_options.attempts = 7;
  EXPECT_EQ(send_policy_for(config).options.attempts, 7);
}

TEST(ApiSender, DeliversOnFirst200AndHandsTheConfigOver) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(200, k_good_answer); });
  EXPECT_EQ(h.sender.send(k_collect_path, R"({"get_config": true})", policy(3, 100ms, 10s)), SendOutcome::delivered);
  ASSERT_EQ(h.transport.count(), 1u);
  const auto post = h.transport.posts().front();
  EXPECT_EQ(post.path, "/collect");
  EXPECT_EQ(post.body, R"({"get_config": true})");
  EXPECT_EQ(post.token, "first-token");
  ASSERT_EQ(h.config_count(), 1u);
  EXPECT_TRUE(h.configs[0].config.enabled);
  EXPECT_TRUE(h.configs[0].config.cpu);
}

TEST(ApiSender, RetryScheduleWaitsRetryIntervalTimesAttemptAlsoAfterTheLast) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(503, "busy"); });
  const auto start = Clock::now();
  ::testing::internal::CaptureStderr();
  const auto outcome = h.sender.send(k_collect_path, "{}", policy(3, 150ms, 30s));
  const auto end = Clock::now();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outcome, SendOutcome::failed);
  const auto posts = h.transport.posts();
  ASSERT_EQ(posts.size(), 3u);  // `retry` is the number of attempts in total
  EXPECT_LT(ms_between(start, posts[0].at), 50ms);
  // After failed attempt n: retry_interval × n.
  const std::chrono::milliseconds expected[] = {150ms, 300ms, 450ms};
  const Clock::time_point next[] = {posts[1].at, posts[2].at, end};
  for (int n = 0; n < 3; ++n) {
    const auto waited = ms_between(posts[static_cast<std::size_t>(n)].returned, next[n]);
    EXPECT_GE(waited, expected[n]) << "after attempt " << n + 1;
    EXPECT_LT(waited, expected[n] + 150ms) << "after attempt " << n + 1;
  }
  EXPECT_NE(log.find("attempt 1 of 3 failed: http status 503, body: 'busy'; next attempt in 0.15 s"),
            std::string::npos) << log;
  EXPECT_NE(log.find("all 3 attempt(s) failed; dropped"), std::string::npos) << log;
  EXPECT_EQ(h.config_count(), 0u);
}

TEST(ApiSender, SucceedsOnALaterAttempt) {
  Harness h([](const RecordedPost&, std::size_t index) {
    return index < 2 ? testing::reply_error(ErrorKind::io, "connect 127.0.0.1:9: connection refused")
                     : testing::reply_status(200, k_good_answer);
  });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(3, 20ms, 10s)), SendOutcome::delivered);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(h.transport.count(), 3u);
  EXPECT_EQ(h.config_count(), 1u);
  EXPECT_NE(log.find("connection refused"), std::string::npos) << log;
}

TEST(ApiSender, OnlyStatus200IsSuccess) {
  for (const long status : {201L, 204L, 301L, 302L, 400L, 401L, 404L, 500L}) {
    Harness h([status](const RecordedPost&, std::size_t) { return testing::reply_status(status, k_good_answer); });
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(2, 1ms, 10s)), SendOutcome::failed) << status;
    (void)::testing::internal::GetCapturedStderr();
    EXPECT_EQ(h.transport.count(), 2u) << status;
    EXPECT_EQ(h.config_count(), 0u) << status;
  }
}

struct BadAnswer {
  const char* name;
  const char* body;
  const char* reason;
};

class ApiSenderBadAnswer : public ::testing::TestWithParam<BadAnswer> {};

TEST_P(ApiSenderBadAnswer, FailsTheAttemptAndHandsNoConfigOver) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(200, GetParam().body); });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(2, 1ms, 10s)), SendOutcome::failed);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(h.transport.count(), 2u);
  EXPECT_EQ(h.config_count(), 0u);
  EXPECT_NE(log.find(std::string("http status 200 but ") + GetParam().reason + " (previous config kept)"),
            std::string::npos)
      << log;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ApiSenderBadAnswer,
    ::testing::Values(BadAnswer{"not_json", "<html>oops</html>", "answer is not valid json"},
                      BadAnswer{"empty", "", "answer is not valid json"},
                      BadAnswer{"truncated", R"({"config": {"enabled": tr)", "answer is not valid json"},
                      BadAnswer{"array", R"([{"config": {}}])", "answer is not a json object"},
                      BadAnswer{"string", R"("config")", "answer is not a json object"},
                      BadAnswer{"missing_config", R"({"token": "x", "enabled": true})", "answer has no \"config\""},
                      BadAnswer{"config_array", R"({"config": [1, 2]})", "answer's \"config\" is not an object"},
                      BadAnswer{"config_null", R"({"config": null})", "answer's \"config\" is not an object"},
                      BadAnswer{"config_string", R"({"config": "enabled"})", "answer's \"config\" is not an object"},
                      BadAnswer{"too_deep", R"({"config": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}})",
                                "answer is nested deeper than 32"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ApiSender, BadAnswerWithATokenDoesNotSwitchTheToken) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(200, R"({"token": "sneaky"})"); });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::failed);
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_EQ(h.tokens.current()->view(), "first-token");
}

TEST(ApiSender, WholeSendCapBoundsHungAttempts) {
  // request_options allow 10 attempts of 60 s with 120 s waits; the cap is
  // 400 ms, so the whole send ends after about 400 ms.
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_hang(); });
  const auto start = Clock::now();
  ::testing::internal::CaptureStderr();
  const auto outcome = h.sender.send(k_collect_path, "{}", policy(10, 120'000ms, 400ms, 60'000ms));
  const auto took = ms_between(start, Clock::now());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outcome, SendOutcome::failed);
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 600ms);
  ASSERT_EQ(h.transport.count(), 1u);
  EXPECT_LE(h.transport.posts()[0].deadline, start + 400ms + 5ms);
  EXPECT_NE(log.find("used its whole time cap (0.4 s)"), std::string::npos) << log;
}

TEST(ApiSender, WholeSendCapCutsTheRetryWaits) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(500, ""); });
  const auto start = Clock::now();
  ::testing::internal::CaptureStderr();
  const auto outcome = h.sender.send(k_collect_path, "{}", policy(5, 1000ms, 300ms));
  const auto took = ms_between(start, Clock::now());
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outcome, SendOutcome::failed);
  EXPECT_EQ(h.transport.count(), 1u);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 450ms);
}

TEST(ApiSender, EachAttemptEndsWithinTheTimeout) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_hang(); });
  ::testing::internal::CaptureStderr();
  const auto start = Clock::now();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(2, 10ms, 10s, 150ms)), SendOutcome::failed);
  (void)::testing::internal::GetCapturedStderr();
  const auto posts = h.transport.posts();
  ASSERT_EQ(posts.size(), 2u);
  for (const auto& post : posts) {
    EXPECT_LE(post.deadline, post.at + 150ms);
    EXPECT_GE(post.deadline, post.at + 140ms);
  }
  EXPECT_LT(ms_between(start, Clock::now()), 150ms * 2 + 10ms + 20ms + 200ms);
}

TEST(ApiSender, StopDuringARetryWaitEndsTheSendAtOnce) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(500, ""); });
  std::thread stopper([&] {
    std::this_thread::sleep_for(150ms);
    h.stop.request_stop();
  });
  const auto start = Clock::now();
  ::testing::internal::CaptureStderr();
  const auto outcome = h.sender.send(k_collect_path, "{}", policy(3, 60'000ms, 300'000ms));
  const auto took = ms_between(start, Clock::now());
  (void)::testing::internal::GetCapturedStderr();
  stopper.join();
  EXPECT_EQ(outcome, SendOutcome::stopped);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 400ms);
  EXPECT_EQ(h.transport.count(), 1u);
}

TEST(ApiSender, StopDuringAHungRequestEndsTheSendAtOnce) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_hang(); });
  std::thread stopper([&] {
    std::this_thread::sleep_for(150ms);
    h.stop.request_stop();
  });
  const auto start = Clock::now();
  const auto outcome = h.sender.send(k_collect_path, "{}", policy(3, 60'000ms, 300'000ms, 60'000ms));
  const auto took = ms_between(start, Clock::now());
  stopper.join();
  EXPECT_EQ(outcome, SendOutcome::stopped);
  EXPECT_LT(took, 400ms);
}

TEST(ApiSender, HeartbeatBeatsBeforeAttemptsAndDuringWaits) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_status(500, ""); });
  std::atomic<int> beats{0};
  const Heartbeat heartbeat{[&] { ++beats; }, 50ms};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(2, 200ms, 10s), heartbeat), SendOutcome::failed);
  (void)::testing::internal::GetCapturedStderr();
  // 2 before the attempts, then about every 50 ms of the 200 + 400 ms waits.
  EXPECT_GE(beats.load(), 2 + 10);
  EXPECT_LE(beats.load(), 2 + 13);
}

TEST(ApiSender, AnswerTokenIsStoredAndUsedFromTheNextRequestOn) {
  Harness h([](const RecordedPost&, std::size_t index) {
    if (index == 0) return testing::reply_status(200, R"({"config": {"enabled": true}, "token": "per-host-token-0001"})");
    return testing::reply_status(200, k_good_answer);
  });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::delivered);
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::delivered);
  const std::string log = ::testing::internal::GetCapturedStderr();
  const auto posts = h.transport.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].token, "first-token");
  EXPECT_EQ(posts[1].token, "per-host-token-0001");
  EXPECT_EQ(read_text(h.dir.file("TOKEN")), "per-host-token-0001");
  struct stat st{};
  ASSERT_EQ(::stat(h.dir.file("TOKEN").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_NE(log.find("token swap done"), std::string::npos) << log;
  EXPECT_EQ(log.find("per-host-token-0001"), std::string::npos) << log;
}

TEST(ApiSender, TokenBindingReachesTheRotationPolicy) {
  const std::string good = token_binding_for("first-token", "bound-token-00001");
  Harness h(
      [good](const RecordedPost&, std::size_t index) {
        if (index == 0) {
          return testing::reply_status(
              200, R"({"config": {"enabled": true}, "token": "bound-token-00001", "token_binding": ")" +
                       std::string(64, '0') + "\"}");
        }
        if (index == 1) {
          return testing::reply_status(
              200, R"({"config": {"enabled": true}, "token": "bound-token-00001", "token_binding": 7})");
        }
        return testing::reply_status(
            200, R"({"config": {"enabled": true}, "token": "bound-token-00001", "token_binding": ")" + good + "\"}");
      },
      TokenRotation::bound);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::delivered);
  const std::string log = ::testing::internal::GetCapturedStderr();
  const auto posts = h.transport.posts();
  ASSERT_EQ(posts.size(), 4u);
  EXPECT_EQ(posts[1].token, "first-token");  // a wrong binding: refused
  EXPECT_EQ(posts[2].token, "first-token");  // a binding that is not a string: refused
  EXPECT_EQ(posts[3].token, "bound-token-00001");
  EXPECT_EQ(read_text(h.dir.file("TOKEN")), "bound-token-00001");
  EXPECT_NE(log.find("token_binding does not verify"), std::string::npos) << log;
  EXPECT_NE(log.find("token_binding is not 64 lower-case hex digits"), std::string::npos) << log;
}

TEST(ApiSender, TokenThatIsNotAStringIsIgnored) {
  Harness h([](const RecordedPost&, std::size_t) {
    return testing::reply_status(200, R"({"config": {"enabled": true}, "token": 12345})");
  });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::delivered);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(h.tokens.current()->view(), "first-token");
  EXPECT_EQ(h.config_count(), 1u);
  EXPECT_NE(log.find("\"token\" is not a string (ignored)"), std::string::npos) << log;
}

TEST(ApiSender, Non200BodyIsLoggedShortPrintableAndWithoutTheToken) {
  // A hostile or debugging server that echoes the Authorization header.
  Harness h([](const RecordedPost& post, std::size_t) {
    return testing::reply_status(401, "bad auth: Bearer " + post.token + "\r\n\x01" + std::string(500, 'z'));
  });
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(h.sender.send(k_collect_path, "{}", policy(1, 1ms, 10s)), SendOutcome::failed);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("first-token"), std::string::npos) << log;
  const std::string expected_body = "bad auth: Bearer [token]???" + std::string(200 - 27, 'z') + "...";
  EXPECT_NE(log.find("http status 401, body: '" + expected_body + "'"), std::string::npos) << log;
}

TEST(BodyExcerpt, CutsAt200BytesAndMasksNonPrintables) {
  EXPECT_EQ(body_excerpt("short", ""), "short");
  EXPECT_EQ(body_excerpt(std::string(250, 'a'), ""), std::string(200, 'a') + "...");
  EXPECT_EQ(body_excerpt(std::string(200, 'a'), ""), std::string(200, 'a'));
  EXPECT_EQ(body_excerpt("a\nb\tc\x7f\xff", ""), "a?b?c??");
  EXPECT_EQ(body_excerpt("xx SECRET yy SECRET", "SECRET"), "xx [token] yy [token]");
  // The secret is masked before the cut, so no prefix of it survives.
  EXPECT_EQ(body_excerpt(std::string(195, '.') + "SECRET", "SECRET"), std::string(195, '.') + "[toke...");
}

TEST(ReadApiAnswer, TakesConfigAndToken) {
  auto content = read_api_answer(R"({"config": {"enabled": true, "interval": 120}, "token": "t-1", "extra": 1})");
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_TRUE(content->config.config.enabled);
  EXPECT_EQ(content->config.config.interval, std::chrono::seconds(120));
  ASSERT_TRUE(content->token);
  EXPECT_EQ(content->token->view(), "t-1");
}

TEST(ReadApiAnswer, TakesTheTokenBindingAndMarksOneThatIsNotAString) {
  auto absent = read_api_answer(R"({"config": {}, "token": "t-1"})");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->token_binding.has_value());
  auto present = read_api_answer(R"({"config": {}, "token": "t-1", "token_binding": "abc"})");
  ASSERT_TRUE(present);
  EXPECT_EQ(present->token_binding, std::optional<std::string>("abc"));
  auto not_string = read_api_answer(R"({"config": {}, "token": "t-1", "token_binding": ["abc"]})");
  ASSERT_TRUE(not_string);
  EXPECT_EQ(not_string->token_binding, std::optional<std::string>(""));
}

TEST(ReadApiAnswer, AConfigKeyInsideTheConfigIsNotTheAnswers) {
  auto content = read_api_answer(R"({"config": {"enabled": true, "config": {"enabled": false}}})");
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_TRUE(content->config.config.enabled);
}

TEST(Uploader, DrainsTheOutboxStrictlyInOrder) {
  Harness h([](const RecordedPost& post, std::size_t) {
    // Slower answers for early payloads must not reorder anything.
    ScriptedReply reply = testing::reply_status(200, k_good_answer);
    reply.delay = std::chrono::milliseconds(post.body == "p0" ? 100 : 1);
    return reply;
  });
  Outbox outbox;
  std::atomic<int> policy_asks{0};
  Uploader uploader(outbox, h.sender, [&] {
    ++policy_asks;
    return policy(1, 1ms, 10s);
  });
  uploader.start();
  for (int i = 0; i < 20; ++i) outbox.push("p" + std::to_string(i));
  const auto deadline = Clock::now() + 5s;
  while (uploader.delivered() < 20 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  h.stop.request_stop();
  outbox.close();
  uploader.join();
  const auto posts = h.transport.posts();
  ASSERT_EQ(posts.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(posts[static_cast<std::size_t>(i)].body, "p" + std::to_string(i));
  EXPECT_EQ(uploader.delivered(), 20u);
  EXPECT_EQ(policy_asks.load(), 20);
  EXPECT_EQ(h.config_count(), 20u);
}

TEST(Uploader, DropsAFailedPayloadAndGoesOn) {
  Harness h([](const RecordedPost& post, std::size_t) {
    return post.body == "bad" ? testing::reply_status(500, "") : testing::reply_status(200, k_good_answer);
  });
  Outbox outbox;
  Uploader uploader(outbox, h.sender, [] { return policy(2, 5ms, 10s); });
  uploader.start();
  ::testing::internal::CaptureStderr();
  outbox.push("bad");
  outbox.push("good");
  const auto deadline = Clock::now() + 5s;
  while (uploader.delivered() + uploader.dropped() < 2 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  (void)::testing::internal::GetCapturedStderr();
  h.stop.request_stop();
  outbox.close();
  uploader.join();
  EXPECT_EQ(uploader.dropped(), 1u);
  EXPECT_EQ(uploader.delivered(), 1u);
}

TEST(Uploader, StopEndsAnInFlightSendPromptly) {
  Harness h([](const RecordedPost&, std::size_t) { return testing::reply_hang(); });
  Outbox outbox;
  Uploader uploader(outbox, h.sender, [] { return policy(3, 60'000ms, 300'000ms, 60'000ms); });
  uploader.start();
  outbox.push("p");
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  h.stop.request_stop();
  outbox.close();
  uploader.join();
  EXPECT_LT(ms_between(start, Clock::now()), 300ms);
}

}  // namespace
}  // namespace fivenines
