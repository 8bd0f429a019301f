#include "procfs/cpu_stat.hpp"

#include "util/text.hpp"

namespace fivenines {

namespace {

// Why a cpu line was skipped; a literal, so the good path allocates nothing.
const char* parse_cpu_line(std::string_view name, FieldSplitter& fields, const CpuStat& out, CpuTicks& cpu) {
  const auto number = parse_u64(name.substr(3));
  if (!number) return "cpu name without a cpu number";
  if (!out.cpus.empty() && *number <= out.cpus.back().cpu) return "cpu number not above the previous one";
  cpu.cpu = *number;
  std::size_t count = 0;
  std::string_view field;
  // Columns past the tenth belong to kernels newer than this code: ignored.
  while (count < k_cpu_time_fields && fields.next(field)) {
    const auto value = parse_u64(field);
    if (!value) return "a value is not an unsigned decimal";
    cpu.ticks[count++] = *value;
  }
  if (count < k_cpu_min_fields) return "fewer than 4 values";
  for (std::size_t i = count; i < k_cpu_time_fields; ++i) cpu.ticks[i] = 0;
  return nullptr;
}

double clamp_percent(double value) {
  if (!(value > 0)) return 0;  // also catches NaN
  return value > 100 ? 100 : value;
}

}  // namespace

Status parse_cpu_stat(std::string_view text, CpuStat& out) {
  out.cpus.clear();
  out.malformed_lines = 0;
  out.first_problem.clear();
  LineSplitter lines(text);
  std::string_view line;
  std::size_t line_number = 0;
  while (lines.next(line)) {
    ++line_number;
    FieldSplitter fields(line);
    std::string_view name;
    if (!fields.next(name) || name.substr(0, 3) != "cpu") continue;
    if (name.size() == 3) continue;  // the all-CPU aggregate
    CpuTicks cpu;
    const char* problem = parse_cpu_line(name, fields, out, cpu);
    if (problem == nullptr) {
      out.cpus.push_back(cpu);
      continue;
    }
    if (out.malformed_lines++ == 0) {
      out.first_problem = "line " + std::to_string(line_number) + ": " + problem;
    }
  }
  if (out.cpus.empty()) {
    if (out.malformed_lines > 0) {
      return make_error(ErrorKind::parse, "stat: no valid cpu line (" + out.first_problem + ")");
    }
    return make_error(ErrorKind::parse, "stat: no cpuN line");
  }
  return Ok{};
}

CpuPercentages cpu_percentages(const CpuTicks& previous, const CpuTicks& current) {
  // Doubles, not unsigned subtraction: a counter that went backwards must
  // give a negative delta (then clamped), never a wrapped 1.8e19. Tick
  // counts stay far below 2^53, where doubles are exact.
  std::array<double, k_cpu_time_fields> delta{};
  double sum = 0;
  for (std::size_t i = 0; i < k_cpu_time_fields; ++i) {
    const double change = static_cast<double>(current.ticks[i]) - static_cast<double>(previous.ticks[i]);
    delta[i] = change > 0 ? change : 0;
    sum += delta[i];
  }
  const double total = sum - delta[k_cpu_guest] - delta[k_cpu_guest_nice];
  CpuPercentages out;
  if (!(total > 0)) return out;
  const double busy = total - delta[k_cpu_idle] - delta[k_cpu_iowait];
  // Same operation order as psutil, so ties round the same way.
  out.busy = clamp_percent(busy / total * 100);
  const double scale = 100.0 / total;
  for (std::size_t i = 0; i < k_cpu_time_fields; ++i) out.fields[i] = clamp_percent(delta[i] * scale);
  return out;
}

}  // namespace fivenines
