#include "plinth/gpu/host_info.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/common/files.h"

namespace plinth::gpu {

std::string LocalHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

int64_t ParseMemTotalMib(const std::string& meminfo) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumeSuffix(&line, "kB")) return 0;
    int64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib) || kib < 0) return 0;
    return kib / 1024;
  }
  return 0;
}

int64_t LocalMemoryMib() {
  absl::StatusOr<std::string> meminfo = ReadFile("/proc/meminfo");
  return meminfo.ok() ? ParseMemTotalMib(*meminfo) : 0;
}

}  // namespace plinth::gpu
