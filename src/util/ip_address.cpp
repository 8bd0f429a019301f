#include "util/ip_address.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

namespace fivenines {

namespace {

struct V4Block {
  std::uint32_t network;
  int prefix_bits;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr std::array<V4Block, 17> k_v4_not_global = {{
    {v4(0, 0, 0, 0), 8},
    {v4(10, 0, 0, 0), 8},
    {v4(100, 64, 0, 0), 10},
    {v4(127, 0, 0, 0), 8},
    {v4(169, 254, 0, 0), 16},
    {v4(172, 16, 0, 0), 12},
    {v4(192, 0, 0, 0), 24},
    {v4(192, 0, 2, 0), 24},
    {v4(192, 88, 99, 0), 24},
    {v4(192, 168, 0, 0), 16},
    {v4(198, 18, 0, 0), 15},
    {v4(198, 51, 100, 0), 24},
    {v4(203, 0, 113, 0), 24},
    {v4(224, 0, 0, 0), 4},
    {v4(240, 0, 0, 0), 4},
    {v4(168, 63, 129, 16), 32},
    {v4(255, 255, 255, 255), 32},
}};

bool in_block(std::uint32_t address, const V4Block& block) {
  const std::uint32_t mask = block.prefix_bits == 0 ? 0 : ~std::uint32_t{0} << (32 - block.prefix_bits);
  return (address & mask) == (block.network & mask);
}

// The first `bits` bits of `address` equal those of `prefix`.
bool v6_prefix(const in6_addr& address, std::array<std::uint8_t, 4> prefix, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8;
    const int shift = 7 - i % 8;
    const auto want = (prefix[static_cast<std::size_t>(byte)] >> shift) & 1;
    const auto have = (address.s6_addr[byte] >> shift) & 1;
    if (want != have) return false;
  }
  return true;
}

}  // namespace

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (text.find(':') != std::string_view::npos) {
    // inet_pton refuses zone ids ("%eth0") and brackets.
    const std::string copy(text);
    in6_addr out{};
    if (::inet_pton(AF_INET6, copy.c_str(), &out) != 1) return std::nullopt;
    return IpAddress{out};
  }
  // Strict dotted quad: exactly four parts of 1-3 digits, 0..255, no
  // leading zeros (inet_pton also refuses them, but says so per libc).
  std::uint32_t value = 0;
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    unsigned part = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      part = part * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    const std::size_t length = i - start;
    if (length == 0 || part > 255 || (length > 1 && text[start] == '0')) return std::nullopt;
    value = (value << 8) | part;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.' || parts == 4) return std::nullopt;
    ++i;
  }
  if (parts != 4) return std::nullopt;
  in_addr out{};
  out.s_addr = htonl(value);
  return IpAddress{out};
}

bool is_global_unicast(const in_addr& address) {
  const std::uint32_t host_order = ntohl(address.s_addr);
  for (const auto& block : k_v4_not_global) {
    if (in_block(host_order, block)) return false;
  }
  return true;
}

bool is_global_unicast(const in6_addr& address) {
  if (!v6_prefix(address, {0x20, 0x00, 0, 0}, 3)) return false;        // 2000::/3
  if (v6_prefix(address, {0x20, 0x01, 0x00, 0x00}, 23)) return false;  // 2001::/23
  if (v6_prefix(address, {0x20, 0x01, 0x0d, 0xb8}, 32)) return false;  // 2001:db8::/32
  if (v6_prefix(address, {0x20, 0x02, 0, 0}, 16)) return false;        // 2002::/16
  if (v6_prefix(address, {0x3f, 0xff, 0x00, 0x00}, 20)) return false;  // 3fff::/20
  return true;
}

bool is_global_unicast(const IpAddress& address) {
  return std::visit([](const auto& a) { return is_global_unicast(a); }, address);
}

bool is_global_unicast(std::string_view address) {
  const auto parsed = parse_ip_literal(address);
  return parsed && is_global_unicast(*parsed);
}

}  // namespace fivenines
