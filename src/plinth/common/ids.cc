#include "plinth/common/ids.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace plinth {
namespace {
std::string ToHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}
}  // namespace

std::string RandomHex(int bytes) {
  std::vector<unsigned char> buf(bytes);
  // RAND_bytes only fails if the OS entropy source is broken: a fatal bug.
  if (RAND_bytes(buf.data(), bytes) != 1) {
    std::fputs("fatal: RAND_bytes failed\n", stderr);
    std::abort();
  }
  return ToHex(buf.data(), buf.size());
}

std::string NewHexId() { return RandomHex(16); }

std::string NewTimeOrderedId() {
  static std::atomic<uint64_t> last{0};
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  unsigned char random[3];
  if (RAND_bytes(random, sizeof random) != 1) {
    std::fputs("fatal: RAND_bytes failed\n", stderr);
    std::abort();
  }
  // The low 20 bits start below 2^19, leaving room to count up within a
  // millisecond; two processes collide only if both draw the same start.
  uint64_t low = ((uint64_t{random[0]} << 16) | (uint64_t{random[1]} << 8) | random[2]) >> 5;
  uint64_t candidate = (ms << 20) | low;
  uint64_t previous = last.load(std::memory_order_relaxed);
  uint64_t id;
  do {
    id = candidate > previous ? candidate : previous + 1;
  } while (!last.compare_exchange_weak(previous, id, std::memory_order_relaxed));
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(id >> (56 - 8 * i));
  return ToHex(bytes, sizeof bytes);
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(digest, sizeof digest);
}

}  // namespace plinth
