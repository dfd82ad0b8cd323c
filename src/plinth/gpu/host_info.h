// Facts about the machine this process runs on, for the node that real
// GPUs belong to.
#pragma once

#include <cstdint>
#include <string>

namespace plinth::gpu {

// gethostname(), or "localhost" when it fails.
std::string LocalHostName();

// MemTotal from /proc/meminfo in MiB; 0 when unreadable.
int64_t LocalMemoryMib();

// MemTotal in MiB from the text of /proc/meminfo ("MemTotal: 131072 kB");
// 0 when absent or malformed.
int64_t ParseMemTotalMib(const std::string& meminfo);

}  // namespace plinth::gpu
