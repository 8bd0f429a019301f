// The in-memory queue between the collection loop and the uploader (wire
// contract §1.4): at most 100 payloads, drained strictly in order. When it
// is full, push() drops the OLDEST payload (a warning each time) and counts
// it; the agent takes that count with take_dropped() while building its
// next payload and reports it there as `_telemetry.outbox.dropped`, so the
// server learns that data is missing. Pushing never blocks on the network:
// a slow or dead API never delays a collection.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace fivenines {

inline constexpr std::size_t k_outbox_capacity = 100;

class Outbox {
 public:
  explicit Outbox(std::size_t capacity = k_outbox_capacity) : m_capacity(capacity == 0 ? 1 : capacity) {}

  // Queues `payload` and wakes the uploader; dropped (with a debug line)
  // once the outbox is closed.
  void push(std::string payload);

  // The oldest payload; waits until there is one or the outbox is closed
  // (then nullopt).
  [[nodiscard]] std::optional<std::string> pop_wait();

  // Stops the queue: wakes every pop_wait(), discards what is queued
  // (logged with the count), refuses later pushes. Idempotent.
  void close();

  // Payloads dropped because the outbox was full since the last call;
  // resets the count.
  [[nodiscard]] std::uint64_t take_dropped();

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t capacity() const { return m_capacity; }

 private:
  const std::size_t m_capacity;
  mutable std::mutex m_mutex;
  std::condition_variable m_not_empty;
  std::deque<std::string> m_queue;
  std::uint64_t m_dropped = 0;
  bool m_closed = false;
};

}  // namespace fivenines
