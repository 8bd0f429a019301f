/* bare_loop: the peer of collect_bench in bench/run.sh.
 *
 * Per collection it reads exactly the kernel sources one core collection of
 * the agent reads (src/collectors/<name>.cpp), in registry order, and does only
 * the parsing needed to know what to read next: interface names, mount
 * fields, pid names, process names. No JSON, no values kept. It is the floor
 * the agent's CPU per collection is compared with.
 *
 *   load_average  sysinfo(2)
 *   file_handles  /proc/sys/fs/file-nr
 *   cpu           /proc/stat, /sys/devices/system/cpu/online; /proc/cpuinfo
 *                 on the first (untimed) collection only, as the agent
 *                 caches the model after its first read
 *   memory        /proc/meminfo, /proc/vmstat; /proc/zoneinfo only when
 *                 meminfo lacks a non-zero MemAvailable (kernels < 3.14)
 *   network       /proc/net/dev; per non-loopback interface
 *                 /sys/class/net/<if>/flags, operstate (when IFF_UP), address
 *                 (when running); /proc/net/if_inet6 then getifaddrs(3) only
 *                 when an interface has no link address (once per tick each);
 *                 for each chosen one stat() of bridge/ and device, the
 *                 brif/ listing of a bridge, and speed
 *   partitions    /proc/mounts, /proc/filesystems, statvfs(3) per distinct
 *                 physical mount point (same filter as procfs/partitions.cpp)
 *   io            /proc/diskstats
 *   processes     the /proc listing, /proc/meminfo, per pid stat and status,
 *                 and cmdline when the name in stat is 15 bytes or longer
 *   ports         /proc/sys/net/ipv4/ip_local_port_range,
 *                 /proc/sys/net/ipv6/bindv6only, one NETLINK_SOCK_DIAG socket
 *                 and four dumps (TCP LISTEN and all UDP, IPv4 and IPv6)
 *
 * Output, one line on stdout, the same keys as collect_bench prints:
 *   collections=N cpu_ms_per_collection=X user_ms_per_collection=U
 *   sys_ms_per_collection=S maxrss_kib=K bytes_read=B
 * CPU is getrusage(RUSAGE_SELF) user+sys over the timed collections.
 *
 * Usage: bare_loop [collections]   (default 200)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define FILE_BUFFER_BYTES (4 * 1024 * 1024)
#define SMALL_BUFFER_BYTES 4096
#define NETLINK_BUFFER_BYTES (32 * 1024)
#define MAX_INTERFACES 1024
#define MAX_MOUNTS 4096
#define MAX_FILESYSTEMS 256
#define TCP_LISTEN_STATE 10

static char file_buffer[FILE_BUFFER_BYTES];
static char mounts_buffer[FILE_BUFFER_BYTES];
static char filesystems_buffer[64 * 1024];
static char netlink_buffer[NETLINK_BUFFER_BYTES];
static unsigned long long bytes_read;

/* Reads the whole file into `buffer`, NUL-terminated; returns its length or
 * -1 when it cannot be opened or read. */
static long read_into(const char *path, char *buffer, size_t capacity) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t size = 0;
  for (;;) {
    if (size + 1 >= capacity) break;
    const ssize_t n = read(fd, buffer + size, capacity - 1 - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return -1;
    }
    if (n == 0) break;
    size += (size_t)n;
  }
  close(fd);
  buffer[size] = '\0';
  bytes_read += size;
  return (long)size;
}

static long read_file(const char *path) { return read_into(path, file_buffer, sizeof file_buffer); }

static long read_small(const char *path, char *buffer) { return read_into(path, buffer, SMALL_BUFFER_BYTES); }

/* ---- memory ------------------------------------------------------------ */

static int meminfo_needs_zoneinfo(const char *meminfo) {
  const char *line = strstr(meminfo, "MemAvailable:");
  if (line == NULL) return 1;
  return strtoull(line + strlen("MemAvailable:"), NULL, 10) == 0;
}

static void collect_memory(void) {
  if (read_file("/proc/meminfo") >= 0 && meminfo_needs_zoneinfo(file_buffer)) read_file("/proc/zoneinfo");
  read_file("/proc/vmstat");
}

/* ---- network ----------------------------------------------------------- */

