#include "transport/outbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace fivenines {
namespace {

TEST(Outbox, PopsInFifoOrder) {
  Outbox outbox;
  outbox.push("a");
  outbox.push("b");
  outbox.push("c");
  EXPECT_EQ(outbox.size(), 3u);
  EXPECT_EQ(outbox.pop_wait(), "a");
  EXPECT_EQ(outbox.pop_wait(), "b");
  EXPECT_EQ(outbox.pop_wait(), "c");
  EXPECT_EQ(outbox.size(), 0u);
}

TEST(Outbox, DefaultCapacityIs100) { EXPECT_EQ(Outbox().capacity(), 100u); }

TEST(Outbox, FullOutboxDropsTheOldestAndCountsIt) {
  Outbox outbox(100);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 103; ++i) outbox.push("p" + std::to_string(i));
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outbox.size(), 100u);
  EXPECT_EQ(outbox.pop_wait(), "p3");  // p0..p2 dropped
  EXPECT_EQ(outbox.take_dropped(), 3u);
  EXPECT_EQ(outbox.take_dropped(), 0u);  // reset by the take
  // One warning per drop.
  std::size_t warnings = 0;
  for (std::size_t at = log.find("[WARNING]"); at != std::string::npos; at = log.find("[WARNING]", at + 1)) ++warnings;
  EXPECT_EQ(warnings, 3u) << log;
  EXPECT_NE(log.find("outbox full (100 payloads): oldest payload dropped"), std::string::npos) << log;
}

TEST(Outbox, DropCounterAccumulatesUntilTaken) {
  Outbox outbox(2);
  ::testing::internal::CaptureStderr();
  outbox.push("1");
  outbox.push("2");
  outbox.push("3");
  EXPECT_EQ(outbox.take_dropped(), 1u);
  outbox.push("4");
  outbox.push("5");
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_EQ(outbox.take_dropped(), 2u);
  EXPECT_EQ(outbox.pop_wait(), "4");
  EXPECT_EQ(outbox.pop_wait(), "5");
}

TEST(Outbox, PushWakesAWaitingConsumer) {
  Outbox outbox;
  std::optional<std::string> got;
  std::thread consumer([&] { got = outbox.pop_wait(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  outbox.push("late");
  consumer.join();
  EXPECT_EQ(got, "late");
}

TEST(Outbox, CloseWakesConsumersDiscardsQueueAndRefusesPushes) {
  Outbox outbox;
  std::optional<std::string> got = "unset";
  std::thread consumer([&] { got = outbox.pop_wait(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto start = std::chrono::steady_clock::now();
  outbox.close();
  consumer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(got, std::nullopt);

  Outbox queued;
  queued.push("x");
  queued.push("y");
  ::testing::internal::CaptureStderr();
  queued.close();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("2 queued payload(s) discarded"), std::string::npos) << log;
  EXPECT_EQ(queued.size(), 0u);
  queued.push("z");
  EXPECT_EQ(queued.size(), 0u);
  EXPECT_EQ(queued.pop_wait(), std::nullopt);
}

TEST(Outbox, ConcurrentProducerAndConsumerKeepOrderAndCount) {
  constexpr int k_count = 5000;
  Outbox outbox(k_count);  // no drops: every payload must arrive
  std::vector<std::string> received;
  std::thread consumer([&] {
    while (auto payload = outbox.pop_wait()) {
      received.push_back(std::move(*payload));
      if (received.size() == k_count) break;
    }
  });
  for (int i = 0; i < k_count; ++i) outbox.push(std::to_string(i));
  consumer.join();
  ASSERT_EQ(received.size(), static_cast<std::size_t>(k_count));
  EXPECT_EQ(outbox.take_dropped(), 0u);
  for (std::size_t i = 0; i < received.size(); ++i) ASSERT_EQ(received[i], std::to_string(i));
}

}  // namespace
}  // namespace fivenines
