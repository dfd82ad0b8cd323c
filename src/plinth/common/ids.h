// Identifiers.
#pragma once

#include <string>

namespace plinth {

// 32 lowercase hex characters from a CSPRNG-seeded generator (MLflow run ids
// have this shape). Thread-safe.
std::string NewHexId();

// 16 lowercase hex characters that sort by creation time: 44 bits of
// milliseconds since the epoch, then 19-20 random bits, raised to the
// previous id + 1 when needed, so ids made by one process strictly increase
// (two processes collide only by drawing the same bits in the same
// millisecond). Database indexes on such ids grow at their end instead of
// touching a random page per insert. Not secret: they reveal the creation
// time. Thread-safe.
std::string NewTimeOrderedId();

// `bytes` random bytes, hex encoded; for secrets such as API tokens.
std::string RandomHex(int bytes);

// SHA-256 of `data` as lowercase hex.
std::string Sha256Hex(const std::string& data);

}  // namespace plinth
