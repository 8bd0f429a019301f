// partitions collector.
// Reads: PROC/mounts and PROC/filesystems (parsed by procfs/partitions),
// then statvfs(3) of every physical partition's mount point.
// Privileges: none. A mount point the agent may not search (EACCES, EPERM)
// or that vanished since PROC/mounts was read (ENOENT) is left out of
// partitions_usage without an error, as the reference does.
// Unavailable: PROC/mounts unreadable makes both keys null; any other
// statvfs error makes partitions_usage null (the reference's disk_usage()
// raised). PROC/filesystems unreadable is not an error: the filter then
// accepts any device path starting with '/' (see is_physical_partition).
//
// Hung mounts. statvfs() on an NFS/CIFS mount whose server is gone blocks in
// the kernel, possibly forever, and no signal or timeout can take the
// calling thread back. So the calls run on one worker thread, reused from
// tick to tick (no thread per mount, none per tick on the happy path): the
// collector hands it a path and waits on a condition variable until the
// call's deadline, which is the earliest of ctx.deadline, tick start +
// k_tick_budget and call start + k_call_timeout. If the reply has not come:
//   - the mount is skipped this tick with "statvfs <mount>: timed out";
//   - the worker is abandoned: its thread is detached and told to exit as
//     soon as its stuck call returns, and the next mount gets a new worker;
//   - the abandoned worker is remembered under the mount path; while its
//     call is still stuck, later ticks skip that mount at once with the same
//     error, so a hung mount holds at most one thread, ever. Once the call
//     returns (the server came back), the entry is dropped and the mount is
//     read again normally.
// Mounts left when the tick's time is spent are skipped with one error.
// Everything the worker thread touches (its request/reply slot, the statvfs
// function) lives in shared_ptr-owned state, so the collector may be
// destroyed while a call is stuck; the idle worker is joined on destruction.
// Workers block all signals, so none is ever delivered to a stuck thread.
#include "collectors/partitions.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "platform/file_read.hpp"
#include "procfs/partitions.hpp"

namespace fivenines {

namespace {

using Clock = std::chrono::steady_clock;

// At most this long per tick on statvfs, whatever ctx.deadline allows.
constexpr auto k_tick_budget = std::chrono::seconds(2);
// A healthy statvfs (even over NFS) answers in milliseconds; one that takes
// longer than this is treated as hung for this tick, so that one bad mount
// does not starve the others of the tick's budget.
constexpr auto k_call_timeout = std::chrono::milliseconds(500);
// /proc/filesystems is about 1 KiB; /proc/mounts uses the default cap
// (a Kubernetes node can list thousands of mounts).
constexpr std::size_t k_filesystems_cap_bytes = 256 * 1024;

constexpr std::string_view k_metadata_key = "partitions_metadata";
constexpr std::string_view k_usage_key = "partitions_usage";

int system_statvfs(const std::string& path, struct statvfs* out) {
  // A raw /proc/mounts field may hold a literal NUL; the C path would stop
  // there and name another directory.
  if (path.find('\0') != std::string::npos) return ENOENT;
  return ::statvfs(path.c_str(), out) == 0 ? 0 : errno;
}

// The request/reply slot shared by the collector and one worker thread.
struct StatvfsWorker {
  explicit StatvfsWorker(std::shared_ptr<const StatvfsFunction> function_in) : function(std::move(function_in)) {}

