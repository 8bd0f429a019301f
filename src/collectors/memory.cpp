// memory collector: the `memory` and `swap` payload keys.
// Reads: PROC/meminfo every tick; PROC/vmstat (pswpin/pswpout) for swap
// activity; PROC/zoneinfo only on kernels without MemAvailable (< 3.14) or
// when it reads 0, to estimate available memory the way psutil does.
// Privileges: none (all three files are world-readable).
// Unavailable: PROC/meminfo unreadable or without MemTotal makes both keys
// null with the reason in _telemetry. A missing vmstat gives sin/sout 0 and a
// missing zoneinfo the MemFree + Cached fallback, silently, as psutil does.
// A meminfo line of a used field whose value is not a number is ignored, as
// if absent, and adds an error to the memory entry (psutil would raise).
#include "collectors/memory.hpp"

#include <unistd.h>

#include "platform/file_read.hpp"

namespace fivenines {

namespace {

// meminfo is about 1.5 KiB and vmstat 5 KiB; zoneinfo grows with zones and
// CPUs (per-CPU pagesets) and can reach megabytes on big NUMA hosts.
constexpr std::size_t k_meminfo_cap_bytes = 256 * 1024;
constexpr std::size_t k_vmstat_cap_bytes = 1024 * 1024;

class MemoryCollector final : public Collector {
 public:
  explicit MemoryCollector(std::uint64_t page_size_bytes) : m_page_size_bytes(page_size_bytes) {}

  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    update_paths(ctx.paths);
    const Status read = read_file_into(m_meminfo_path.c_str(), m_buffer, k_meminfo_cap_bytes);
    Result<MemInfo> info = read ? parse_meminfo(m_buffer) : Result<MemInfo>(read.error());
    if (!info) {
      const std::string reason = read ? "parse " + m_meminfo_path + ": " + info.error().message : info.error().message;
      sink.fail("memory", reason);
      sink.fail("swap", reason);
      return;
    }

    std::optional<std::uint64_t> watermark_low_bytes;
    if (needs_zoneinfo_estimate(*info) &&
        read_file_into(m_zoneinfo_path.c_str(), m_buffer, k_default_read_cap_bytes)) {
      watermark_low_bytes = zone_low_watermark_bytes(parse_zoneinfo_watermarks(m_buffer), m_page_size_bytes);
    }
    sink.set("memory", memory_json(derive_virtual_memory(*info, watermark_low_bytes)));
    if (info->malformed_lines != 0) {
      // psutil would raise on such a line; we treat the field as absent and say so.
      sink.add_error("memory", "parse " + m_meminfo_path + ": " + std::to_string(info->malformed_lines) +
                                   " malformed line(s) ignored");
    }

    std::optional<SwapActivity> activity;
    if (read_file_into(m_vmstat_path.c_str(), m_buffer, k_vmstat_cap_bytes)) activity = parse_vmstat_swap(m_buffer);
    sink.set("swap", swap_json(derive_swap_memory(*info, activity)));
  }

 private:
  // The paths change only with the proc root; build them once, not per tick.
  void update_paths(const HostPaths& paths) {
    if (!m_meminfo_path.empty() && paths.proc == m_proc_root) return;
    m_proc_root = paths.proc;
    m_meminfo_path = paths.proc_path("meminfo");
    m_zoneinfo_path = paths.proc_path("zoneinfo");
    m_vmstat_path = paths.proc_path("vmstat");
  }

  std::uint64_t m_page_size_bytes;
  std::string m_buffer;  // reused by every read, keeps its capacity
  std::string m_proc_root;
  std::string m_meminfo_path;
  std::string m_zoneinfo_path;
  std::string m_vmstat_path;
};

std::uint64_t system_page_size_bytes() {
  const long size = ::sysconf(_SC_PAGESIZE);
  return size > 0 ? static_cast<std::uint64_t>(size) : 4096;
}

}  // namespace

std::string memory_json(const VirtualMemory& memory) {
  JsonWriter out;
  out.reserve(320);
  out.begin_object();
  out.key("total");
  out.unsigned_integer(memory.total_bytes);
  out.key("available");
  out.unsigned_integer(memory.available_bytes);
  out.key("percent");
  out.number(memory.percent);
  out.key("used");
  out.unsigned_integer(memory.used_bytes);
  out.key("free");
  out.unsigned_integer(memory.free_bytes);
  out.key("active");
  out.unsigned_integer(memory.active_bytes);
  out.key("inactive");
  out.unsigned_integer(memory.inactive_bytes);
  out.key("buffers");
  out.unsigned_integer(memory.buffers_bytes);
  out.key("cached");
  out.unsigned_integer(memory.cached_bytes);
  out.key("shared");
  out.unsigned_integer(memory.shared_bytes);
  out.key("slab");
  out.unsigned_integer(memory.slab_bytes);
  out.end_object();
  return out.take();
}

std::string swap_json(const SwapMemory& swap) {
  JsonWriter out;
  out.reserve(160);
  out.begin_object();
  out.key("total");
  out.unsigned_integer(swap.total_bytes);
  out.key("used");
  out.unsigned_integer(swap.used_bytes);
  out.key("free");
  out.unsigned_integer(swap.free_bytes);
  out.key("percent");
  out.number(swap.percent);
  out.key("sin");
  out.unsigned_integer(swap.swapped_in_bytes);
  out.key("sout");
  out.unsigned_integer(swap.swapped_out_bytes);
  out.end_object();
  return out.take();
}

std::unique_ptr<Collector> make_memory_collector() {
  return std::make_unique<MemoryCollector>(system_page_size_bytes());
}

std::unique_ptr<Collector> make_memory_collector_with_page_size(std::uint64_t page_size_bytes) {
  return std::make_unique<MemoryCollector>(page_size_bytes);
}

}  // namespace fivenines
