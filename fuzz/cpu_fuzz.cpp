// libFuzzer target for the cpu collector's parsers: /proc/stat cpu lines (and
// the interval arithmetic on what they yield), /proc/cpuinfo model name, and
// the sysfs online CPU list; the results are serialised as the collector does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/cpu_info.hpp"
#include "procfs/cpu_online.hpp"
#include "procfs/cpu_stat.hpp"
#include "util/json_writer.hpp"
#include "util/python_float.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  CpuStat stat;
  if (parse_cpu_stat(text, stat)) {
    check(!stat.cpus.empty());
    JsonWriter out;
    out.begin_array();
    const CpuTicks zero{};
    for (std::size_t i = 0; i < stat.cpus.size(); ++i) {
      if (i > 0) check(stat.cpus[i - 1].cpu < stat.cpus[i].cpu);
      // Every CPU against zero and against its neighbour (arbitrary
      // "backwards" counters): all values must stay within [0, 100].
      const CpuTicks* baselines[] = {&zero, &stat.cpus[i == 0 ? 0 : i - 1]};
      for (const CpuTicks* baseline : baselines) {
        const CpuPercentages shares = cpu_percentages(*baseline, stat.cpus[i]);
        check(shares.busy >= 0 && shares.busy <= 100);
        out.begin_object();
        out.key("percentage");
        out.number(round_python(shares.busy, 1));
        for (const double value : shares.fields) {
          check(value >= 0 && value <= 100);
          out.key("f");
          out.number(round_python(value, 1));
        }
        out.end_object();
      }
      out.begin_array();
      for (const std::uint64_t ticks : stat.cpus[i].ticks) out.number(static_cast<double>(ticks) / 100.0);
      out.end_array();
    }
    out.end_array();
  }

  if (const auto model = parse_cpu_model(text)) {
    JsonWriter out;
    out.string(*model);
  }

  if (const auto count = parse_cpu_list_count(text)) {
    JsonWriter out;
    out.unsigned_integer(*count);
  }
  return 0;
}
