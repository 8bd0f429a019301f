// Sending to the fivenines API (wire contract §1.4, §1.5, §9): the retry
// schedule, the whole-send time cap, what counts as success, and what is
// done with a good answer. Plus the uploader thread that drains the outbox
// through it, strictly in order.
//
// A send of one body:
//   attempt n (1..retry) → only HTTP 200 with a JSON object whose `config`
//   is an object is success; anything else fails the attempt and is logged
//   (a non-200 with its status and at most 200 printable bytes of body) →
//   after failed attempt n, a wait of retry_interval × n (also after the
//   last attempt, then the body is dropped).
// Every attempt and every wait of one send ends within
// min(interval, 300 s) of its start, whatever request_options say; each
// attempt also ends within request_options.timeout. A stop cuts every wait
// and (through ApiTransport's `stopping`) every request short.
//
// A good answer: its config (read by read_config_strict) goes to the
// caller's ConfigSink, an answer `token` (string), with its
// `token_binding`, to TokenStore::accept_token, which applies the token
// rotation policy (TOKEN_ROTATION) before anything changes. A bad answer
// leaves the previous config and the token alone.
//
// Thread-safety: ApiSender::send() may run on two threads at once (the
// uploader thread, and the agent loop's synchronous get_config), so the
// ApiTransport must allow concurrent post_once() calls; the ConfigSink must
// be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "config/config_reader.hpp"
#include "config/remote_config.hpp"
#include "identity/token_store.hpp"
#include "transport/api_transport.hpp"
#include "transport/outbox.hpp"
#include "transport/stop_signal.hpp"

namespace fivenines {

inline constexpr std::string_view k_collect_path = "/collect";
// The longest a whole send may take, whatever the interval (§1.4 + issue 3).
inline constexpr std::chrono::seconds k_send_cap_max{300};
// How much of a failed answer's body a log line shows.
inline constexpr std::size_t k_logged_body_max_bytes = 200;

struct SendPolicy {
  RequestOptions options;
  // Every attempt and every wait of one send end within this time.
  std::chrono::milliseconds cap{60'000};
};

// request_options of `config`, and a cap of min(interval, 300 s).
[[nodiscard]] SendPolicy send_policy_for(const RequestOptions& options, std::chrono::milliseconds interval);
[[nodiscard]] SendPolicy send_policy_for(const RemoteConfig& config);

// A 200 answer, checked (§1.5).
struct ApiAnswerContent {
  ConfigReadResult config;
  SharedSecret token;  // null when the answer has none (or not a string)
  bool token_not_a_string = false;
  // The answer's `token_binding` (TOKEN_ROTATION=bound): nullopt when
  // absent, "" when present but not a string (refused as malformed).
  std::optional<std::string> token_binding;
};

// Reads an answer body. Errors (ErrorKind::parse): "answer is not valid
// json", "answer is nested deeper than 32", "answer is not a json object",
// "answer has no \"config\"", "answer's \"config\" is not an object", or the
// config reader's own error. Never includes the token in a message.
[[nodiscard]] Result<ApiAnswerContent> read_api_answer(std::string_view body);

// At most `max_bytes` of `body` for a log line: every occurrence of
// `secret` (the token, when not empty) replaced by "[token]" first, then
// anything but printable ASCII shown as '?'; "..." marks a cut.
[[nodiscard]] std::string body_excerpt(std::string_view body, std::string_view secret,
                                       std::size_t max_bytes = k_logged_body_max_bytes);

enum class SendOutcome {
  delivered,  // a 200 with a valid answer
  failed,     // every attempt failed, or the cap ran out: dropped
  stopped,    // a stop was requested
};

// Called during a long send so that the systemd watchdog keeps being fed
// by the thread that does the send (the agent loop).
struct Heartbeat {
  std::function<void()> beat;
  std::chrono::milliseconds period{0};  // 0: only before each attempt
};

class ApiSender {
 public:
  using ConfigSink = std::function<void(ConfigReadResult)>;
  using Clock = std::chrono::steady_clock;

  ApiSender(ApiTransport& transport, TokenStore& tokens, const StopSignal& stop, ConfigSink on_config);

  SendOutcome send(std::string_view path, std::string_view json_body, const SendPolicy& policy,
                   const Heartbeat& heartbeat = {});

 private:
  // Sleeps until `until` or a stop (false), beating the heartbeat.
  bool wait(Clock::time_point until, const Heartbeat& heartbeat);

  ApiTransport& m_transport;
  TokenStore& m_tokens;
  const StopSignal& m_stop;
  ConfigSink m_on_config;
};

// The thread that drains the outbox through an ApiSender. To stop it:
// request the stop on the StopSignal, close the outbox, then join().
class Uploader {
 public:
  using PolicySource = std::function<SendPolicy()>;

  // `policy` is asked before each payload, so request_options of the
  // current config apply.
  Uploader(Outbox& outbox, ApiSender& sender, PolicySource policy);
  ~Uploader();
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  void start();
  void join();

  [[nodiscard]] std::uint64_t delivered() const { return m_delivered.load(); }
  [[nodiscard]] std::uint64_t dropped() const { return m_dropped.load(); }

 private:
  void run();

  Outbox& m_outbox;
  ApiSender& m_sender;
  PolicySource m_policy;
  std::thread m_thread;
  std::atomic<std::uint64_t> m_delivered{0};
  std::atomic<std::uint64_t> m_dropped{0};
};

}  // namespace fivenines
