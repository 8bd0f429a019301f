#include "transport/proxy_config.hpp"

#include <arpa/inet.h>

#include "transport/api_endpoint.hpp"
#include "util/log.hpp"
#include "util/text.hpp"

namespace fivenines {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }


Error proxy_error(std::string_view reason) {
  // Never quote the value: it may hold a password.
  return make_error(ErrorKind::invalid_config, "https_proxy: " + std::string(reason));
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  const char l = ascii_lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

// Percent-decodes user info; refuses a bad escape or a decoded control byte.
bool percent_decode(std::string_view text, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return false;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
    out += c;
  }
  return true;
}

bool parse_port_text(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5 || text[0] == '0') return false;
  const auto value = parse_u64(text);
  if (!value || *value < 1 || *value > 65535) return false;
  port = static_cast<std::uint16_t>(*value);
  return true;
}

bool parse_address(std::string_view text, std::array<unsigned char, 16>& address, bool& ipv6) {
  if (is_ipv4_literal(text)) {
    ipv6 = false;
  } else if (is_ipv6_literal(text)) {
    ipv6 = true;
  } else {
    return false;
  }
  const std::string copy(text);
  address.fill(0);
  return ::inet_pton(ipv6 ? AF_INET6 : AF_INET, copy.c_str(), address.data()) == 1;
}

bool in_network(const std::array<unsigned char, 16>& address, const NoProxyRule& rule) {
  int bits = rule.prefix_bits;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffU : (0xffU << (8 - bits)) & 0xffU;
    if ((address[i] & mask) != (rule.address[i] & mask)) return false;
  }
  return true;
}

// One NO_PROXY entry (already lower-case, non-empty) to a rule.
std::optional<NoProxyRule> parse_rule(std::string_view entry) {
  NoProxyRule rule;
  if (entry == "*") return rule;

  // An address network: "10.0.0.0/8", "fd00::/8", "[fd00::]/8".
  if (const std::size_t slash = entry.find('/'); slash != std::string_view::npos) {
    std::string_view address_text = entry.substr(0, slash);
    if (address_text.size() >= 2 && address_text.front() == '[' && address_text.back() == ']') {
      address_text = address_text.substr(1, address_text.size() - 2);
    }
    const std::string_view bits_text = entry.substr(slash + 1);
    bool ipv6 = false;
    if (!parse_address(address_text, rule.address, ipv6)) return std::nullopt;
    const auto bits = parse_u64(bits_text);
    if (!bits || bits_text.size() > 3 || *bits > (ipv6 ? 128U : 32U)) return std::nullopt;
    rule.kind = ipv6 ? NoProxyRule::Kind::ipv6_network : NoProxyRule::Kind::ipv4_network;
    rule.prefix_bits = static_cast<int>(*bits);
    return rule;
  }

  // "[::1]" or "[::1]:8443".
  if (entry.front() == '[') {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = entry.substr(close + 1);
    std::uint16_t ignored_port = 0;
    if (!rest.empty() && (rest.front() != ':' || !parse_port_text(rest.substr(1), ignored_port))) return std::nullopt;
    entry = entry.substr(1, close - 1);
    bool ipv6 = false;
    if (!parse_address(entry, rule.address, ipv6) || !ipv6) return std::nullopt;
    rule.kind = NoProxyRule::Kind::ipv6_network;
    rule.prefix_bits = 128;
    return rule;
  }

  bool ipv6 = false;
  if (is_ipv6_literal(entry) && parse_address(entry, rule.address, ipv6)) {
    rule.kind = NoProxyRule::Kind::ipv6_network;
    rule.prefix_bits = 128;
    return rule;
  }

  // A name or an IPv4 address, maybe with ":port" (ignored).
  if (const std::size_t colon = entry.find(':'); colon != std::string_view::npos) {
    std::uint16_t ignored_port = 0;
    if (!parse_port_text(entry.substr(colon + 1), ignored_port)) return std::nullopt;
    entry = entry.substr(0, colon);
  }
  if (parse_address(entry, rule.address, ipv6) && !ipv6) {
    rule.kind = NoProxyRule::Kind::ipv4_network;
    rule.prefix_bits = 32;
    return rule;
  }
  // ".example.com" and "*.example.com" mean the same as "example.com".
  if (entry.substr(0, 2) == "*.") {
    entry.remove_prefix(2);
  } else if (!entry.empty() && entry.front() == '.') {
    entry.remove_prefix(1);
  }
  if (!entry.empty() && entry.back() == '.') entry.remove_suffix(1);
  if (!host_name_problem(entry).empty()) return std::nullopt;
  rule.kind = NoProxyRule::Kind::domain;
  rule.domain = std::string(entry);
  return rule;
}

std::optional<std::string> pick(const EnvLookup& lookup, const char* lower_name, const char* upper_name) {
  if (auto value = lookup(lower_name); value && !value->empty()) return value;
  if (auto value = lookup(upper_name); value && !value->empty()) return value;
  return std::nullopt;
}

}  // namespace

