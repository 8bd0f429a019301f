// systemd notifications (wire contract §2.6) through libsystemd's
// sd_notify: READY=1 once the loop runs, WATCHDOG=1 on every iteration and
// during long phases, STOPPING=1 on the way out. Without NOTIFY_SOCKET
// nothing is sent (sd_notify does nothing then).
//
// Thread-safety: every member may be called from any thread, but WATCHDOG=1
// should come from the thread whose liveness it vouches for (the loop).
#pragma once

#include <atomic>
#include <chrono>
#include <string_view>

namespace fivenines {

class SystemdNotifier {
 public:
  using Clock = std::chrono::steady_clock;

  // Reads WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled) once.
  SystemdNotifier();

  void ready();
  void stopping();
  // WATCHDOG=1, at most once per `min_gap` (a tenth of the watchdog
  // period, so a busy loop does not flood the socket).
  void watchdog();

  // How often the loop must call watchdog() at the latest: half the
  // watchdog period; zero when systemd set no watchdog.
  [[nodiscard]] std::chrono::milliseconds ping_period() const { return m_ping_period; }

 private:
  void send(std::string_view state);

  std::chrono::milliseconds m_ping_period{0};
  std::chrono::milliseconds m_min_gap{0};
  std::atomic<Clock::rep> m_last_ping{0};
};

}  // namespace fivenines
