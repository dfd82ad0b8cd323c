#include "plinth/common/duration.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace plinth {

std::optional<double> ParseDurationText(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) {
    if (!(seconds >= 0) || seconds > 1e10) return std::nullopt;
    return seconds;
  }
  seconds = 0;  // SimpleAtod may have stored a partial value
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (absl::ascii_isdigit(text[i]) || text[i] == '.')) ++i;
    double number = 0;
    if (i == start || i == text.size() ||
        !absl::SimpleAtod(text.substr(start, i - start), &number)) {
      return std::nullopt;  // a number without its unit, or a unit without its number
    }
    char unit = text[i++];
    double scale = unit == 's'   ? 1
                   : unit == 'm' ? 60
                   : unit == 'h' ? 3600
                   : unit == 'd' ? 86400
                                 : 0;
    if (scale == 0) return std::nullopt;
    seconds += number * scale;
  }
  if (!(seconds <= 1e10)) return std::nullopt;
  return seconds;
}

}  // namespace plinth
