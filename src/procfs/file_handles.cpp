#include "procfs/file_handles.hpp"

#include "util/text.hpp"

namespace fivenines {

Result<FileHandleCounts> parse_file_nr(std::string_view text) {
  FieldSplitter fields(trim(text));
  std::string_view field[3];
  for (auto& f : field) {
    if (!fields.next(f)) return make_error(ErrorKind::parse, "file-nr: fewer than three fields");
  }
  const auto allocated = parse_u64(field[0]);
  const auto maximum = parse_u64(field[2]);
  if (!allocated || !maximum) return make_error(ErrorKind::parse, "file-nr: not a number");
  return FileHandleCounts{*allocated, *maximum};
}

}  // namespace fivenines
