// Real signals to this test process: the watcher turns them into calls on
// its own thread.
#include "agent/signals.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace fivenines {
namespace {

using namespace std::chrono_literals;

bool wait_for(const std::atomic<int>& value, int at_least) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (value.load() < at_least && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return value.load() >= at_least;
}

TEST(SignalWatcher, TermIntAndHupReachTheirHandlers) {
  std::atomic<int> stops{0};
  std::atomic<int> reprobes{0};
  SignalWatcher watcher;
  ASSERT_TRUE(watcher.start([&] { ++stops; }, [&] { ++reprobes; }));
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  EXPECT_TRUE(wait_for(reprobes, 1));
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  EXPECT_TRUE(wait_for(stops, 1));
  ASSERT_EQ(::kill(::getpid(), SIGINT), 0);
  EXPECT_TRUE(wait_for(stops, 2));
  watcher.stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(reprobes.load(), 1);
  EXPECT_EQ(stops.load(), 2);
  EXPECT_NE(log.find("sighup: re-probing capabilities"), std::string::npos) << log;
  EXPECT_NE(log.find("sigterm: stopping"), std::string::npos) << log;
  EXPECT_NE(log.find("sigint: stopping"), std::string::npos) << log;
}

TEST(SignalWatcher, ThreadsStartedAfterItInheritTheBlockedMask) {
  SignalWatcher watcher;
  sigset_t seen{};
  std::thread([&] { ::pthread_sigmask(SIG_BLOCK, nullptr, &seen); }).join();
  EXPECT_EQ(sigismember(&seen, SIGTERM), 1);
  EXPECT_EQ(sigismember(&seen, SIGINT), 1);
  EXPECT_EQ(sigismember(&seen, SIGHUP), 1);
  EXPECT_EQ(sigismember(&seen, SIGCHLD), 0);
}

TEST(SignalWatcher, RestoresTheMaskWhenDestroyed) {
  { SignalWatcher watcher; }
  sigset_t now{};
  ::pthread_sigmask(SIG_BLOCK, nullptr, &now);
  EXPECT_EQ(sigismember(&now, SIGTERM), 0);
}

}  // namespace
}  // namespace fivenines
