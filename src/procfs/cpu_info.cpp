#include "procfs/cpu_info.hpp"

#include "util/text.hpp"

namespace fivenines {

std::optional<std::string_view> parse_cpu_model(std::string_view text) {
  constexpr std::string_view k_key = "model name";
  std::optional<std::string_view> model;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.substr(0, k_key.size()) != k_key) continue;
    std::string_view rest = line.substr(k_key.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.empty() || rest.front() != ':') continue;  // "model name2", "model namex : ..."
    model = trim(rest.substr(1));
  }
  return model;
}

}  // namespace fivenines
