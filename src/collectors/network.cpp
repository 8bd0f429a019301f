// network collector.
// Reads: PROC/net/dev (counters, interface order), SYS/class/net/<if>/
// {flags, operstate, address, speed, bridge/, brif/, device} for each
// interface, PROC/net/if_inet6 only for an interface without a link-layer
// address, and getifaddrs(3) only on the live host and only when neither
// found an address (tun/wireguard devices carrying just IPv4).
// Privileges: none; all of these are world-readable.
// Unavailable: when PROC/net/dev cannot be read the key is null with the
// reason. An interface whose /sys entry is missing is treated as down.
//
// Which interfaces (the reference's psutil rules):
//   - up: psutil's isup is IFF_RUNNING, which the kernel sets when the
//     device is up (IFF_UP in flags) and its operstate is "up" or "unknown"
//     (netif_oper_up()); /sys flags never shows IFF_RUNNING itself. A cable
//     unplugged from an admin-up NIC is therefore left out, as psutil does.
//   - not "lo" and not named "loopback..." (any case);
//   - at least one address of any family: a link-layer address counts.
// A member gets "bridge" only when its bridge is itself sent: the reference
// derives the member->bridge map from the brif/ listing of the bridges it
// sends, and a down bridge is not among them.
// Counters are sent as the kernel prints them (no wrap compensation).
#include "collectors/network.hpp"

#include <dirent.h>
#include <ifaddrs.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "platform/file_read.hpp"
#include "procfs/network_dev.hpp"
#include "procfs/network_sysfs.hpp"

namespace fivenines {

namespace {

constexpr std::string_view k_key = "network";

// About the JSON size of one entry, to size the writer once.
constexpr std::size_t k_entry_json_bytes = 300;

enum class InterfaceType { physical, virtual_device, bridge };

std::string_view type_name(InterfaceType type) {
  switch (type) {
    case InterfaceType::bridge: return "bridge";
    case InterfaceType::physical: return "physical";
    case InterfaceType::virtual_device: return "virtual";
  }
  return "virtual";
}

bool is_loopback_name(std::string_view name) {
  if (name == "lo") return true;
  constexpr std::string_view k_prefix = "loopback";
  if (name.size() < k_prefix.size()) return false;
  for (std::size_t i = 0; i < k_prefix.size(); ++i) {
    const char c = name[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != k_prefix[i]) return false;
  }
  return true;
}

// An interface that passed the filters.
struct Chosen {
  std::size_t dev_index = 0;  // into NetDev::interfaces
  InterfaceType type = InterfaceType::virtual_device;
  std::size_t member_count = 0;  // bridges only
};

// One entry of a sent bridge's brif/ listing.
struct BridgeMember {
  std::string name;
  std::size_t bridge = 0;  // index into m_chosen
};

class NetworkCollector final : public Collector {
 public:
  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    m_path.assign(ctx.paths.proc);
    m_path += "/net/dev";
    const auto read = read_file_into(m_path.c_str(), m_dev_text);
    if (!read) return sink.fail(k_key, read.error().message);
    parse_net_dev_into(m_dev_text, m_dev);
    const std::size_t skipped = m_dev.skipped_lines;
    std::string skipped_error;
    if (skipped > 0) {
      skipped_error = m_path + ": skipped " + std::to_string(skipped) +
                      (skipped == 1 ? " malformed line" : " malformed lines") + " (first: line " +
                      std::to_string(m_dev.first_skipped_line) + ")";
    }

    m_inet6_loaded = false;
    m_live_loaded = false;
    m_net_prefix.assign(ctx.paths.sys);
    m_net_prefix += "/class/net/";

    choose_interfaces(ctx);
    list_bridge_members();

    JsonWriter out;
    out.reserve(2 + m_chosen.size() * k_entry_json_bytes);
    out.begin_array();
    for (const Chosen& chosen : m_chosen) write_interface(out, chosen);
    out.end_array();
    sink.set(k_key, std::move(out));
    if (!skipped_error.empty()) sink.add_error(k_key, std::move(skipped_error));
  }

