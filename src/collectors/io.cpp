// io collector.
// Reads: PROC/diskstats, nothing else (one read per tick).
// Privileges: none; /proc/diskstats is world-readable.
// Unavailable: when PROC/diskstats cannot be read (no procfs, a kernel built
// without block layer): the key is null with the reason in _telemetry. Lines
// of an unknown layout are skipped and summarised in one telemetry error; the
// other disks are still sent. Counters are sent as the kernel prints them
// (no wrap compensation); bytes above 2^64 - 1 are sent exactly, as Python
// would, so a huge sector count never overflows.
#include "collectors/io.hpp"

#include <string>

#include "platform/file_read.hpp"
#include "procfs/io_diskstats.hpp"

namespace fivenines {

namespace {

constexpr std::string_view k_key = "io";

// About the JSON size of one entry, to size the writer once.
constexpr std::size_t k_entry_json_bytes = 260;

class IoCollector final : public Collector {
 public:
  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    m_path.assign(ctx.paths.proc);
    m_path += "/diskstats";
    const auto read = read_file_into(m_path.c_str(), m_text);
    if (!read) return sink.fail(k_key, read.error().message);
    parse_diskstats_into(m_text, m_stats);

    JsonWriter out;
    out.reserve(2 + m_stats.disks.size() * k_entry_json_bytes);
    out.begin_array();
    for (const DiskStat& disk : m_stats.disks) write_disk(out, disk);
    out.end_array();
    sink.set(k_key, std::move(out));

    if (m_stats.skipped_lines > 0) {
      std::string error = m_path;
      error += ": skipped ";
      error += std::to_string(m_stats.skipped_lines);
      error += m_stats.skipped_lines == 1 ? " malformed line" : " malformed lines";
      error += " (first: line ";
      error += std::to_string(m_stats.first_skipped_line);
      error += ", ";
      error += std::to_string(m_stats.first_skipped_field_count);
      error += " fields)";
      sink.add_error(k_key, std::move(error));
    }
  }

 private:
  static void write_bytes(JsonWriter& out, std::string_view key, std::uint64_t sectors) {
    char text[k_sector_bytes_text_max];
    out.key(key);
    out.raw(std::string_view(text, format_sector_bytes(sectors, text)));
  }

  static void write_disk(JsonWriter& out, const DiskStat& disk) {
    out.begin_object();
    out.key(disk.name);
    out.begin_object();
    out.key("read_count");
    out.unsigned_integer(disk.read_count);
    out.key("write_count");
    out.unsigned_integer(disk.write_count);
    write_bytes(out, "read_bytes", disk.read_sectors);
    write_bytes(out, "write_bytes", disk.write_sectors);
    out.key("read_time");
    out.unsigned_integer(disk.read_time_ms);
    out.key("write_time");
    out.unsigned_integer(disk.write_time_ms);
    out.key("read_merged_count");
    out.unsigned_integer(disk.read_merged_count);
    out.key("write_merged_count");
    out.unsigned_integer(disk.write_merged_count);
    out.key("busy_time");
    out.unsigned_integer(disk.busy_time_ms);
    out.end_object();
    out.end_object();
  }

  std::string m_path;   // PROC/diskstats, rebuilt in place each tick
  std::string m_text;   // the file's bytes; capacity kept between ticks
  DiskStats m_stats;    // views into m_text; capacity kept between ticks
};

}  // namespace

std::unique_ptr<Collector> make_io_collector() { return std::make_unique<IoCollector>(); }

}  // namespace fivenines
