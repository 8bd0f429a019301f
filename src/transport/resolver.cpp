#include "transport/resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <cctype>
#include <mutex>

namespace fivenines {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int k_class_in = 1;     // RFC 1035 class IN
constexpr int k_type_a = 1;       // RFC 1035 A
constexpr int k_type_aaaa = 28;   // RFC 3596 AAAA
constexpr int k_max_addresses = 32;
constexpr milliseconds k_poll_slice{100};   // how often `stopping` is looked at
constexpr milliseconds k_try_timeout_max{2000};
constexpr int k_tries = 3;

// c-ares wants ares_library_init() once per process before any channel;
// in 1.18 it is a bare counter without a lock, so guard it. This is the one
// static of the module: process-wide library state is what it stands for.
void init_cares_once() {
  static std::once_flag once;
  std::call_once(once, [] { (void)ares_library_init(ARES_LIB_INIT_ALL); });
}

std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

struct QueryState {
  AddressFamily family = AddressFamily::ipv4;
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> addresses;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int answer_length) {
  auto& state = *static_cast<QueryState*>(arg);
  state.done = true;
  state.status = status;
  if (status != ARES_SUCCESS || answer == nullptr) return;
  std::array<char, INET6_ADDRSTRLEN> text{};
  int count = k_max_addresses;
  if (state.family == AddressFamily::ipv4) {
    std::array<ares_addrttl, k_max_addresses> records{};
    state.status = ares_parse_a_reply(answer, answer_length, nullptr, records.data(), &count);
    if (state.status != ARES_SUCCESS) return;
    for (int i = 0; i < count; ++i) {
      if (::inet_ntop(AF_INET, &records[static_cast<std::size_t>(i)].ipaddr, text.data(), text.size()) != nullptr) {
        state.addresses.emplace_back(text.data());
      }
    }
  } else {
    std::array<ares_addr6ttl, k_max_addresses> records{};
    state.status = ares_parse_aaaa_reply(answer, answer_length, nullptr, records.data(), &count);
    if (state.status != ARES_SUCCESS) return;
    for (int i = 0; i < count; ++i) {
      if (::inet_ntop(AF_INET6, &records[static_cast<std::size_t>(i)].ip6addr, text.data(), text.size()) != nullptr) {
        state.addresses.emplace_back(text.data());
      }
    }
  }
  if (state.addresses.empty()) state.status = ARES_ENODATA;
}

// Owns a channel; destroying it cancels whatever is still in flight.
class Channel {
 public:
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() {
    if (m_channel != nullptr) ares_destroy(m_channel);
  }
  ares_channel* out() { return &m_channel; }
  [[nodiscard]] ares_channel get() const { return m_channel; }

 private:
  ares_channel m_channel = nullptr;
};

}  // namespace

std::string_view family_name(AddressFamily family) { return family == AddressFamily::ipv4 ? "A" : "AAAA"; }

Resolver::Resolver(ResolverOptions options) : m_options(std::move(options)) {}

Result<std::vector<std::string>> Resolver::lookup(std::string_view host, AddressFamily family,
                                                  steady_clock::time_point deadline,
                                                  const std::atomic<bool>& stopping) const {
  const std::string name(host);
  const std::string what = "resolve " + name + " (" + std::string(family_name(family)) + ")";
  if (name.empty() || name.find('\0') != std::string::npos) {
    return make_error(ErrorKind::invalid_config, what + ": not a host name");
  }
  init_cares_once();

  const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  if (remaining <= milliseconds::zero()) return make_error(ErrorKind::timeout, what + ": deadline already passed");

  // "b" = DNS only: never /etc/hosts ("f"), and c-ares never asks NSS.
  std::array<char, 2> lookups{'b', '\0'};
  ares_options options{};
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  options.lookups = lookups.data();
  options.timeout = static_cast<int>(std::clamp(remaining, k_poll_slice, k_try_timeout_max).count());
  options.tries = k_tries;
  const int option_mask = ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

  Channel channel;
  if (const int status = ares_init_options(channel.out(), &options, option_mask); status != ARES_SUCCESS) {
    return make_error(ErrorKind::io, what + ": c-ares init failed: " + lower_first(ares_strerror(status)));
  }
  if (!m_options.servers.empty()) {
    if (const int status = ares_set_servers_ports_csv(channel.get(), m_options.servers.c_str());
        status != ARES_SUCCESS) {
      return make_error(ErrorKind::invalid_config,
                        what + ": bad name server list \"" + m_options.servers + "\": " + lower_first(ares_strerror(status)));
    }
  }

  QueryState state;
  state.family = family;
  ares_query(channel.get(), name.c_str(), k_class_in, family == AddressFamily::ipv4 ? k_type_a : k_type_aaaa,
             on_answer, &state);

  while (!state.done) {
    if (stopping.load(std::memory_order_relaxed)) {
      return make_error(ErrorKind::io, what + ": aborted, the agent is stopping");
    }
    const auto now = steady_clock::now();
    if (now >= deadline) return make_error(ErrorKind::timeout, what + ": no answer before the deadline");

    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
    const int bits = ares_getsock(channel.get(), sockets.data(), ARES_GETSOCK_MAXNUM);
    std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
    nfds_t count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      fds[count].fd = sockets[static_cast<std::size_t>(i)];
      fds[count].events = events;
      ++count;
    }

    // Wake for c-ares's own retry timer, the deadline, or the next look at `stopping`.
    auto wait = std::min(std::chrono::duration_cast<milliseconds>(deadline - now), k_poll_slice);
    timeval max_wait{};
    max_wait.tv_sec = static_cast<time_t>(wait.count() / 1000);
    max_wait.tv_usec = static_cast<suseconds_t>((wait.count() % 1000) * 1000);
    timeval buffer{};
    if (const timeval* next = ares_timeout(channel.get(), &max_wait, &buffer); next != nullptr) {
      wait = milliseconds(next->tv_sec * 1000 + next->tv_usec / 1000);
    }
    const int ready = ::poll(count > 0 ? fds.data() : nullptr, count, static_cast<int>(std::max<long>(wait.count(), 1)));
    if (ready < 0 && errno != EINTR) {
      return make_error(ErrorKind::io, what + ": poll failed");
    }
    bool any = false;
    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) continue;
      any = true;
      const bool readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (fds[i].revents & POLLOUT) != 0;
      ares_process_fd(channel.get(), readable ? fds[i].fd : ARES_SOCKET_BAD, writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
    // Nothing ready: let c-ares handle its timeouts (resend, next server).
    if (!any) ares_process_fd(channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }

  switch (state.status) {
    case ARES_SUCCESS:
      return std::move(state.addresses);
    case ARES_ENODATA:
      return make_error(ErrorKind::absent, what + ": no " + std::string(family_name(family)) + " record");
    case ARES_ENOTFOUND:
      return make_error(ErrorKind::absent, what + ": no such name");
    case ARES_ETIMEOUT:
      return make_error(ErrorKind::timeout, what + ": no answer from the name servers");
    default:
      return make_error(ErrorKind::io, what + ": " + lower_first(ares_strerror(state.status)));
  }
}

}  // namespace fivenines