std::string ProxyUrl::url() const {
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ProxyUrl> parse_proxy_url(std::string_view text) {
  text = trim(text);
  if (text.empty()) return proxy_error("empty");
  if (text.size() > k_proxy_env_max_bytes) return proxy_error("longer than 4096 bytes");
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return proxy_error("holds a space, control or non-ascii byte");
  }
  if (const std::size_t scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = ascii_lowered(text.substr(0, scheme_end));
    if (scheme != "http") {
      return proxy_error("unsupported scheme \"" + scheme.substr(0, 16) +
                         "\" (only http:// proxies; the tunnel to the api is tls)");
    }
    text.remove_prefix(scheme_end + 3);
  }
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  if (text.find_first_of("/?#") != std::string_view::npos) return proxy_error("must not hold a path");

  ProxyUrl proxy;
  if (const std::size_t at = text.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = text.substr(0, at);
    const std::size_t colon = user_info.find(':');
    if (!percent_decode(user_info.substr(0, colon), proxy.username)) return proxy_error("bad user name encoding");
    if (colon != std::string_view::npos && !percent_decode(user_info.substr(colon + 1), proxy.password)) {
      return proxy_error("bad password encoding");
    }
    text.remove_prefix(at + 1);
  }

  std::string_view host = text;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return proxy_error("'[' without a closing ']'");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return proxy_error("text after ']' must be :port");
      has_port = true;
      port_text = rest.substr(1);
    }
    if (!is_ipv6_literal(host)) return proxy_error("not a valid ipv6 address in brackets");
    proxy.ipv6 = true;
  } else {
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      has_port = true;
      port_text = text.substr(colon + 1);
    }
    if (!is_ipv4_literal(host)) {
      if (const std::string_view problem = host_name_problem(host); !problem.empty()) {
        return proxy_error(std::string(problem));
      }
    }
  }
  if (has_port && !parse_port_text(port_text, proxy.port)) return proxy_error("port must be an integer 1-65535");
  proxy.host = ascii_lowered(host);
  return proxy;
}

NoProxyRules parse_no_proxy(std::string_view text, const std::function<void(std::string_view entry)>& on_skipped) {
  NoProxyRules out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool separator = i == text.size() || text[i] == ',' || text[i] == ' ' || text[i] == '\t' ||
                           text[i] == '\n' || text[i] == '\r';
    if (!separator) continue;
    const std::string_view raw = text.substr(start, i - start);
    start = i + 1;
    if (raw.empty()) continue;
    const std::string entry = ascii_lowered(raw);
    if (auto rule = parse_rule(entry)) {
      out.rules.push_back(std::move(*rule));
    } else if (on_skipped) {
      on_skipped(raw.substr(0, 80));
    }
  }
  return out;
}

bool no_proxy_matches(const NoProxyRules& rules, std::string_view host) {
  std::string name = ascii_lowered(host);
  if (!name.empty() && name.back() == '.') name.pop_back();
  std::array<unsigned char, 16> address{};
  bool ipv6 = false;
  const bool is_address = parse_address(name, address, ipv6);
  for (const NoProxyRule& rule : rules.rules) {
    switch (rule.kind) {
      case NoProxyRule::Kind::any:
        return true;
      case NoProxyRule::Kind::domain:
        if (is_address) break;
        if (name == rule.domain) return true;
        if (name.size() > rule.domain.size() && name.compare(name.size() - rule.domain.size(), std::string::npos,
                                                             rule.domain) == 0 &&
            name[name.size() - rule.domain.size() - 1] == '.') {
          return true;
        }
        break;
      case NoProxyRule::Kind::ipv4_network:
        if (is_address && !ipv6 && in_network(address, rule)) return true;
        break;
      case NoProxyRule::Kind::ipv6_network:
        if (is_address && ipv6 && in_network(address, rule)) return true;
        break;
    }
  }
  return false;
}

Result<ProxySettings> proxy_settings_from(const EnvLookup& lookup) {
  ProxySettings settings;
  if (auto value = pick(lookup, "https_proxy", "HTTPS_PROXY")) {
    auto proxy = parse_proxy_url(*value);
    if (!proxy) return proxy.error();
    settings.https_proxy = std::move(*proxy);
  }
  if (auto value = pick(lookup, "no_proxy", "NO_PROXY")) {
    if (value->size() > k_proxy_env_max_bytes) {
      return make_error(ErrorKind::invalid_config, "no_proxy: longer than 4096 bytes");
    }
    settings.no_proxy = parse_no_proxy(*value, [](std::string_view entry) {
      log_warn("no_proxy: ignoring entry \"" + std::string(entry) + "\": not a host name, address or network");
    });
  }
  return settings;
}

const ProxyUrl* proxy_for_host(const ProxySettings& settings, std::string_view host) {
  if (!settings.https_proxy) return nullptr;
  if (no_proxy_matches(settings.no_proxy, host)) return nullptr;
  return &*settings.https_proxy;
}

}  // namespace fivenines
