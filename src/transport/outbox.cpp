#include "transport/outbox.hpp"

#include <utility>

#include "util/log.hpp"

namespace fivenines {

void Outbox::push(std::string payload) {
  bool dropped_oldest = false;
  std::uint64_t dropped_total = 0;
  {
    const std::lock_guard lock(m_mutex);
    if (m_closed) {
      log_debug("outbox closed: payload discarded");
      return;
    }
    if (m_queue.size() >= m_capacity) {
      m_queue.pop_front();
      ++m_dropped;
      dropped_oldest = true;
      dropped_total = m_dropped;
    }
    m_queue.push_back(std::move(payload));
  }
  m_not_empty.notify_one();
  if (dropped_oldest) {
    log_warn("outbox full (" + std::to_string(m_capacity) + " payloads): oldest payload dropped (" +
             std::to_string(dropped_total) + " not yet reported)");
  }
}

std::optional<std::string> Outbox::pop_wait() {
  std::unique_lock lock(m_mutex);
  m_not_empty.wait(lock, [this] { return m_closed || !m_queue.empty(); });
  if (m_closed) return std::nullopt;
  std::string payload = std::move(m_queue.front());
  m_queue.pop_front();
  return payload;
}

void Outbox::close() {
  std::size_t discarded = 0;
  {
    const std::lock_guard lock(m_mutex);
    if (m_closed) return;
    m_closed = true;
    discarded = m_queue.size();
    m_queue.clear();
  }
  m_not_empty.notify_all();
  if (discarded > 0) log_info("outbox closed: " + std::to_string(discarded) + " queued payload(s) discarded");
}

std::uint64_t Outbox::take_dropped() {
  const std::lock_guard lock(m_mutex);
  return std::exchange(m_dropped, 0);
}

std::size_t Outbox::size() const {
  const std::lock_guard lock(m_mutex);
  return m_queue.size();
}

}  // namespace fivenines
