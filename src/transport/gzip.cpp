#include "transport/gzip.hpp"

#include <zlib.h>

#include <limits>

namespace fivenines {
namespace {

// windowBits 15 plus 16: zlib writes a gzip header and trailer, not zlib's own.
constexpr int k_gzip_window_bits = 15 + 16;
constexpr int k_memory_level = 8;  // zlib's default

}  // namespace

Result<std::string> gzip_compress(std::string_view data) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return make_error(ErrorKind::internal, "gzip: body larger than 4 GiB");
  }
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, k_gzip_window_bits, k_memory_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return make_error(ErrorKind::internal, "gzip: deflateInit2 failed");
  }
  // deflateBound is exact enough for a single deflate(Z_FINISH) call; it does
  // not count the gzip header and trailer, hence the extra bytes.
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())) + 32, '\0');
  // zlib's API is not const-correct; deflate never writes through next_in.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  const uLong written = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END) {
    return make_error(ErrorKind::internal, "gzip: deflate did not finish (zlib status " + std::to_string(status) + ")");
  }
  out.resize(written);
  return out;
}

}  // namespace fivenines
