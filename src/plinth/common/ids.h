// Identifiers.
#pragma once

#include <string>

namespace plinth {

// 32 lowercase hex characters from a CSPRNG-seeded generator (MLflow run ids
// have this shape). Thread-safe.
std::string NewHexId();

// `bytes` random bytes, hex encoded; for secrets such as API tokens.
std::string RandomHex(int bytes);

// SHA-256 of `data` as lowercase hex.
std::string Sha256Hex(const std::string& data);

}  // namespace plinth
