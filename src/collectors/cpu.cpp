// cpu collector.
// Reads: PROC/stat (every tick, and once in prime() for the baseline),
// PROC/cpuinfo (until it has been read once: the model does not change while
// the kernel runs, and on x86 each read of cpuinfo samples every CPU's
// frequency, which is slow on big hosts), SYS/devices/system/cpu/online.
// Privileges: none.
// Unavailable: PROC/stat unreadable or without a valid cpuN line makes `cpu`
// and `cpu_usage` null; PROC/cpuinfo unreadable makes `cpu_model` null (a
// cpuinfo without "model name", as on arm64, gives "-"); `cpu_count` falls
// back to counting the cpuN lines of PROC/stat when the online list is
// missing or unparsable, and is null only when both fail.
#include "collectors/cpu.hpp"

#include <unistd.h>

#include <optional>
#include <string>

#include "platform/file_read.hpp"
#include "procfs/cpu_info.hpp"
#include "procfs/cpu_online.hpp"
#include "procfs/cpu_stat.hpp"
#include "util/python_float.hpp"

namespace fivenines {

namespace {

// /proc/stat is ~100 bytes per CPU plus an "intr" line of one number per
// IRQ; 4 MiB covers thousands of CPUs.
constexpr std::size_t k_stat_cap_bytes = 4 * 1024 * 1024;
// cpuinfo is ~1-3 KiB per CPU (x86 flag lists are long).
constexpr std::size_t k_cpuinfo_cap_bytes = 16 * 1024 * 1024;
// The online list: "0-1023" normally; a sparse list of many single CPUs is
// longer, and one that does not fit falls back to counting stat lines.
constexpr std::size_t k_online_cap_bytes = 4096;
constexpr long k_default_ticks_per_second = 100;

constexpr const char* k_field_names[k_cpu_time_fields] = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice",
};

class CpuCollector final : public Collector {
 public:
  explicit CpuCollector(long ticks_per_second)
      : m_ticks_per_second(static_cast<double>(ticks_per_second > 0 ? ticks_per_second : k_default_ticks_per_second)) {}

  void prime(const CollectContext& ctx) override {
    const std::string path = ctx.paths.proc_path("stat");
    if (!read_file_into(path.c_str(), m_buffer, k_stat_cap_bytes)) return;  // collect() reports it
    if (!parse_cpu_stat(m_buffer, m_current)) return;
    std::swap(m_previous, m_current.cpus);
    m_have_previous = true;
  }

  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    const std::optional<std::size_t> stat_cpus = collect_stat(ctx, sink);
    collect_model(ctx, sink);
    collect_count(ctx, sink, stat_cpus);
  }

 private:
  // Emits `cpu` and `cpu_usage`; returns the number of cpuN lines read.
  std::optional<std::size_t> collect_stat(const CollectContext& ctx, PayloadSink& sink) {
    const std::string path = ctx.paths.proc_path("stat");
    const Status read = read_file_into(path.c_str(), m_buffer, k_stat_cap_bytes);
    if (!read) {
      sink.fail("cpu", read.error().message);
      sink.fail("cpu_usage", read.error().message);
      return std::nullopt;
    }
    const Status parsed = parse_cpu_stat(m_buffer, m_current);
    if (!parsed) {
      const std::string reason = path + ": " + parsed.error().message;
      sink.fail("cpu", reason);
      sink.fail("cpu_usage", reason);
      return std::nullopt;
    }
    write_percentages(sink);
    write_usage(sink);
    if (m_current.malformed_lines > 0) {
      const std::string reason = path + ": skipped " + std::to_string(m_current.malformed_lines) +
                                 " malformed cpu line(s) (" + m_current.first_problem + ")";
      sink.add_error("cpu", reason);
      sink.add_error("cpu_usage", reason);
    }
    const std::size_t count = m_current.cpus.size();
    // This sample is the baseline of the next tick.
    std::swap(m_previous, m_current.cpus);
    m_have_previous = true;
    return count;
  }