  std::mutex mutex;
  std::condition_variable changed;
  const std::shared_ptr<const StatvfsFunction> function;
  // Written by the collector only while no request is outstanding, read by
  // the thread during the call.
  std::string path;
  bool has_request = false;
  bool has_reply = false;
  bool abandoned = false;  // exit after the current call (or now, if idle)
  int error_number = 0;
  struct statvfs reply {};
};

void run_worker(const std::shared_ptr<StatvfsWorker>& worker) {
  std::unique_lock lock(worker->mutex);
  for (;;) {
    worker->changed.wait(lock, [&] { return worker->has_request || worker->abandoned; });
    if (!worker->has_request) return;
    worker->has_request = false;
    lock.unlock();
    struct statvfs result {};
    int error_number = EIO;
    try {
      error_number = (*worker->function)(worker->path, &result);
    } catch (...) {
      // Only an injected function can throw; an exception must not end the
      // process from a worker thread.
      error_number = EIO;
    }
    lock.lock();
    worker->reply = result;
    worker->error_number = error_number;
    worker->has_reply = true;
    worker->changed.notify_all();
    if (worker->abandoned) return;
  }
}

struct CallResult {
  enum class Outcome { done, timed_out, no_thread } outcome = Outcome::done;
  int error_number = 0;
  struct statvfs value {};
  std::string thread_error;
};

class PartitionsCollector final : public Collector {
 public:
  explicit PartitionsCollector(StatvfsFunction function)
      : m_function(std::make_shared<const StatvfsFunction>(std::move(function))) {}

  PartitionsCollector(const PartitionsCollector&) = delete;
  PartitionsCollector& operator=(const PartitionsCollector&) = delete;

  ~PartitionsCollector() override {
    if (!m_worker) return;
    {
      const std::lock_guard lock(m_worker->mutex);
      m_worker->abandoned = true;
    }
    m_worker->changed.notify_all();
    // The current worker is idle (it answered its last request), so this
    // returns at once. Stuck workers were detached when given up on.
    m_thread.join();
  }

  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    const std::string mounts_path = ctx.paths.proc_path("mounts");
    const auto read = read_file_into(mounts_path.c_str(), m_mounts_text);
    if (!read) {
      sink.fail(k_metadata_key, read.error().message);
      sink.fail(k_usage_key, read.error().message);
      return;
    }
    const std::string filesystems_path = ctx.paths.proc_path("filesystems");
    FilesystemTable table;
    const FilesystemTable* filesystems = nullptr;
    if (read_file_into(filesystems_path.c_str(), m_filesystems_text, k_filesystems_cap_bytes)) {
      table = parse_filesystems(m_filesystems_text);
      filesystems = &table;
    }
    const std::vector<Partition> partitions = select_partitions(m_mounts_text, filesystems);

    write_metadata(partitions, sink);
    write_usage(ctx, partitions, sink);
  }

 private:
  static void write_metadata(const std::vector<Partition>& partitions, PayloadSink& sink) {
    JsonWriter out;
    out.begin_array();
    for (const auto& partition : partitions) {
      out.begin_object();
      out.key("device");
      out.string(partition.device);
      out.key("mountpoint");
      out.string(partition.mount_point);
      out.key("fstype");
      out.string(partition.fstype);
      out.key("opts");
      out.string(partition.options);
      out.end_object();
    }
    out.end_array();
    sink.set(k_metadata_key, std::move(out));
  }

  void write_usage(const CollectContext& ctx, const std::vector<Partition>& partitions, PayloadSink& sink) {
    release_finished_calls();
    const auto tick_deadline = std::min(ctx.deadline, Clock::now() + k_tick_budget);
    std::vector<std::string> errors;
    std::size_t not_reached = 0;
    std::string_view first_not_reached;

    JsonWriter out;
    out.begin_object();
    // A mount point listed twice (an over-mount) is one dict key in the
    // reference, at its first position; statvfs of the same path answers
    // the same for both, so one call serves.
    // (m_seen keeps views into `partitions`: cleared here before any use.)
    m_seen.clear();
    for (const auto& partition : partitions) {
      const std::string& mount_point = partition.mount_point;
      if (!m_seen.insert(mount_point).second) continue;
      if (is_stuck(mount_point)) {
        errors.push_back("statvfs " + mount_point + ": timed out");
        continue;
      }
      const auto now = Clock::now();
      if (now >= tick_deadline) {
        if (not_reached++ == 0) first_not_reached = mount_point;
        continue;
      }
      const CallResult call = call_statvfs(mount_point, std::min(tick_deadline, now + k_call_timeout));
      if (call.outcome == CallResult::Outcome::timed_out) {
        errors.push_back("statvfs " + mount_point + ": timed out");
        continue;
      }
      if (call.outcome == CallResult::Outcome::no_thread) {
        sink.fail(k_usage_key, "statvfs: start worker thread: " + call.thread_error);
        return add_errors(sink, errors);
      }
      const int error_number = call.error_number;
      if (error_number == EACCES || error_number == EPERM || error_number == ENOENT) continue;
      if (error_number != 0) {
        sink.fail(k_usage_key, error_from_errno(error_number, "statvfs " + mount_point).message);
        return add_errors(sink, errors);
      }
      const DiskUsage usage =
          compute_disk_usage(call.value.f_blocks, call.value.f_bfree, call.value.f_bavail, call.value.f_frsize);
      out.key(mount_point);
      out.begin_object();
      out.key("total");
      out.unsigned_integer(usage.total_bytes);
      out.key("used");
      out.integer(usage.used_bytes);
      out.key("free");
      out.unsigned_integer(usage.free_bytes);
      out.key("percent");
      out.number(usage.percent);
      out.end_object();
    }
    out.end_object();
    sink.set(k_usage_key, std::move(out));
    if (not_reached > 0) {
      errors.push_back("statvfs: tick deadline passed, " + std::to_string(not_reached) +
                       " mount point(s) not read, from " + std::string(first_not_reached));
    }
    add_errors(sink, errors);
  }