struct interface {
  char name[64];
  int chosen;
  int bridge;
};

static struct interface interfaces[MAX_INTERFACES];

static int is_loopback_name(const char *name) {
  return strcmp(name, "lo") == 0 || strncasecmp(name, "loopback", 8) == 0;
}

#define NET_PATH_BYTES 128

static const char *net_path(char *path, const char *name, const char *attribute) {
  snprintf(path, NET_PATH_BYTES, "/sys/class/net/%.63s/%.31s", name, attribute);
  return path;
}

static int has_nonblank(const char *text) {
  for (; *text != '\0'; ++text) {
    if (!isspace((unsigned char)*text)) return 1;
  }
  return 0;
}

static void collect_network(void) {
  char path[NET_PATH_BYTES];
  char small[SMALL_BUFFER_BYTES];
  if (read_file("/proc/net/dev") < 0) return;
  size_t count = 0;
  /* Two header lines, then "  name: counters". */
  const char *line = file_buffer;
  for (int skip = 0; skip < 2 && line != NULL; ++skip) {
    line = strchr(line, '\n');
    if (line != NULL) ++line;
  }
  while (line != NULL && *line != '\0' && count < MAX_INTERFACES) {
    while (*line == ' ') ++line;
    const char *colon = strchr(line, ':');
    const char *end = strchr(line, '\n');
    if (colon == NULL) break;
    if (end == NULL || colon < end) {
      size_t length = (size_t)(colon - line);
      if (length >= sizeof interfaces[count].name) length = sizeof interfaces[count].name - 1;
      memcpy(interfaces[count].name, line, length);
      interfaces[count].name[length] = '\0';
      interfaces[count].chosen = 0;
      interfaces[count].bridge = 0;
      ++count;
    }
    line = end != NULL ? end + 1 : NULL;
  }

  int inet6_loaded = 0;
  int inet6_read = 0;
  int live_loaded = 0;
  for (size_t i = 0; i < count; ++i) {
    struct interface *entry = &interfaces[i];
    if (is_loopback_name(entry->name)) continue;
    if (read_small(net_path(path, entry->name, "flags"), small) < 0) continue;
    if ((strtoul(small, NULL, 16) & 0x1) == 0) continue; /* IFF_UP */
    if (read_small(net_path(path, entry->name, "operstate"), small) >= 0 && strncmp(small, "up", 2) != 0 &&
        strncmp(small, "unknown", 7) != 0) {
      continue;
    }
    int has_address = read_small(net_path(path, entry->name, "address"), small) >= 0 && has_nonblank(small);
    if (!has_address && !inet6_loaded) {
      inet6_loaded = 1;
      inet6_read = read_file("/proc/net/if_inet6") >= 0;
    }
    if (!has_address && inet6_read) {
      /* The agent matches the name in if_inet6, then in getifaddrs(). */
      has_address = strstr(file_buffer, entry->name) != NULL;
    }
    if (!has_address && !live_loaded) {
      live_loaded = 1;
      struct ifaddrs *list = NULL;
      if (getifaddrs(&list) == 0) {
        for (struct ifaddrs *item = list; item != NULL; item = item->ifa_next) {
          if (item->ifa_addr != NULL && item->ifa_name != NULL && strcmp(item->ifa_name, entry->name) == 0) {
            has_address = 1;
          }
        }
        freeifaddrs(list);
      }
    }
    if (!has_address) continue;
    entry->chosen = 1;
    struct stat info;
    if (stat(net_path(path, entry->name, "bridge"), &info) == 0 && S_ISDIR(info.st_mode)) {
      entry->bridge = 1;
    } else {
      (void)stat(net_path(path, entry->name, "device"), &info);
    }
  }
  for (size_t i = 0; i < count; ++i) {
    if (!interfaces[i].chosen || !interfaces[i].bridge) continue;
    DIR *directory = opendir(net_path(path, interfaces[i].name, "brif"));
    if (directory == NULL) continue;
    while (readdir(directory) != NULL) {
    }
    closedir(directory);
  }
  for (size_t i = 0; i < count; ++i) {
    if (interfaces[i].chosen) read_small(net_path(path, interfaces[i].name, "speed"), small);
  }
}

/* ---- partitions -------------------------------------------------------- */

