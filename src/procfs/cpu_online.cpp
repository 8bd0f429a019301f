#include "procfs/cpu_online.hpp"

#include "util/text.hpp"

namespace fivenines {

Result<std::uint64_t> parse_cpu_list_count(std::string_view text) {
  // Only the trailing newline is trimmed; spaces inside are garbage.
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return make_error(ErrorKind::parse, "cpu list: empty");
  std::uint64_t count = 0;
  bool have_previous = false;
  std::uint64_t previous_end = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto first = parse_u64(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_u64(item.substr(dash + 1));
    if (!first || !last) return make_error(ErrorKind::parse, "cpu list: not a number or range");
    if (*last < *first) return make_error(ErrorKind::parse, "cpu list: range end below its start");
    if (have_previous && *first <= previous_end) return make_error(ErrorKind::parse, "cpu list: not ascending");
    // last - first + 1 cannot overflow unless the list is 0-18446744073709551615.
    const std::uint64_t span = *last - *first;
    if (span == UINT64_MAX || count > UINT64_MAX - (span + 1)) {
      return make_error(ErrorKind::parse, "cpu list: too many cpus");
    }
    count += span + 1;
    have_previous = true;
    previous_end = *last;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return count;
}

}  // namespace fivenines
