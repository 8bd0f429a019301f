#include "agent/agent.hpp"

#include <algorithm>
#include <exception>

#include "agent/credentials.hpp"
#include "agent/host_setup.hpp"
#include "agent/static_fields.hpp"
#include "capabilities/probes.hpp"
#include "collectors/registry.hpp"
#include "util/log.hpp"

namespace fivenines {

namespace {

std::string interval_text(std::chrono::milliseconds interval) {
  if (interval.count() % 1000 == 0) return std::to_string(interval.count() / 1000) + " s";
  return std::to_string(interval.count()) + " ms";
}

}  // namespace

Agent::Agent(Settings settings, AgentDeps deps, AgentTuning tuning)
    : m_settings(std::move(settings)), m_deps(std::move(deps)), m_tuning(tuning), m_outbox(tuning.outbox_capacity) {
  m_policy = policy_for(RemoteConfig{});
}

Agent::~Agent() {
  request_stop();
  if (m_uploader) m_uploader->join();
}

void Agent::request_stop() {
  m_stop.request_stop();
  m_outbox.close();
  { const std::lock_guard lock(m_event_mutex); }
  m_event_cv.notify_all();
}

void Agent::request_reprobe() {
  m_reprobe_requested.store(true);
  { const std::lock_guard lock(m_event_mutex); }
  m_event_cv.notify_all();
}

std::optional<RemoteConfig> Agent::latest_config() const {
  const std::lock_guard lock(m_event_mutex);
  return m_latest_config;
}

AgentCounters Agent::counters() const {
  return AgentCounters{m_config_requests.load(), m_configs_applied.load(), m_ticks.load(), m_probes.load()};
}

std::chrono::milliseconds Agent::effective_interval(const RemoteConfig& config) const {
  if (m_tuning.interval_override) return *m_tuning.interval_override;
  return std::chrono::duration_cast<std::chrono::milliseconds>(config.interval);
}

SendPolicy Agent::policy_for(const RemoteConfig& config) const {
  SendPolicy policy = send_policy_for(config.request_options, effective_interval(config));
  policy.cap = std::min(policy.cap, m_tuning.send_cap_max);
  return policy;
}

SendPolicy Agent::current_policy() const {
  const std::lock_guard lock(m_event_mutex);
  return m_policy;
}

// Runs on whichever thread got the answer (the uploader's, or the loop's
// own during get_config): hand the config over and wake the loop.
void Agent::on_answer_config(ConfigReadResult fresh) {
  {
    const std::lock_guard lock(m_event_mutex);
    m_policy = policy_for(fresh.config);
    m_latest_config = fresh.config;
    m_pending_config = std::move(fresh);
  }
  m_event_cv.notify_all();
}

CapabilitySet Agent::probe_now() {
  ++m_probes;
  if (m_deps.probe_capabilities) return m_deps.probe_capabilities();
  return probe_all_capabilities(ProbeEnvironment::for_host(m_settings.paths, m_env_deny));
}

void Agent::reconfigure_collectors() {
  m_collectors.configure(m_config, [this](std::string_view key) { return is_gated_off(m_capabilities, key); });
  refresh_capability_fields(m_fields, m_capabilities, enabled_config_keys(m_config));
}

int Agent::run() {
  auto token = load_credentials(m_settings.config_dir);
  if (!token) {
    log_error(token.error().message);
    return 2;
  }
  // Loads the enrollment state (TOKEN_STATE) for this token; every token an
  // answer carries goes through its rotation policy.
  m_tokens = std::make_unique<TokenStore>(m_settings.config_dir, std::move(*token), m_settings.token_rotation);
  if (m_deps.make_transport) m_transport = m_deps.make_transport();
  if (!m_transport) {
    log_error("no transport to the api " + m_settings.api_url + ": cannot run");
    return 2;
  }
  log_info(std::string("fivenines-agent ") + FIVENINES_VERSION + " starting: api " + m_settings.api_url +
           ", config dir " + m_settings.config_dir + ", TOKEN_ROTATION " +
           std::string(token_rotation_name(m_settings.token_rotation)) + ", USER_CONTEXT " +
           (m_settings.user_context_form == UserContextForm::full ? "full" : "minimal"));

  m_env_deny = child_env_deny_list();
  const HostIdentity host = read_host_identity(m_settings, MachineIdMode::create_if_missing);
  m_capabilities = probe_now();
  print_capabilities_banner(m_capabilities);
  m_fields = make_static_fields(host, m_capabilities, enabled_config_keys(m_config), m_settings.user_context_form);

  m_sender = std::make_unique<ApiSender>(*m_transport, *m_tokens, m_stop,
                                         [this](ConfigReadResult fresh) { on_answer_config(std::move(fresh)); });
  m_uploader = std::make_unique<Uploader>(m_outbox, *m_sender, [this] { return current_policy(); });
  m_uploader->start();

  m_notifier.ready();
  try {
    loop();
  } catch (const std::exception& error) {
    // The module edge (§2.5): log, then the same clean shutdown.
    log_error(std::string("Error: ") + error.what());
  }
  m_notifier.stopping();
  log_info("stopping");
  request_stop();
  m_uploader->join();
  return 0;
}

void Agent::loop() {
  auto next_ask = Clock::now();  // no config yet: ask at once
  auto next_tick = Clock::now();
  auto next_probe = Clock::now() + m_tuning.reprobe_period;
  std::optional<Clock::time_point> last_tick_start;
  bool enabled = false;
  while (!m_stop.stop_requested()) {
    m_notifier.watchdog();

    std::optional<ConfigReadResult> fresh;
    {
      const std::lock_guard lock(m_event_mutex);
      fresh.swap(m_pending_config);
    }
    if (fresh) {
      const auto old_interval = effective_interval(m_config);
      apply_config(std::move(*fresh));
      const auto interval = effective_interval(m_config);
      if (m_config.enabled && !enabled) {
        next_tick = Clock::now();
        m_primed = false;
      } else if (!m_config.enabled && enabled) {
        next_ask = Clock::now() + m_tuning.disabled_wait;
      } else if (enabled && interval != old_interval && last_tick_start) {
        next_tick = std::max(Clock::now(), *last_tick_start + interval);
      }
      enabled = m_config.enabled;
    }

    if (m_reprobe_requested.exchange(false)) {
      reprobe(true);
      next_probe = Clock::now() + m_tuning.reprobe_period;
      continue;
    }
    if (Clock::now() >= next_probe) {
      reprobe(false);
      next_probe = Clock::now() + m_tuning.reprobe_period;
    }

    if (!enabled) {
      if (Clock::now() >= next_ask) {
        ask_for_config();
        next_ask = Clock::now() + m_tuning.disabled_wait;
        continue;
      }
      wait_for_event(std::min(next_ask, next_probe));
      continue;
    }
    if (Clock::now() >= next_tick) {
      const auto tick_start = tick();
      const auto interval = effective_interval(m_config);
      last_tick_start = tick_start;
      // Sleep the interval minus the time spent, at least min_sleep (§1.7).
      next_tick = std::max(tick_start + interval, Clock::now() + m_tuning.min_sleep);
      continue;
    }
    wait_for_event(std::min(next_tick, next_probe));
  }
}

void Agent::wait_for_event(Clock::time_point until) {
  const auto ping = m_notifier.ping_period();
  if (ping.count() > 0) until = std::min(until, Clock::now() + ping);
  std::unique_lock lock(m_event_mutex);
  m_event_cv.wait_until(lock, until, [this] {
    return m_stop.stop_requested() || m_reprobe_requested.load() || m_pending_config.has_value();
  });
}

void Agent::ask_for_config() {
  const std::string body = build_config_request(m_fields);
  ++m_config_requests;
  log_debug("asking the api for the config");
  const Heartbeat heartbeat{[this] { m_notifier.watchdog(); }, m_notifier.ping_period()};
  (void)m_sender->send(k_collect_path, body, current_policy(), heartbeat);
}

Agent::Clock::time_point Agent::tick() {
  if (!m_primed) {
    // First tick: sample, wait a short window, then collect, so that CPU
    // percentages are real rather than "since boot".
    const CollectContext prime_ctx{m_settings.paths, m_config, Clock::now() + m_tuning.tick_deadline, m_stop.flag()};
    m_collectors.prime(prime_ctx);
    if (!m_stop.sleep_for(m_tuning.first_sample_window)) return Clock::now();
    m_primed = true;
  }
  const double ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto tick_start = Clock::now();
  const CollectContext ctx{m_settings.paths, m_config, tick_start + m_tuning.tick_deadline, m_stop.flag()};
  PayloadSink sink;
  m_collectors.collect(ctx, sink);
  if (m_stop.stop_requested()) return tick_start;
  const double running_time = std::chrono::duration<double>(Clock::now() - tick_start).count();
  std::string payload = build_metric_payload(m_fields, ts, sink, running_time, m_outbox.take_dropped());
  m_outbox.push(std::move(payload));
  ++m_ticks;
  return tick_start;
}

void Agent::apply_config(ConfigReadResult fresh) {
  // The API resends the same config with every answer: repeat its
  // warnings only when they change.
  if (fresh.warnings != m_last_warnings) {
    for (const auto& warning : fresh.warnings) log_warn(warning);
    m_last_warnings = std::move(fresh.warnings);
  }
  const bool first = !m_have_config;
  const auto old_interval = effective_interval(m_config);
  const bool was_enabled = m_config.enabled;
  m_config = std::move(fresh.config);
  m_have_config = true;
  const auto interval = effective_interval(m_config);
  if (m_config.enabled && (first || !was_enabled)) {
    log_info("collection enabled by the api: every " + interval_text(interval));
  } else if (!m_config.enabled && (first || was_enabled)) {
    log_info("collection not enabled by the api: asking again every " + interval_text(m_tuning.disabled_wait));
  } else if (m_config.enabled && interval != old_interval) {
    log_info("collection interval is now " + interval_text(interval));
  }
  reconfigure_collectors();
  ++m_configs_applied;
}

void Agent::reprobe(bool show_banner) {
  CapabilitySet fresh = probe_now();
  for (const auto& change : capability_changes(m_capabilities, fresh)) {
    log_info("capability " + change.name + ": " + change.before + " -> " + change.after);
  }
  m_capabilities = std::move(fresh);
  if (show_banner) print_capabilities_banner(m_capabilities);
  reconfigure_collectors();
}

}  // namespace fivenines
