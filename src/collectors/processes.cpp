// processes collector: the `processes` key, one object per process.
// Reads: the PROC directory listing; PROC/meminfo (MemTotal, once per tick);
// per process PROC/<pid>/stat and PROC/<pid>/status (the Uid line), and
// PROC/<pid>/cmdline only when the name in stat is 15 bytes or longer (the
// kernel may have cut it). Nothing else per process (no fd walk). User names
// come from NSS (getpwuid_r), cached per uid for ten minutes.
// Privileges: none. Every process is visible on a default procfs mount. With
// hidepid=2 an unprivileged agent is not shown other users' processes; with
// hidepid=1 it lists them but cannot read their files: both are skipped
// quietly, like processes that exit during the scan.
// Unavailable: PROC cannot be listed -> the key is null with the reason.
// prime() reads only the stat files, to take the cpu_percent baseline.
#include "collectors/processes.hpp"

#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "platform/file_read.hpp"
#include "procfs/processes.hpp"
#include "util/python_float.hpp"

namespace fivenines {

namespace {

using Clock = std::chrono::steady_clock;

// A stat file is ~300 bytes (names are at most 64 bytes even for kernel
// threads); status is ~1.5 KiB but its Groups and Cpus_allowed lines grow
// with the host; a cmdline can hold megabytes of arguments.
constexpr std::size_t k_stat_cap_bytes = 16 * 1024;
constexpr std::size_t k_status_cap_bytes = 1024 * 1024;
constexpr std::size_t k_cmdline_cap_bytes = 256 * 1024;
constexpr std::size_t k_meminfo_cap_bytes = 64 * 1024;
constexpr std::size_t k_path_bytes = 4096;
// Room after the root for "/<pid>/cmdline" and the terminating NUL.
constexpr std::size_t k_pid_suffix_bytes = 32;
constexpr std::chrono::minutes k_user_name_refresh{10};
constexpr std::size_t k_passwd_buffer_max_bytes = 1024 * 1024;
// Processes scanned between two checks of the deadline and the stop flag.
constexpr std::size_t k_deadline_check_every = 64;
// Telemetry errors reported per tick; the rest are counted.
constexpr std::size_t k_max_reported_errors = 3;

enum class ScanMode { prime, collect };

class ProcessesCollector final : public Collector {
 public:
  explicit ProcessesCollector(ProcessesOptions options) : m_now(std::move(options.now)) {
    if (!m_now) m_now = [] { return Clock::now(); };
    const long page_size = options.page_size_bytes > 0 ? options.page_size_bytes : ::sysconf(_SC_PAGESIZE);
    const long ticks = options.ticks_per_second > 0 ? options.ticks_per_second : ::sysconf(_SC_CLK_TCK);
    m_page_size_bytes = page_size > 0 ? static_cast<std::uint64_t>(page_size) : 4096;
    m_ticks_per_second = ticks > 0 ? static_cast<double>(ticks) : 100.0;
    const long passwd_size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    m_passwd_buffer.resize(
        std::clamp<std::size_t>(passwd_size > 0 ? static_cast<std::size_t>(passwd_size) : 0, 1024, 64 * 1024));
  }

  void prime(const CollectContext& ctx) override {
    JsonWriter unused;
    (void)scan(ctx, ScanMode::prime, unused);
  }

  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    m_errors.clear();
    m_error_overflow = 0;
    JsonWriter out;
    const Status status = scan(ctx, ScanMode::collect, out);
    if (!status) return sink.fail("processes", status.error().message);
    sink.set("processes", std::move(out));
    for (std::string& error : m_errors) sink.add_error("processes", std::move(error));
    if (m_error_overflow > 0) {
      sink.add_error("processes", std::to_string(m_error_overflow) + " more process files could not be read or parsed");
    }
  }

 private:
  struct Sample {
    int pid = 0;
    std::uint64_t start_time_ticks = 0;
    std::uint64_t cpu_ticks = 0;  // utime + stime
    Clock::time_point at;
  };

  // Fills m_pids with the numeric entries of the proc root, ascending.
  Status list_pids(const std::string& proc_root) {
    m_pids.clear();
    DIR* dir = ::opendir(proc_root.c_str());
    if (dir == nullptr) {
      const int error_number = errno;
      return error_from_errno(error_number, "read " + proc_root);
    }
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view name(entry->d_name);
      // Digits only ("self", "sys", "12abc" are not processes); from_chars
      // alone would accept a leading '-'.
      if (name.empty() || name.front() < '0' || name.front() > '9') continue;
      int pid = 0;
      const auto parsed = std::from_chars(name.data(), name.data() + name.size(), pid);
      if (parsed.ec != std::errc{} || parsed.ptr != name.data() + name.size() || pid <= 0) continue;
      m_pids.push_back(pid);
    }
    ::closedir(dir);
    // The kernel lists pids in ascending order; a fixture tree does not.
    if (!std::is_sorted(m_pids.begin(), m_pids.end())) std::sort(m_pids.begin(), m_pids.end());
    m_pids.erase(std::unique(m_pids.begin(), m_pids.end()), m_pids.end());
    return Ok{};
  }