static const char *const skipped_fstypes[] = {
    "squashfs", "cagefs-skeleton", "overlay", "devtmpfs", "tmpfs", "loop", "nullfs", "cdfs", "udf", "iso9660",
};

static char *physical_filesystems[MAX_FILESYSTEMS];
static char *mount_points[MAX_MOUNTS];

/* Splits the next whitespace-separated field off *cursor (in place). */
static char *next_field(char **cursor) {
  char *at = *cursor;
  while (*at == ' ' || *at == '\t') ++at;
  if (*at == '\0' || *at == '\n') return NULL;
  char *start = at;
  while (*at != '\0' && *at != ' ' && *at != '\t' && *at != '\n') ++at;
  if (*at == ' ' || *at == '\t') *at++ = '\0';
  *cursor = at;
  return start;
}

/* Decodes the kernel's \ooo escapes of a mount field in place. */
static void decode_octal(char *text) {
  char *out = text;
  for (const char *in = text; *in != '\0';) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
        in[3] <= '7') {
      *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
      in += 4;
    } else {
      *out++ = *in++;
    }
  }
  *out = '\0';
}

static void collect_partitions(void) {
  if (read_into("/proc/mounts", mounts_buffer, sizeof mounts_buffer) < 0) return;
  size_t filesystem_count = 0;
  const int have_filesystems = read_into("/proc/filesystems", filesystems_buffer, sizeof filesystems_buffer) >= 0;
  if (have_filesystems) {
    for (char *line = filesystems_buffer; line != NULL && *line != '\0';) {
      char *end = strchr(line, '\n');
      if (end != NULL) *end = '\0';
      char *cursor = line;
      char *first = next_field(&cursor);
      if (first != NULL && filesystem_count < MAX_FILESYSTEMS) {
        if (strcmp(first, "nodev") != 0) {
          physical_filesystems[filesystem_count++] = first;
        } else {
          char *name = next_field(&cursor);
          if (name != NULL && strcmp(name, "zfs") == 0) physical_filesystems[filesystem_count++] = name;
        }
      }
      line = end != NULL ? end + 1 : NULL;
    }
  }

  size_t mount_count = 0;
  for (char *line = mounts_buffer; line != NULL && *line != '\0';) {
    char *end = strchr(line, '\n');
    if (end != NULL) *end = '\0';
    char *cursor = line;
    char *device = next_field(&cursor);
    char *mount_point = next_field(&cursor);
    char *fstype = next_field(&cursor);
    char *options = next_field(&cursor);
    line = end != NULL ? end + 1 : NULL;
    if (options == NULL) continue;
    if (have_filesystems) {
      if (strcmp(device, "none") == 0) continue;
      int known = 0;
      for (size_t i = 0; i < filesystem_count && !known; ++i) known = strcmp(physical_filesystems[i], fstype) == 0;
      if (!known) continue;
    } else if (device[0] != '/') {
      continue;
    }
    int skipped = 0;
    for (size_t i = 0; i < sizeof skipped_fstypes / sizeof skipped_fstypes[0] && !skipped; ++i) {
      skipped = strcasecmp(fstype, skipped_fstypes[i]) == 0;
    }
    if (skipped || strstr(options, "cdrom") != NULL) continue;
    decode_octal(mount_point);
    int seen = 0;
    for (size_t i = 0; i < mount_count && !seen; ++i) seen = strcmp(mount_points[i], mount_point) == 0;
    if (seen || mount_count == MAX_MOUNTS) continue;
    mount_points[mount_count++] = mount_point;
    struct statvfs usage;
    (void)statvfs(mount_point, &usage);
  }
}

/* ---- processes --------------------------------------------------------- */

