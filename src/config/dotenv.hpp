// Parser of CONFIG_DIR/.env (wire contract §2.1): KEY=VALUE lines.
// Accepts comments (#), blank lines, an `export ` prefix, single- or
// double-quoted values (double quotes understand \n \" \\), and an
// unquoted value's trailing " # comment". A malformed line is reported
// with its 1-based line number and skipped; the rest still loads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fivenines {

struct DotenvResult {
  std::vector<std::pair<std::string, std::string>> values;  // file order
  std::vector<std::string> warnings;                        // "line 3: ..."
};

[[nodiscard]] DotenvResult parse_dotenv(std::string_view text);

}  // namespace fivenines
