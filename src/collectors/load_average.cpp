// load_average collector.
// Reads: sysinfo(2) on the live host, PROC/loadavg under a fixture root.
// Privileges: none. Unavailable: never on Linux; a fixture without loadavg
// makes the key null with the reason in _telemetry.
#include "collectors/load_average.hpp"

#include <sys/sysinfo.h>

#include "platform/file_read.hpp"
#include "procfs/load_average.hpp"

namespace fivenines {

namespace {

class LoadAverageCollector final : public Collector {
 public:
  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    if (ctx.paths.is_live_proc()) {
      // The reference's os.getloadavg() values are the kernel's fixed-point
      // loads (1/65536 steps), finer than the 2 decimals /proc/loadavg shows.
      struct sysinfo info{};
      if (::sysinfo(&info) == 0) {
        constexpr double k_scale = 1 << SI_LOAD_SHIFT;
        return write(sink, {info.loads[0] / k_scale, info.loads[1] / k_scale, info.loads[2] / k_scale});
      }
    }
    char buffer[128];
    const std::string path = ctx.paths.proc_path("loadavg");
    const auto size = read_small_file(path.c_str(), buffer, sizeof buffer);
    if (!size) return sink.fail("load_average", size.error().message);
    const auto load = parse_loadavg(std::string_view(buffer, *size));
    if (!load) return sink.fail("load_average", path + ": " + load.error().message);
    write(sink, *load);
  }

 private:
  static void write(PayloadSink& sink, const LoadAverage& load) {
    JsonWriter out;
    out.begin_array();
    out.number(load.one_minute);
    out.number(load.five_minutes);
    out.number(load.fifteen_minutes);
    out.end_array();
    sink.set("load_average", std::move(out));
  }
};

}  // namespace

std::unique_ptr<Collector> make_load_average_collector() { return std::make_unique<LoadAverageCollector>(); }

}  // namespace fivenines