static void collect_processes(void) {
  char path[300]; /* "/proc/" + a 255-byte d_name + "/cmdline" */
  char stat_text[SMALL_BUFFER_BYTES];
  DIR *directory = opendir("/proc");
  if (directory == NULL) return;
  read_file("/proc/meminfo");
  /* The agent lists every pid first, then reads them; the kernel lists in
   * ascending order, so reading as we list visits the same files. */
  const struct dirent *entry;
  while ((entry = readdir(directory)) != NULL) {
    const char *name = entry->d_name;
    if (name[0] < '0' || name[0] > '9') continue;
    int digits = 1;
    for (const char *c = name; *c != '\0' && digits; ++c) digits = *c >= '0' && *c <= '9';
    if (!digits) continue;
    snprintf(path, sizeof path, "/proc/%s/stat", name);
    if (read_into(path, stat_text, sizeof stat_text) <= 0) continue;
    snprintf(path, sizeof path, "/proc/%s/status", name);
    if (read_file(path) < 0) continue;
    const char *open = strchr(stat_text, '(');
    const char *close_paren = strrchr(stat_text, ')');
    if (open != NULL && close_paren != NULL && close_paren - open - 1 >= 15) {
      snprintf(path, sizeof path, "/proc/%s/cmdline", name);
      read_file(path);
    }
  }
  closedir(directory);
}

/* ---- ports ------------------------------------------------------------- */

static void dump_sockets(int fd, int family, int protocol, unsigned sequence) {
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 request;
  } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = sequence;
  message.request.sdiag_family = (unsigned char)family;
  message.request.sdiag_protocol = (unsigned char)protocol;
  message.request.idiag_states = protocol == IPPROTO_TCP ? (1U << TCP_LISTEN_STATE) : ~0U;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &message, sizeof message, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return;
  for (;;) {
    const ssize_t received = recv(fd, netlink_buffer, sizeof netlink_buffer, 0);
    if (received < 0 && errno == EINTR) continue;
    if (received <= 0) return;
    bytes_read += (unsigned long long)received;
    /* Walk the messages only to find the end of the dump. */
    size_t length = (size_t)received;
    for (struct nlmsghdr *header = (struct nlmsghdr *)netlink_buffer; NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_type == NLMSG_DONE || header->nlmsg_type == NLMSG_ERROR) return;
    }
  }
}

static void collect_ports(void) {
  char small[SMALL_BUFFER_BYTES];
  static unsigned sequence;
  read_small("/proc/sys/net/ipv4/ip_local_port_range", small);
  read_small("/proc/sys/net/ipv6/bindv6only", small);
  const int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return;
  dump_sockets(fd, AF_INET, IPPROTO_TCP, ++sequence);
  dump_sockets(fd, AF_INET6, IPPROTO_TCP, ++sequence);
  dump_sockets(fd, AF_INET, IPPROTO_UDP, ++sequence);
  dump_sockets(fd, AF_INET6, IPPROTO_UDP, ++sequence);
  close(fd);
}

/* ---- one collection ---------------------------------------------------- */

static void collect(int first) {
  char small[SMALL_BUFFER_BYTES];
  struct sysinfo info;
  (void)sysinfo(&info);
  read_small("/proc/sys/fs/file-nr", small);
  read_file("/proc/stat");
  if (first) read_file("/proc/cpuinfo");
  read_small("/sys/devices/system/cpu/online", small);
  collect_memory();
  collect_network();
  collect_partitions();
  read_file("/proc/diskstats");
  collect_processes();
  collect_ports();
}

static double seconds(struct timeval value) { return (double)value.tv_sec + (double)value.tv_usec / 1e6; }

int main(int argc, char **argv) {
  long collections = 200;
  if (argc > 1) {
    char *end = NULL;
    collections = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || collections < 1 || collections > 1000000) {
      fprintf(stderr, "usage: bare_loop [collections 1..1000000]\n");
      return 2;
    }
  }
  collect(1); /* warm-up, untimed: the agent's first collection reads cpuinfo */
  bytes_read = 0;
  struct rusage before;
  struct rusage after;
  getrusage(RUSAGE_SELF, &before);
  for (long i = 0; i < collections; ++i) collect(0);
  getrusage(RUSAGE_SELF, &after);
  const double n = (double)collections;
  const double user_ms = (seconds(after.ru_utime) - seconds(before.ru_utime)) * 1e3 / n;
  const double sys_ms = (seconds(after.ru_stime) - seconds(before.ru_stime)) * 1e3 / n;
  printf("collections=%ld cpu_ms_per_collection=%.4f user_ms_per_collection=%.4f sys_ms_per_collection=%.4f "
         "maxrss_kib=%ld bytes_read=%llu\n",
         collections, user_ms + sys_ms, user_ms, sys_ms, after.ru_maxrss, bytes_read / (unsigned long long)collections);
  return 0;
}
