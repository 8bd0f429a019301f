#include "agent/signals.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "platform/file_read.hpp"
#include "util/log.hpp"

namespace fivenines {

SignalWatcher::SignalWatcher() {
  sigemptyset(&m_signals);
  sigaddset(&m_signals, SIGTERM);
  sigaddset(&m_signals, SIGINT);
  sigaddset(&m_signals, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &m_signals, &m_old_mask);
}

SignalWatcher::~SignalWatcher() {
  stop();
  if (m_signal_fd >= 0) ::close(m_signal_fd);
  if (m_quit_fd >= 0) ::close(m_quit_fd);
  ::pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
}

void SignalWatcher::stop() {
  if (!m_thread.joinable()) return;
  const std::uint64_t one = 1;
  while (::write(m_quit_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
  m_thread.join();
}

Status SignalWatcher::start(Handler on_stop, Handler on_reprobe) {
  m_on_stop = std::move(on_stop);
  m_on_reprobe = std::move(on_reprobe);
  m_signal_fd = ::signalfd(-1, &m_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m_signal_fd < 0) return error_from_errno(errno, "signalfd");
  m_quit_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_quit_fd < 0) return error_from_errno(errno, "eventfd");
  m_thread = std::thread([this] { run(); });
  return Ok{};
}

void SignalWatcher::run() {
  pollfd fds[2] = {{m_signal_fd, POLLIN, 0}, {m_quit_fd, POLLIN, 0}};
  while (true) {
    // No timeout needed: the destructor always wakes this poll.
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      log_error(error_from_errno(errno, "poll signalfd").message);
      return;
    }
    if (fds[1].revents != 0) return;
    signalfd_siginfo info{};
    while (::read(m_signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const auto signal_number = static_cast<int>(info.ssi_signo);
      if (signal_number == SIGHUP) {
        log_info("sighup: re-probing capabilities");
        if (m_on_reprobe) m_on_reprobe();
      } else {
        log_info(signal_number == SIGINT ? "sigint: stopping" : "sigterm: stopping");
        if (m_on_stop) m_on_stop();
      }
    }
  }
}

}  // namespace fivenines
