// The process's "stop now" flag, shared by the agent loop, the uploader and
// every ApiTransport call (its `stopping` argument). Set once, by SIGTERM or
// SIGINT (or a test); every wait that uses sleep_until() returns at once.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace fivenines {

class StopSignal {
 public:
  using Clock = std::chrono::steady_clock;

  // Idempotent; wakes every sleeper.
  void request_stop() {
    {
      const std::lock_guard lock(m_mutex);
      m_stopping.store(true);
    }
    m_wake.notify_all();
  }

  [[nodiscard]] bool stop_requested() const noexcept { return m_stopping.load(); }
  [[nodiscard]] const std::atomic<bool>& flag() const noexcept { return m_stopping; }

  // Sleeps until `deadline` or a stop. Returns true when the deadline came,
  // false when a stop was requested (before or during the sleep).
  bool sleep_until(Clock::time_point deadline) const {
    std::unique_lock lock(m_mutex);
    m_wake.wait_until(lock, deadline, [this] { return m_stopping.load(); });
    return !m_stopping.load();
  }
  bool sleep_for(Clock::duration duration) const { return sleep_until(Clock::now() + duration); }

 private:
  std::atomic<bool> m_stopping{false};
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_wake;
};

}  // namespace fivenines
