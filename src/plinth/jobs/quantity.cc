#include "plinth/jobs/quantity.h"

#include <cctype>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/duration.h"

namespace plinth::jobs {
namespace {

// Splits "16Gi" into 16 and "Gi".
bool SplitNumber(const std::string& text, double* number, std::string* unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) return false;
  *unit = text.substr(i);
  return absl::SimpleAtod(text.substr(0, i), number);
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationSeconds(const Json& value) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(ShowJson(value),
                     " is not a duration; write seconds (90) or e.g. \"90s\", \"5m\", \"2h\", "
                     "\"1h30m\""));
  };
  if (value.is_number()) {
    double seconds = value.get<double>();
    if (!(seconds >= 0) || seconds > 1e10) return bad();
    return static_cast<int64_t>(std::llround(seconds));
  }
  if (!value.is_string()) return bad();
  std::string text = value.get<std::string>();
  double plain = 0;
  if (absl::SimpleAtod(text, &plain)) return bad();  // inside a string, a unit is required
  std::optional<double> seconds = ParseDurationText(text);
  if (!seconds) return bad();
  return static_cast<int64_t>(std::llround(*seconds));
}

absl::StatusOr<int64_t> ParseMemoryMib(const Json& value) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(ShowJson(value),
                     " is not a memory size; write MiB (16384) or e.g. \"512Mi\", \"16Gi\", "
                     "\"16G\""));
  };
  if (value.is_number()) {
    double mib = value.get<double>();
    if (!(mib >= 0) || mib > 1e12) return bad();
    return static_cast<int64_t>(std::llround(mib));
  }
  if (!value.is_string()) return bad();
  double number = 0;
  std::string unit;
  if (!SplitNumber(value.get<std::string>(), &number, &unit)) return bad();
  double mib;
  if (unit == "Ki")
    mib = number / 1024;
  else if (unit == "Mi" || unit == "M" || unit.empty())
    mib = number;
  else if (unit == "Gi" || unit == "G")
    mib = number * 1024;
  else if (unit == "Ti" || unit == "T")
    mib = number * 1024 * 1024;
  else
    return bad();
  if (mib > 1e12) return bad();
  return static_cast<int64_t>(std::llround(std::ceil(mib)));
}

absl::StatusOr<double> ParseCpus(const Json& value) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(ShowJson(value), " is not a CPU count; write e.g. 4, 0.5 or \"500m\""));
  };
  double cpus = 0;
  if (value.is_number()) {
    cpus = value.get<double>();
  } else if (value.is_string()) {
    std::string unit;
    if (!SplitNumber(value.get<std::string>(), &cpus, &unit)) return bad();
    if (unit == "m") {
      cpus /= 1000;
    } else if (!unit.empty()) {
      return bad();
    }
  } else {
    return bad();
  }
  if (!(cpus >= 0) || cpus > 1e6) return bad();
  return cpus;
}

}  // namespace plinth::jobs
