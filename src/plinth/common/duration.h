// Durations as users write them in specs and configuration files: a number
// of seconds ("90", "1.5") or numbers with units s, m, h, d ("90s", "5m",
// "1h30m", "1d"). One parser, so every file accepts the same forms.
#pragma once

#include <optional>

#include "absl/strings/string_view.h"

namespace plinth {

// Seconds, or nullopt when `text` is not such a duration (negative, empty,
// an unknown unit, more than 1e10 s).
std::optional<double> ParseDurationText(absl::string_view text);

}  // namespace plinth