 private:
  // m_path = SYS/class/net/<name>/<attribute>; returns it as a C string.
  const char* net_path(std::string_view name, std::string_view attribute) {
    m_path.assign(m_net_prefix);
    m_path += name;
    m_path += '/';
    m_path += attribute;
    return m_path.c_str();
  }

  // Reads a small /sys attribute into `buffer`; nullopt when unreadable.
  template <std::size_t N>
  std::optional<std::string_view> read_attribute(std::string_view name, std::string_view attribute,
                                                 char (&buffer)[N]) {
    const auto size = read_small_file(net_path(name, attribute), buffer, N);
    if (!size) return std::nullopt;
    return std::string_view(buffer, *size);
  }

  bool path_exists(std::string_view name, std::string_view attribute, bool want_directory) {
    struct stat info{};
    if (::stat(net_path(name, attribute), &info) != 0) return false;
    return !want_directory || S_ISDIR(info.st_mode);
  }

  bool is_running(std::string_view name) {
    char buffer[64];
    const auto flags_text = read_attribute(name, "flags", buffer);
    if (!flags_text) return false;
    const auto flags = parse_net_flags(*flags_text);
    if (!flags || (*flags & k_iff_up) == 0) return false;
    // operstate exists since Linux 2.6.17; without it, go by IFF_UP alone,
    // as the kernel treats an unknown state as running.
    const auto operstate = read_attribute(name, "operstate", buffer);
    return !operstate || operstate_is_running(*operstate);
  }

  bool has_address(const CollectContext& ctx, std::string_view name) {
    // A hardware address is at most 32 bytes: 95 characters as text.
    char buffer[128];
    const auto address = read_attribute(name, "address", buffer);
    if (address && has_link_address(*address)) return true;

    if (!m_inet6_loaded) {
      m_inet6_loaded = true;
      m_path.assign(ctx.paths.proc);
      m_path += "/net/if_inet6";
      // Missing when IPv6 is disabled: no IPv6 addresses then.
      if (read_file_into(m_path.c_str(), m_inet6_text)) {
        parse_if_inet6_names_into(m_inet6_text, m_inet6_names);
      } else {
        m_inet6_names.clear();
      }
    }
    for (const std::string_view inet6_name : m_inet6_names) {
      if (inet6_name == name) return true;
    }

    if (!ctx.paths.is_live_proc()) return false;
    if (!m_live_loaded) {
      m_live_loaded = true;
      load_live_address_names();
    }
    for (std::size_t i = 0; i < m_live_count; ++i) {
      if (m_live_names[i] == name) return true;
    }
    return false;
  }

  // Names of the interfaces that carry any address (IPv4, IPv6, link) per
  // getifaddrs(), the source psutil.net_if_addrs() uses.
  void load_live_address_names() {
    m_live_count = 0;
    struct ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return;
    for (const struct ifaddrs* item = list; item != nullptr; item = item->ifa_next) {
      if (item->ifa_addr == nullptr || item->ifa_name == nullptr) continue;
      if (m_live_count == m_live_names.size()) m_live_names.emplace_back();
      m_live_names[m_live_count++].assign(item->ifa_name);
    }
    ::freeifaddrs(list);
  }

  InterfaceType classify(std::string_view name) {
    if (path_exists(name, "bridge", true)) return InterfaceType::bridge;
    if (path_exists(name, "device", false)) return InterfaceType::physical;
    return InterfaceType::virtual_device;
  }

  void choose_interfaces(const CollectContext& ctx) {
    m_chosen.clear();
    for (std::size_t i = 0; i < m_dev.interfaces.size(); ++i) {
      const std::string_view name = m_dev.interfaces[i].name;
      if (is_loopback_name(name) || !is_running(name) || !has_address(ctx, name)) continue;
      m_chosen.push_back(Chosen{i, classify(name), 0});
    }
  }

