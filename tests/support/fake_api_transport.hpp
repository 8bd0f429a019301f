// An in-process ApiTransport for unit tests of the uploader and the loop:
// answers come from a test-written script, every call is recorded (path,
// body, token, when, deadline), and an answer may be delayed or held back
// the way a slow or hung API would, honouring the deadline and `stopping`
// like the real transport must. Test-only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/api_transport.hpp"

namespace fivenines::testing {

struct RecordedPost {
  std::string path;
  std::string body;
  std::string token;
  std::chrono::steady_clock::time_point at;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point returned;
};

// What one call does: an answer (or error) after an optional delay; `hang`
// waits until the deadline or the stop, then reports a timeout.
struct ScriptedReply {
  Result<ApiAnswer> reply = ApiAnswer{200, R"({"config": {}})"};
  std::chrono::milliseconds delay{0};
  bool hang = false;
};

inline ScriptedReply reply_status(long status, std::string body) {
  return ScriptedReply{ApiAnswer{status, std::move(body)}, {}, false};
}
inline ScriptedReply reply_error(ErrorKind kind, std::string message) {
  return ScriptedReply{Error{kind, std::move(message)}, {}, false};
}
inline ScriptedReply reply_hang() { return ScriptedReply{Error{ErrorKind::timeout, "unused"}, {}, true}; }

class FakeApiTransport final : public ApiTransport {
 public:
  using Clock = std::chrono::steady_clock;
  // Decides the reply to call number `index` (0-based) given its request.
  using Script = std::function<ScriptedReply(const RecordedPost& post, std::size_t index)>;

  explicit FakeApiTransport(Script script) : m_script(std::move(script)) {}

  Result<ApiAnswer> post_once(std::string_view path, std::string_view json_body, std::string_view token,
                              Clock::time_point deadline, const std::atomic<bool>& stopping) override {
    RecordedPost post{std::string(path), std::string(json_body), std::string(token), Clock::now(), deadline, {}};
    std::size_t index = 0;
    {
      const std::lock_guard lock(m_mutex);
      index = m_calls++;
    }
    ScriptedReply reply = m_script(post, index);
    const auto hold_until = reply.hang ? deadline : std::min(deadline, post.at + reply.delay);
    bool stopped = false;
    bool timed_out = false;
    // Polls like the real transport does (every 100 ms there; 5 ms here).
    while (Clock::now() < hold_until) {
      if (stopping.load()) {
        stopped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!stopped && (reply.hang || post.at + reply.delay > deadline)) timed_out = true;
    post.returned = Clock::now();
    {
      const std::lock_guard lock(m_mutex);
      m_posts.push_back(post);
    }
    m_changed.notify_all();
    if (stopped) return Error{ErrorKind::io, "aborted: stopping"};
    if (timed_out) return Error{ErrorKind::timeout, "post " + std::string(path) + ": timed out"};
    return std::move(reply.reply);
  }

  [[nodiscard]] std::vector<RecordedPost> posts() const {
    const std::lock_guard lock(m_mutex);
    return m_posts;
  }
  [[nodiscard]] std::size_t count() const {
    const std::lock_guard lock(m_mutex);
    return m_posts.size();
  }
  // Waits until `n` calls have returned, or `timeout`; returns whether they did.
  bool wait_for_posts(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_posts.size() >= n; });
  }
  // Waits until `predicate(posts)` holds, or `timeout`.
  bool wait_until(const std::function<bool(const std::vector<RecordedPost>&)>& predicate,
                  std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return predicate(m_posts); });
  }

 private:
  Script m_script;
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_changed;
  std::vector<RecordedPost> m_posts;
  std::size_t m_calls = 0;
};

}  // namespace fivenines::testing
