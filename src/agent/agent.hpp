// Continuous mode (wire contract §1.6, §1.7, §2.5, §2.6, §7.3): the loop.
//
// Start: read CONFIG_DIR/TOKEN (unusable → one error line, exit 2), build
// the transport, read the host identity (creating MACHINE_ID), probe the
// capabilities, start the uploader thread, READY=1. Then, on one thread:
//   - no config yet, or `enabled` false: POST the get_config body
//     synchronously (the uploader's retry rules; the watchdog is fed during
//     it), then wait 25 s and ask again;
//   - enabled: collect every `interval` (the first tick samples CPU counters
//     over k_first_sample_window first), sleeping the interval minus the
//     time spent, at least 0.1 s; each payload goes to the outbox, so a
//     slow or dead API never delays a collection;
//   - every config an answer carries (to any request) replaces the config:
//     the loop wakes and applies it (collector state is kept);
//   - capabilities are re-probed every 300 s and on request_reprobe()
//     (SIGHUP), flips logged, the static capability fields refreshed;
//   - WATCHDOG=1 on every iteration, and waits wake at the watchdog's
//     half period to send it.
// request_stop() (SIGTERM/SIGINT) ends every wait and request at once;
// run() then discards the queue, joins the uploader and returns 0.
//
// Timing constants and the outbox size live in AgentTuning so tests can
// shrink them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/collector_set.hpp"
#include "agent/dry_run.hpp"
#include "agent/payload.hpp"
#include "agent/systemd_notify.hpp"
#include "capabilities/capabilities.hpp"
#include "config/config_reader.hpp"
#include "config/settings.hpp"
#include "identity/token_store.hpp"
#include "transport/api_transport.hpp"
#include "transport/outbox.hpp"
#include "transport/stop_signal.hpp"
#include "transport/uploader.hpp"

namespace fivenines {

struct AgentTuning {
  // Between two get_config requests while not enabled (§1.7).
  std::chrono::milliseconds disabled_wait{25'000};
  // Between two full capability probes (§7.3).
  std::chrono::milliseconds reprobe_period{300'000};
  std::chrono::milliseconds first_sample_window{k_first_sample_window};
  // The shortest sleep between two ticks (§1.7).
  std::chrono::milliseconds min_sleep{100};
  // A tick's collectors end by this long after it starts.
  std::chrono::milliseconds tick_deadline{30'000};
  // The longest a whole send may take (with the interval: min of both).
  std::chrono::milliseconds send_cap_max{k_send_cap_max};
  // Replaces the config's interval (which the reader clamps to 30..3600 s);
  // for tests only.
  std::optional<std::chrono::milliseconds> interval_override;
  std::size_t outbox_capacity = k_outbox_capacity;
};

struct AgentDeps {
  // Called once, after the token was read; nullptr → exit 2.
  std::function<std::unique_ptr<ApiTransport>()> make_transport;
  // The full capability probe; empty: the host's probes (probes.hpp).
  std::function<CapabilitySet()> probe_capabilities;
};

struct AgentCounters {
  std::uint64_t config_requests = 0;  // get_config bodies sent
  std::uint64_t configs_applied = 0;  // answers whose config the loop applied
  std::uint64_t ticks = 0;            // payloads queued
  std::uint64_t probes = 0;           // full capability probes, the first included
};

class Agent {
 public:
  Agent(Settings settings, AgentDeps deps, AgentTuning tuning = {});
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs until request_stop(). Returns the exit code: 0, or 2 when the
  // token or the transport is unusable.
  int run();

  // Thread-safe and async-signal-free: for the signal watcher and tests.
  void request_stop();
  void request_reprobe();

  // The last config received from the API (nullopt before any).
  [[nodiscard]] std::optional<RemoteConfig> latest_config() const;
  [[nodiscard]] AgentCounters counters() const;
  // The uploader's outbox (tests look at its size and drop counter).
  [[nodiscard]] Outbox& outbox() { return m_outbox; }

 private:
  using Clock = std::chrono::steady_clock;

  void loop();
  void ask_for_config();
  // Returns when the collection started (after the first tick's sampling
  // window), from which the next tick is timed.
  Clock::time_point tick();
  void apply_config(ConfigReadResult fresh);
  void reprobe(bool show_banner);
  void on_answer_config(ConfigReadResult fresh);
  void wait_for_event(Clock::time_point until);
  [[nodiscard]] SendPolicy current_policy() const;
  [[nodiscard]] SendPolicy policy_for(const RemoteConfig& config) const;
  [[nodiscard]] std::chrono::milliseconds effective_interval(const RemoteConfig& config) const;
  [[nodiscard]] CapabilitySet probe_now();
  void reconfigure_collectors();

  const Settings m_settings;
  AgentDeps m_deps;
  const AgentTuning m_tuning;

  StopSignal m_stop;
  Outbox m_outbox;
  SystemdNotifier m_notifier;
  std::unique_ptr<TokenStore> m_tokens;
  std::unique_ptr<ApiTransport> m_transport;
  std::unique_ptr<ApiSender> m_sender;
  std::unique_ptr<Uploader> m_uploader;
  std::vector<std::string> m_env_deny;

  // Loop thread only.
  RemoteConfig m_config;
  bool m_have_config = false;
  bool m_primed = false;
  std::vector<std::string> m_last_warnings;
  CapabilitySet m_capabilities;
  StaticFields m_fields;
  CollectorSet m_collectors;

  // Shared with the uploader thread and the signal watcher.
  mutable std::mutex m_event_mutex;
  std::condition_variable m_event_cv;
  std::optional<ConfigReadResult> m_pending_config;
  std::optional<RemoteConfig> m_latest_config;
  SendPolicy m_policy;
  std::atomic<bool> m_reprobe_requested{false};
  std::atomic<std::uint64_t> m_config_requests{0};
  std::atomic<std::uint64_t> m_configs_applied{0};
  std::atomic<std::uint64_t> m_ticks{0};
  std::atomic<std::uint64_t> m_probes{0};
};

// main's continuous mode: the signal watcher (SIGTERM/SIGINT stop,
// SIGHUP re-probes), the transport from make_transport(settings), and
// Agent::run(). Returns the exit code.
[[nodiscard]] int run_agent(const Settings& settings);

}  // namespace fivenines
