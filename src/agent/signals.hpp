// SIGTERM, SIGINT and SIGHUP for continuous mode (wire contract §2.5).
//
// The constructor blocks the three signals in the calling thread; every
// thread started afterwards inherits the mask, so the signals are only
// ever read from a signalfd by this watcher's own thread, which calls the
// handlers: on_stop for SIGTERM/SIGINT, on_reprobe for SIGHUP. The
// handlers run on the watcher thread, not in signal context, so they may
// lock and notify. Create it first thing, before any other thread exists
// (a thread with the signals unblocked would take the default action:
// death). SIGCHLD is left alone: the subprocess wrapper needs it.
// Children start with an empty mask (subprocess.hpp resets it).
#pragma once

#include <signal.h>

#include <functional>
#include <thread>

#include "util/result.hpp"

namespace fivenines {

class SignalWatcher {
 public:
  using Handler = std::function<void()>;

  SignalWatcher();
  ~SignalWatcher();  // stops the thread, restores the old mask
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Starts the watcher thread. Errors: ErrorKind::io (signalfd, eventfd).
  [[nodiscard]] Status start(Handler on_stop, Handler on_reprobe);
  // Ends the watcher thread (the handlers are not called after this
  // returns); the signals stay blocked until destruction. Idempotent.
  void stop();

 private:
  void run();

  sigset_t m_signals{};
  sigset_t m_old_mask{};
  int m_signal_fd = -1;
  int m_quit_fd = -1;
  Handler m_on_stop;
  Handler m_on_reprobe;
  std::thread m_thread;
};

}  // namespace fivenines
