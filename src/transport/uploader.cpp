#include "transport/uploader.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "util/log.hpp"

namespace fivenines {

namespace {

using Json = nlohmann::json;

// "5 s", "0.5 s", "1.25 s".
std::string seconds_text(std::chrono::milliseconds duration) {
  char buffer[32];
  const double seconds = static_cast<double>(duration.count()) / 1000.0;
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

}  // namespace

SendPolicy send_policy_for(const RequestOptions& options, std::chrono::milliseconds interval) {
  SendPolicy policy;
  policy.options = options;
  policy.cap = std::min<std::chrono::milliseconds>(interval, k_send_cap_max);
  if (policy.cap.count() <= 0) policy.cap = std::chrono::milliseconds(1);
  return policy;
}

SendPolicy send_policy_for(const RemoteConfig& config) {
  return send_policy_for(config.request_options, std::chrono::duration_cast<std::chrono::milliseconds>(config.interval));
}

Result<ApiAnswerContent> read_api_answer(std::string_view body) {
  if (body.size() > k_api_answer_max_bytes) return make_error(ErrorKind::parse, "answer is larger than 1 MiB");
  bool too_deep = false;
  // Refuses deep nesting while parsing, before it can exhaust the stack.
  const Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= k_config_max_depth) {
      too_deep = true;
      throw std::runtime_error("too deep");
    }
    return true;
  };
  Json root;
  try {
    root = Json::parse(body.begin(), body.end(), limit_depth, true, false);
  } catch (const std::exception&) {
    if (too_deep) return make_error(ErrorKind::parse, "answer is nested deeper than " + std::to_string(k_config_max_depth));
    return make_error(ErrorKind::parse, "answer is not valid json");
  }
  if (!root.is_object()) return make_error(ErrorKind::parse, "answer is not a json object");
  const auto config_it = root.find("config");
  if (config_it == root.end()) return make_error(ErrorKind::parse, "answer has no \"config\"");
  if (!config_it->is_object()) return make_error(ErrorKind::parse, "answer's \"config\" is not an object");

  ApiAnswerContent content{};
  if (const auto token_it = root.find("token"); token_it != root.end()) {
    if (token_it->is_string()) {
      auto& text = token_it->get_ref<std::string&>();
      content.token = std::make_shared<const Secret>(text);
      OPENSSL_cleanse(text.data(), text.size());
    } else {
      content.token_not_a_string = true;
    }
  }
  if (const auto binding_it = root.find("token_binding"); binding_it != root.end()) {
    content.token_binding = binding_it->is_string() ? binding_it->get<std::string>() : std::string();
  }
  // The config reader gets the config alone (never the token) in an
  // answer-shaped wrapper, so that a "config" key inside the config object
  // is not mistaken for the answer's.
  std::string config_text;
  try {
    Json wrapper = Json::object();
    wrapper["config"] = std::move(*config_it);
    config_text = wrapper.dump();
  } catch (const std::exception&) {
    return make_error(ErrorKind::parse, "answer's \"config\" cannot be re-serialised");
  }
  auto config = read_config_strict(config_text);
  if (!config) return config.error();
  content.config = std::move(*config);
  return content;
}

std::string body_excerpt(std::string_view body, std::string_view secret, std::size_t max_bytes) {
  std::string redacted;
  if (!secret.empty()) {
    redacted.reserve(std::min(body.size(), max_bytes * 4));
    std::size_t from = 0;
    while (from < body.size()) {
      const std::size_t hit = body.find(secret, from);
      if (hit == std::string_view::npos) {
        redacted.append(body.substr(from));
        break;
      }
      redacted.append(body.substr(from, hit - from));
      redacted += "[token]";
      from = hit + secret.size();
    }
    body = redacted;
  }
  std::string out;
  const std::size_t shown = std::min(body.size(), max_bytes);
  out.reserve(shown + 3);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto u = static_cast<unsigned char>(body[i]);
    out += (u >= 0x20 && u < 0x7F) ? static_cast<char>(u) : '?';
  }
  if (body.size() > max_bytes) out += "...";
  return out;
}

ApiSender::ApiSender(ApiTransport& transport, TokenStore& tokens, const StopSignal& stop, ConfigSink on_config)
    : m_transport(transport), m_tokens(tokens), m_stop(stop), m_on_config(std::move(on_config)) {}