  Status scan(const CollectContext& ctx, ScanMode mode, JsonWriter& out) {
    const std::string& root = ctx.paths.proc;
    if (root.size() + k_pid_suffix_bytes > k_path_bytes) {
      return make_error(ErrorKind::invalid_config, "read " + root + ": path too long");
    }
    if (auto listed = list_pids(root); !listed) return listed.error();

    std::optional<std::uint64_t> mem_total_bytes;
    if (mode == ScanMode::collect) {
      mem_total_bytes = read_mem_total(root);
      refresh_user_names();
      out.reserve(m_pids.size() * 256);
      out.begin_array();
    }

    char path[k_path_bytes];
    std::memcpy(path, root.data(), root.size());
    path[root.size()] = '/';
    char* const pid_at = path + root.size() + 1;

    m_next_samples.clear();
    std::size_t previous = 0;  // cursor into m_samples, which is sorted by pid
    for (std::size_t index = 0; index < m_pids.size(); ++index) {
      if (index % k_deadline_check_every == 0 && index > 0 &&
          (ctx.stopping.load(std::memory_order_relaxed) || Clock::now() >= ctx.deadline)) {
        return make_error(ErrorKind::timeout, "read " + root + ": deadline passed after " + std::to_string(index) +
                                                  " of " + std::to_string(m_pids.size()) + " processes");
      }
      const int pid = m_pids[index];
      char* const file_at = std::to_chars(pid_at, path + k_path_bytes, pid).ptr;

      set_file(file_at, "/stat");
      if (const Status read = read_file_into(path, m_stat_text, k_stat_cap_bytes); !read) {
        // Gone since the listing (ENOENT/ESRCH) or refused: skip it quietly.
        if (mode == ScanMode::collect && read.error().kind != ErrorKind::absent &&
            read.error().kind != ErrorKind::permission) {
          note_error(read.error().message);
        }
        continue;
      }
      if (m_stat_text.empty()) continue;  // exited between open and read
      const auto stat = parse_process_stat(m_stat_text);
      if (!stat) {
        if (mode == ScanMode::collect) note_error(std::string("parse ") + path + ": " + stat.error().message);
        continue;
      }

      const Clock::time_point now = m_now();
      const std::uint64_t cpu_ticks = stat->utime_ticks + stat->stime_ticks;
      while (previous < m_samples.size() && m_samples[previous].pid < pid) ++previous;
      const Sample* before = nullptr;
      if (previous < m_samples.size() && m_samples[previous].pid == pid &&
          m_samples[previous].start_time_ticks == stat->start_time_ticks) {
        before = &m_samples[previous];
      }
      const double cpu_percent = before != nullptr ? percent_of_one_cpu(*before, cpu_ticks, now) : 0.0;
      m_next_samples.push_back(Sample{pid, stat->start_time_ticks, cpu_ticks, now});
      if (mode == ScanMode::prime) continue;

      set_file(file_at, "/status");
      const std::string* username = nullptr;
      if (const Status read = read_file_into(path, m_text, k_status_cap_bytes); read) {
        const auto uid = parse_status_real_uid(m_text);
        if (uid) {
          username = &user_name(*uid);
        } else {
          note_error(std::string("parse ") + path + ": " + uid.error().message);
        }
      } else if (read.error().kind == ErrorKind::absent) {
        continue;  // exited after its stat was read
      } else if (read.error().kind != ErrorKind::permission) {
        note_error(read.error().message);
      }

      std::string_view name = stat->comm;
      if (comm_may_be_truncated(name)) {
        set_file(file_at, "/cmdline");
        // Unreadable or oversized: keep the name from stat, as the reference does.
        if (read_file_into(path, m_text, k_cmdline_cap_bytes)) name = process_name(stat->comm, m_text);
      }

      out.begin_object();
      out.key("ppid");
      out.integer(stat->ppid);
      out.key("pid");
      out.integer(pid);
      out.key("status");
      out.string(process_status_name(stat->state));
      out.key("num_threads");
      out.integer(stat->num_threads);
      out.key("memory_percent");
      if (mem_total_bytes) {
        // psutil: (rss / total) * 100, in that order, unrounded.
        const double rss_bytes = static_cast<double>(stat->rss_pages * m_page_size_bytes);
        out.number(rss_bytes / static_cast<double>(*mem_total_bytes) * 100.0);
      } else {
        out.null();
      }
      out.key("cpu_percent");
      out.number(cpu_percent);
      out.key("username");
      if (username != nullptr) {
        out.string(*username);
      } else {
        out.null();
      }
      out.key("name");
      out.string(name);
      out.key("cpu_times");
      out.begin_array();
      out.number(static_cast<double>(stat->utime_ticks) / m_ticks_per_second);
      out.number(static_cast<double>(stat->stime_ticks) / m_ticks_per_second);
      out.number(static_cast<double>(stat->children_utime_ticks) / m_ticks_per_second);
      out.number(static_cast<double>(stat->children_stime_ticks) / m_ticks_per_second);
      out.number(static_cast<double>(stat->blkio_ticks) / m_ticks_per_second);
      out.end_array();
      out.end_object();
    }
    if (mode == ScanMode::collect) out.end_array();
    // Processes not seen in this scan are gone: their samples go with them.
    m_samples.swap(m_next_samples);
    return Ok{};
  }

