// file_handles collector.
// Reads: PROC/sys/fs/file-nr. Privileges: none. Unavailable: the file is
// missing (both keys null, reason in _telemetry).
#include "collectors/file_handles.hpp"

#include "platform/file_read.hpp"
#include "procfs/file_handles.hpp"

namespace fivenines {

namespace {

class FileHandlesCollector final : public Collector {
 public:
  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    char buffer[96];
    const std::string path = ctx.paths.proc_path("sys/fs/file-nr");
    const auto size = read_small_file(path.c_str(), buffer, sizeof buffer);
    Result<FileHandleCounts> counts = size ? parse_file_nr(std::string_view(buffer, *size)) : Result<FileHandleCounts>(size.error());
    if (!counts) {
      const std::string reason = size ? path + ": " + counts.error().message : counts.error().message;
      sink.fail("file_handles_used", reason);
      sink.fail("file_handles_limit", reason);
      return;
    }
    sink.set("file_handles_used", std::to_string(counts->allocated));
    sink.set("file_handles_limit", std::to_string(counts->maximum));
  }
};

}  // namespace

std::unique_ptr<Collector> make_file_handles_collector() { return std::make_unique<FileHandlesCollector>(); }

}  // namespace fivenines