bool ApiSender::wait(Clock::time_point until, const Heartbeat& heartbeat) {
  while (true) {
    const auto now = Clock::now();
    if (now >= until) return !m_stop.stop_requested();
    auto next = until;
    if (heartbeat.beat && heartbeat.period.count() > 0) next = std::min(until, now + heartbeat.period);
    if (!m_stop.sleep_until(next)) return false;
    if (next < until && heartbeat.beat) heartbeat.beat();
  }
}

SendOutcome ApiSender::send(std::string_view path, std::string_view json_body, const SendPolicy& policy,
                            const Heartbeat& heartbeat) {
  const std::string what = "post " + std::string(path);
  const auto send_deadline = Clock::now() + policy.cap;
  const int attempts = std::max(1, policy.options.attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (m_stop.stop_requested()) return SendOutcome::stopped;
    if (heartbeat.beat) heartbeat.beat();
    const auto attempt_start = Clock::now();
    if (attempt_start >= send_deadline) {
      log_error(what + ": giving up before attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) +
                ": the send used its whole time cap (" + seconds_text(policy.cap) + "); dropped");
      return SendOutcome::failed;
    }
    const auto attempt_deadline = std::min(attempt_start + policy.options.timeout, send_deadline);
    const SharedSecret token = m_tokens.current();
    const std::string_view token_text = token ? token->view() : std::string_view{};
    auto answer = m_transport.post_once(path, json_body, token_text, attempt_deadline, m_stop.flag());
    // A good answer that arrived is used even when a stop came meanwhile:
    // it may carry a new token that the server now expects.
    if (!answer && m_stop.stop_requested()) return SendOutcome::stopped;

    std::string reason;
    if (!answer) {
      reason = answer.error().message;
    } else if (answer->http_status != 200) {
      reason = "http status " + std::to_string(answer->http_status) + ", body: '" +
               body_excerpt(answer->body, token_text) + "'";
    } else {
      auto content = read_api_answer(answer->body);
      if (content) {
        if (content->token) OPENSSL_cleanse(answer->body.data(), answer->body.size());
        log_debug(what + ": delivered (attempt " + std::to_string(attempt) + ")");
        if (content->token_not_a_string) log_warn(what + ": the answer's \"token\" is not a string (ignored)");
        if (content->token) {
          (void)m_tokens.accept_token(content->token->view(), content->token_binding);
          content->token.reset();
        }
        if (m_on_config) m_on_config(std::move(content->config));
        return SendOutcome::delivered;
      }
      reason = "http status 200 but " + content.error().message + " (previous config kept)";
    }
    if (m_stop.stop_requested()) return SendOutcome::stopped;

    const auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(policy.options.retry_interval * attempt);
    const bool last = attempt == attempts;
    log_warn(what + ": attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + " failed: " + reason +
             (last ? "; waiting " : "; next attempt in ") + seconds_text(pause) + (last ? " before giving up" : ""));
    if (!wait(std::min(Clock::now() + pause, send_deadline), heartbeat)) return SendOutcome::stopped;
    if (!last && Clock::now() >= send_deadline) {
      log_error(what + ": giving up after attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) +
                ": the send used its whole time cap (" + seconds_text(policy.cap) + "); dropped");
      return SendOutcome::failed;
    }
  }
  log_error(what + ": all " + std::to_string(attempts) + " attempt(s) failed; dropped");
  return SendOutcome::failed;
}

Uploader::Uploader(Outbox& outbox, ApiSender& sender, PolicySource policy)
    : m_outbox(outbox), m_sender(sender), m_policy(std::move(policy)) {}

Uploader::~Uploader() {
  if (m_thread.joinable()) {
    m_outbox.close();
    m_thread.join();
  }
}

void Uploader::start() { m_thread = std::thread([this] { run(); }); }

void Uploader::join() {
  if (m_thread.joinable()) m_thread.join();
}

void Uploader::run() {
  while (auto payload = m_outbox.pop_wait()) {
    SendOutcome outcome = SendOutcome::failed;
    try {
      outcome = m_sender.send(k_collect_path, *payload, m_policy());
    } catch (const std::exception& error) {
      // The module edge: nothing may end this thread but a stop.
      log_error(std::string("uploader: ") + error.what());
    } catch (...) {
      log_error("uploader: unknown exception");
    }
    if (outcome == SendOutcome::stopped) break;
    if (outcome == SendOutcome::delivered) {
      ++m_delivered;
    } else {
      ++m_dropped;
    }
  }
  log_debug("uploader stopped");
}

}  // namespace fivenines
