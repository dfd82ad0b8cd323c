// Checks and transforms of client-supplied text that every module needs:
// UTF-8 validity, control characters, and shortening a value that an error
// message echoes back.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace plinth {

// The longest piece of a client's value that an error message repeats.
inline constexpr size_t kMaxEchoedChars = 200;

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// True when `text` holds an ASCII control character (0x00-0x1f or 0x7f).
bool HasControlCharacter(absl::string_view text);

// `text` cut to at most `max_chars` bytes at a UTF-8 boundary, with "..."
// and the full length appended when cut ("abc... (30000 characters)").
std::string Abbreviate(absl::string_view text, size_t max_chars = kMaxEchoedChars);

// `text` with control characters and invalid UTF-8 shown as escapes
// ("\x1b", "\n"), so a name printed to a terminal cannot move the cursor,
// change colours or forge lines.
std::string EscapeForTerminal(absl::string_view text);

}  // namespace plinth