  static void add_errors(PayloadSink& sink, std::vector<std::string>& errors) {
    for (auto& error : errors) sink.add_error(k_usage_key, std::move(error));
  }

  [[nodiscard]] bool is_stuck(const std::string& mount_point) const {
    for (const auto& [path, worker] : m_stuck) {
      if (path == mount_point) return true;
    }
    return false;
  }

  // Forgets the stuck calls that have returned since: their threads exit by
  // themselves and their mounts may be tried again.
  void release_finished_calls() {
    std::erase_if(m_stuck, [](const auto& entry) {
      const std::lock_guard lock(entry.second->mutex);
      return entry.second->has_reply;
    });
  }

  CallResult call_statvfs(const std::string& path, Clock::time_point deadline) {
    CallResult result;
    if (!m_worker) {
      auto worker = std::make_shared<StatvfsWorker>(m_function);
      // The worker takes no signals: a process-directed signal (SIGTERM)
      // handed to a thread stuck in the kernel would stay pending there.
      sigset_t all_signals;
      sigset_t previous;
      sigfillset(&all_signals);
      pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
      try {
        m_thread = std::thread(run_worker, worker);
      } catch (const std::system_error& error) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        result.outcome = CallResult::Outcome::no_thread;
        result.thread_error = error.what();
        return result;
      }
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      m_worker = std::move(worker);
    }
    std::unique_lock lock(m_worker->mutex);
    m_worker->path = path;
    m_worker->has_reply = false;
    m_worker->has_request = true;
    m_worker->changed.notify_all();
    if (!m_worker->changed.wait_until(lock, deadline, [&] { return m_worker->has_reply; })) {
      // Still inside the call: let the thread go, keep its slot to know
      // when the mount answers again.
      m_worker->abandoned = true;
      lock.unlock();
      m_thread.detach();
      m_stuck.emplace_back(path, std::move(m_worker));
      m_worker.reset();
      result.outcome = CallResult::Outcome::timed_out;
      return result;
    }
    m_worker->has_reply = false;
    result.error_number = m_worker->error_number;
    result.value = m_worker->reply;
    return result;
  }

  const std::shared_ptr<const StatvfsFunction> m_function;
  std::shared_ptr<StatvfsWorker> m_worker;  // idle between calls; null until first use
  std::thread m_thread;                     // runs m_worker
  std::vector<std::pair<std::string, std::shared_ptr<StatvfsWorker>>> m_stuck;  // mount path, its stuck call
  std::unordered_set<std::string_view> m_seen;  // mount points written this tick
  std::string m_mounts_text;
  std::string m_filesystems_text;
};

}  // namespace

std::unique_ptr<Collector> make_partitions_collector() { return make_partitions_collector(system_statvfs); }

std::unique_ptr<Collector> make_partitions_collector(StatvfsFunction statvfs_function) {
  return std::make_unique<PartitionsCollector>(std::move(statvfs_function));
}

}  // namespace fivenines