  // % of one CPU between two samples of the same process, Python-rounded to
  // one decimal; 0.0 when the clock or the counters did not move forward.
  [[nodiscard]] double percent_of_one_cpu(const Sample& before, std::uint64_t cpu_ticks, Clock::time_point now) const {
    if (now <= before.at || cpu_ticks < before.cpu_ticks) return 0.0;
    const double seconds = std::chrono::duration<double>(now - before.at).count();
    const double cpu_seconds = static_cast<double>(cpu_ticks - before.cpu_ticks) / m_ticks_per_second;
    return round_python(cpu_seconds / seconds * 100.0, 1);
  }

  std::optional<std::uint64_t> read_mem_total(const std::string& root) {
    const std::string path = root + "/meminfo";
    if (const Status read = read_file_into(path.c_str(), m_text, k_meminfo_cap_bytes); !read) {
      note_error(read.error().message);
      return std::nullopt;
    }
    const auto total = parse_meminfo_total_bytes(m_text);
    if (!total) {
      note_error("parse " + path + ": " + total.error().message);
      return std::nullopt;
    }
    return *total;
  }

  void refresh_user_names() {
    const Clock::time_point now = m_now();
    if (m_user_names.empty() || now >= m_user_names_expire_at || now < m_user_names_expire_at - k_user_name_refresh) {
      m_user_names.clear();
      m_user_names_expire_at = now + k_user_name_refresh;
    }
  }

  // The login name of `uid`, or the uid in decimal when NSS has none (as the
  // reference does).
  const std::string& user_name(std::uint32_t uid) {
    const auto found = m_user_names.find(uid);
    if (found != m_user_names.end()) return found->second;
    std::string name;
    for (;;) {
      passwd entry{};
      passwd* result = nullptr;
      const int rc =
          ::getpwuid_r(static_cast<uid_t>(uid), &entry, m_passwd_buffer.data(), m_passwd_buffer.size(), &result);
      if (rc == ERANGE && m_passwd_buffer.size() < k_passwd_buffer_max_bytes) {
        m_passwd_buffer.resize(m_passwd_buffer.size() * 2);
        continue;
      }
      if (rc == 0 && result != nullptr && result->pw_name != nullptr) name = result->pw_name;
      break;
    }
    if (name.empty()) name = std::to_string(uid);
    return m_user_names.emplace(uid, std::move(name)).first->second;
  }

  static void set_file(char* at, std::string_view file) {
    std::memcpy(at, file.data(), file.size());
    at[file.size()] = '\0';
  }

  void note_error(std::string message) {
    if (m_errors.size() < k_max_reported_errors) {
      m_errors.push_back(std::move(message));
    } else {
      ++m_error_overflow;
    }
  }

  std::function<Clock::time_point()> m_now;
  std::uint64_t m_page_size_bytes = 4096;
  double m_ticks_per_second = 100.0;

  std::vector<int> m_pids;
  std::vector<Sample> m_samples;       // previous scan, sorted by pid
  std::vector<Sample> m_next_samples;  // this scan; swapped in at its end
  std::string m_stat_text;             // the current stat file (comm points here)
  std::string m_text;                  // status, cmdline, meminfo

  std::unordered_map<std::uint32_t, std::string> m_user_names;
  Clock::time_point m_user_names_expire_at{};
  std::vector<char> m_passwd_buffer;

  std::vector<std::string> m_errors;
  std::size_t m_error_overflow = 0;
};

}  // namespace

std::unique_ptr<Collector> make_processes_collector() { return make_processes_collector(ProcessesOptions{}); }

std::unique_ptr<Collector> make_processes_collector(ProcessesOptions options) {
  return std::make_unique<ProcessesCollector>(std::move(options));
}

}  // namespace fivenines
