// Request JSON as every API reads it: the lenient parser (bare NaN tokens,
// depth check), then the typed getters and the error-message printer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plinth/common/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<plinth::Json> parsed = plinth::ParseJsonLenient(text);
  if (!parsed.ok()) return 0;
  (void)plinth::ShowJson(*parsed);
  if (parsed->is_object()) {
    for (const auto& [key, value] : parsed->items()) {
      (void)plinth::JsonToInt64(value);
      (void)plinth::JsonToDouble(value);
    }
  }
  return 0;
}