  // Lists brif/ of every sent bridge: counts its members and records them.
  void list_bridge_members() {
    m_member_count = 0;
    for (std::size_t c = 0; c < m_chosen.size(); ++c) {
      Chosen& bridge = m_chosen[c];
      if (bridge.type != InterfaceType::bridge) continue;
      DIR* directory = ::opendir(net_path(m_dev.interfaces[bridge.dev_index].name, "brif"));
      if (directory == nullptr) continue;  // unreadable: 0 members, as the reference
      while (const struct dirent* entry = ::readdir(directory)) {
        const std::string_view member = entry->d_name;
        if (member == "." || member == "..") continue;
        ++bridge.member_count;
        if (m_member_count == m_members.size()) m_members.emplace_back();
        m_members[m_member_count].name.assign(member);
        m_members[m_member_count].bridge = c;
        ++m_member_count;
      }
      ::closedir(directory);
    }
  }

  // The sent bridge listing `name` among its members; the last one wins,
  // as in the reference's dict.
  const Chosen* bridge_of(std::string_view name) const {
    for (std::size_t i = m_member_count; i > 0; --i) {
      if (m_members[i - 1].name == name) return &m_chosen[m_members[i - 1].bridge];
    }
    return nullptr;
  }

  void write_interface(JsonWriter& out, const Chosen& chosen) {
    const NetDevCounters& counters = m_dev.interfaces[chosen.dev_index];
    out.begin_object();
    out.key(counters.name);
    out.begin_object();
    out.key("bytes_sent");
    out.unsigned_integer(counters.bytes_sent);
    out.key("bytes_recv");
    out.unsigned_integer(counters.bytes_recv);
    out.key("packets_sent");
    out.unsigned_integer(counters.packets_sent);
    out.key("packets_recv");
    out.unsigned_integer(counters.packets_recv);
    out.key("errin");
    out.unsigned_integer(counters.errin);
    out.key("errout");
    out.unsigned_integer(counters.errout);
    out.key("dropin");
    out.unsigned_integer(counters.dropin);
    out.key("dropout");
    out.unsigned_integer(counters.dropout);
    out.key("interface_type");
    out.string(type_name(chosen.type));
    out.key("network_link_speed_bps");
    char buffer[32];
    const auto speed_text = read_attribute(counters.name, "speed", buffer);
    const auto speed_bps = speed_text ? parse_link_speed_bps(*speed_text) : std::nullopt;
    if (speed_bps) {
      out.integer(*speed_bps);
    } else {
      out.null();
    }
    if (chosen.type == InterfaceType::bridge) {
      out.key("bridge_member_count");
      out.unsigned_integer(chosen.member_count);
    }
    if (const Chosen* bridge = bridge_of(counters.name)) {
      out.key("bridge");
      out.string(m_dev.interfaces[bridge->dev_index].name);
    }
    out.end_object();
    out.end_object();
  }

  std::string m_path;        // the path being read, rebuilt in place
  std::string m_net_prefix;  // SYS/class/net/
  std::string m_dev_text;    // PROC/net/dev; capacity kept between ticks
  NetDev m_dev;              // views into m_dev_text
  std::string m_inet6_text;  // PROC/net/if_inet6, read at most once a tick
  std::vector<std::string_view> m_inet6_names;  // views into m_inet6_text
  bool m_inet6_loaded = false;
  std::vector<std::string> m_live_names;  // getifaddrs() names; [0, m_live_count) valid
  std::size_t m_live_count = 0;
  bool m_live_loaded = false;
  std::vector<Chosen> m_chosen;
  std::vector<BridgeMember> m_members;  // [0, m_member_count) valid
  std::size_t m_member_count = 0;
};

}  // namespace

std::unique_ptr<Collector> make_network_collector() { return std::make_unique<NetworkCollector>(); }

}  // namespace fivenines
