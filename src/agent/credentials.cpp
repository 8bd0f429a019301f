#include "agent/credentials.hpp"

#include <string_view>

#include "identity/atomic_file.hpp"
#include "identity/local_security.hpp"
#include "identity/machine_id.hpp"
#include "identity/token_policy.hpp"
#include "util/log.hpp"

namespace fivenines {

Result<SharedSecret> load_credentials(const std::string& config_dir) {
  // Absent: left to read_token_file, whose message is the canonical one.
  auto dir = check_config_dir(config_dir);
  if (!dir && dir.error().kind != ErrorKind::absent) return dir.error();
  if (dir && dir->warning) log_warn(*dir->warning);

  auto token_file = check_token_file(config_dir + "/" + std::string(k_token_file));
  if (!token_file && token_file.error().kind != ErrorKind::absent) return token_file.error();
  if (token_file && token_file->warning) log_warn(*token_file->warning);

  for (const std::string_view name : {k_token_file, k_token_state_file, k_machine_id_file}) {
    if (const std::size_t removed = remove_stale_temp_files(config_dir, name); removed > 0) {
      log_info(config_dir + ": removed " + std::to_string(removed) + " temporary " + std::string(name) +
               " file(s) left by an interrupted write");
    }
  }
  return read_token_file(config_dir);
}

}  // namespace fivenines
