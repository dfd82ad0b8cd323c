// Identifiers.
#pragma once

#include <string>

namespace plinth {

// 32 lowercase hex characters from a CSPRNG-seeded generator (MLflow run ids
// have this shape). Thread-safe.
std::string NewHexId();

// 16 lowercase hex characters that sort by creation time: 44 bits of
// milliseconds since the epoch, then 20 bits that start at a random value
// each millisecond and count up within this process (so ids made by one
// process never repeat and sort in creation order). Database indexes on such
// ids grow at their end instead of touching a random page per insert.
// Thread-safe.
std::string NewTimeOrderedId();

// `bytes` random bytes, hex encoded; for secrets such as API tokens.
std::string RandomHex(int bytes);

// SHA-256 of `data` as lowercase hex.
std::string Sha256Hex(const std::string& data);

}  // namespace plinth
