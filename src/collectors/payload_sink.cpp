#include "collectors/collector.hpp"

namespace fivenines {

double PayloadSink::lap_ms() {
  const auto now = Clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - m_lap_start).count();
  m_lap_start = now;
  return ms;
}

void PayloadSink::set(std::string_view key, std::string json) {
  PayloadEntry entry;
  entry.key = key;
  entry.json = std::move(json);
  entry.duration_ms = lap_ms();
  m_entries.push_back(std::move(entry));
}

void PayloadSink::fail(std::string_view key, std::string error) {
  PayloadEntry entry;
  entry.key = key;
  entry.is_null = true;
  entry.errors.push_back(std::move(error));
  entry.duration_ms = lap_ms();
  m_entries.push_back(std::move(entry));
}

void PayloadSink::add_error(std::string_view key, std::string error) {
  for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
    if (it->key == key) {
      it->errors.push_back(std::move(error));
      return;
    }
  }
}

const PayloadEntry* PayloadSink::find(std::string_view key) const {
  for (const auto& entry : m_entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

}  // namespace fivenines
