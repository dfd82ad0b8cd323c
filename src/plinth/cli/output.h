// What the CLI prints: aligned tables, key/value blocks, JSON, and the
// formatting of times, sizes and numbers inside them. Pure functions that
// return strings, so tests check exact output.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plinth/common/json.h"

namespace plinth::cli {

enum class OutputFormat { kTable, kJson };

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // rows may be shorter than headers
  std::set<size_t> right_aligned;              // column indexes (numbers, sizes)
};

struct TableOptions {
  // Cells wider than this (in terminal columns) are cut and end in "…".
  size_t max_cell_width = 48;
};

// Columns separated by two spaces, each as wide as its widest cell; headers
// upper-cased; no trailing spaces. Newlines and tabs in cells become spaces.
std::string RenderTable(const Table& table, const TableOptions& options = {});

// "key:  value" lines with the values aligned in one column.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& rows);

// Pretty-printed JSON (2-space indent) ending in a newline; invalid UTF-8 in
// strings is replaced rather than failing.
std::string RenderJson(const Json& value);

// Terminal columns taken by UTF-8 `s` (one per code point; the CLI prints no
// double-width characters of its own).
size_t DisplayWidth(absl::string_view s);
// `s` cut to at most `width` columns, ending in "…" when cut.
std::string TruncateToWidth(absl::string_view s, size_t width);

// "2024-01-02 15:04:05" in `tz`; "-" for a missing (<= 0) timestamp.
std::string FormatTimestamp(int64_t millis, absl::TimeZone tz = absl::LocalTimeZone());
// "250ms", "12.3s", "3m05s", "2h07m", "3d04h".
std::string FormatDuration(int64_t millis);
// "512 B", "1.5 KiB", "12.0 MiB" (binary units).
std::string FormatBytes(uint64_t bytes);
// Up to 6 significant digits without trailing noise: 0.95, 1200, 1.5e-07, NaN.
std::string FormatNumber(double value);

// The member `key` of `object`, or null when absent (or `object` is no object).
const Json& JsonMember(const Json& object, const char* key);
// The boolean member `key`, or false when absent or not a boolean.
bool JsonBool(const Json& object, const char* key);
// The string member `key` of `object`, or "" when absent or not a string.
std::string JsonString(const Json& object, const char* key);
// The integer member `key` (number or decimal string, as protobuf writes
// int64), or 0 when absent or malformed.
int64_t JsonInt(const Json& object, const char* key);

}  // namespace plinth::cli
