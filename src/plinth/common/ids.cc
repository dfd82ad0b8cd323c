#include "plinth/common/ids.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

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

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(digest, sizeof digest);
}

}  // namespace plinth