  void write_percentages(PayloadSink& sink) const {
    JsonWriter out;
    out.reserve(m_current.cpus.size() * 200 + 2);
    out.begin_array();
    // Both samples ascend by cpu number: a merge join matches each CPU with
    // its own baseline even when CPUs went offline or came online between
    // them. A CPU without a baseline is measured since boot (against zero).
    const CpuTicks since_boot{};
    std::size_t j = 0;
    for (const CpuTicks& cpu : m_current.cpus) {
      const CpuTicks* baseline = &since_boot;
      if (m_have_previous) {
        while (j < m_previous.size() && m_previous[j].cpu < cpu.cpu) ++j;
        if (j < m_previous.size() && m_previous[j].cpu == cpu.cpu) baseline = &m_previous[j];
      }
      const CpuPercentages shares = cpu_percentages(*baseline, cpu);
      out.begin_object();
      out.key("percentage");
      out.number(round_python(shares.busy, 1));
      for (std::size_t i = 0; i < k_cpu_time_fields; ++i) {
        out.key(k_field_names[i]);
        out.number(round_python(shares.fields[i], 1));
      }
      out.end_object();
    }
    out.end_array();
    sink.set("cpu", std::move(out));
  }

  void write_usage(PayloadSink& sink) const {
    JsonWriter out;
    out.reserve(m_current.cpus.size() * 120 + 2);
    out.begin_array();
    for (const CpuTicks& cpu : m_current.cpus) {
      out.begin_array();
      for (const std::uint64_t ticks : cpu.ticks) out.number(static_cast<double>(ticks) / m_ticks_per_second);
      out.end_array();
    }
    out.end_array();
    sink.set("cpu_usage", std::move(out));
  }

  void collect_model(const CollectContext& ctx, PayloadSink& sink) {
    if (!m_model) {
      // A local buffer: cpuinfo is large and read once, so m_buffer does not
      // keep its size for the agent's lifetime.
      std::string text;
      const std::string path = ctx.paths.proc_path("cpuinfo");
      const Status read = read_file_into(path.c_str(), text, k_cpuinfo_cap_bytes);
      if (!read) return sink.fail("cpu_model", read.error().message);
      const auto model = parse_cpu_model(text);
      m_model = model ? std::string(*model) : std::string("-");
    }
    JsonWriter out;
    out.string(*m_model);
    sink.set("cpu_model", std::move(out));
  }

  void collect_count(const CollectContext& ctx, PayloadSink& sink, std::optional<std::size_t> stat_cpus) {
    char buffer[k_online_cap_bytes];
    const std::string path = ctx.paths.sys_path("devices/system/cpu/online");
    const auto size = read_small_file(path.c_str(), buffer, sizeof buffer);
    std::string problem;
    if (size) {
      const auto count = parse_cpu_list_count(std::string_view(buffer, *size));
      if (count) return sink.set("cpu_count", std::to_string(*count));
      problem = path + ": " + count.error().message;
    } else if (size.error().kind != ErrorKind::absent) {
      problem = size.error().message;
    }
    // No usable online list (old kernels, /sys not mounted in a container):
    // count the cpuN lines of /proc/stat, as glibc's get_nprocs() does.
    if (stat_cpus) {
      sink.set("cpu_count", std::to_string(*stat_cpus));
      if (!problem.empty()) sink.add_error("cpu_count", problem);
      return;
    }
    // Here `problem` is empty only when the online list is absent.
    const std::string& reason = problem.empty() ? size.error().message : problem;
    sink.fail("cpu_count", reason + "; fallback: no usable cpu lines in " + ctx.paths.proc_path("stat"));
  }

  double m_ticks_per_second;
  std::string m_buffer;            // reused for PROC/stat every tick
  CpuStat m_current;               // reused parse target
  std::vector<CpuTicks> m_previous;  // the previous sample, ascending cpu numbers
  bool m_have_previous = false;
  std::optional<std::string> m_model;  // set once cpuinfo has been read
};

}  // namespace

std::unique_ptr<Collector> make_cpu_collector() { return make_cpu_collector_with_user_hz(::sysconf(_SC_CLK_TCK)); }

std::unique_ptr<Collector> make_cpu_collector_with_user_hz(long ticks_per_second) {
  return std::make_unique<CpuCollector>(ticks_per_second);
}

}  // namespace fivenines
