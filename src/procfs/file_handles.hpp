// Parser of /proc/sys/fs/file-nr: "allocated<TAB>unused<TAB>max".
#pragma once

#include <cstdint>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

struct FileHandleCounts {
  std::uint64_t allocated = 0;
  std::uint64_t maximum = 0;
};

[[nodiscard]] Result<FileHandleCounts> parse_file_nr(std::string_view text);

}  // namespace fivenines
