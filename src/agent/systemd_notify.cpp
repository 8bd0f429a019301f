#include "agent/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "util/log.hpp"

namespace fivenines {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  // 0: keep the variables; they are denied to children separately.
  if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    m_ping_period = std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1));
    m_min_gap = std::chrono::milliseconds(usec / 10000);
    log_debug("systemd watchdog every " + std::to_string(usec / 1000) + " ms: pinging at least every " +
              std::to_string(m_ping_period.count()) + " ms");
  }
}

void SystemdNotifier::send(std::string_view state) {
  const std::string text(state);
  const int rc = ::sd_notify(0, text.c_str());
  if (rc < 0) log_debug("sd_notify " + text + ": " + std::strerror(-rc));
}

void SystemdNotifier::ready() { send("READY=1"); }

void SystemdNotifier::stopping() { send("STOPPING=1"); }

void SystemdNotifier::watchdog() {
  const auto now = Clock::now().time_since_epoch().count();
  const auto last = m_last_ping.load();
  const auto gap = std::chrono::duration_cast<Clock::duration>(m_min_gap).count();
  if (last != 0 && now - last < gap) return;
  m_last_ping.store(now);
  send("WATCHDOG=1");
}

}  // namespace fivenines
