#include "plinth/cli/output.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "plinth/common/text.h"

namespace plinth::cli {
namespace {

// Cells are single-line: a newline would break the column grid. Other
// control characters (a name holding "\x1b[2J" would clear the screen) and
// invalid UTF-8 are shown escaped, never sent to the terminal.
std::string CellText(absl::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return EscapeForTerminal(out);
}

void AppendPadded(std::string* line, absl::string_view cell, size_t width, bool right) {
  size_t pad = width - std::min(width, DisplayWidth(cell));
  if (right) line->append(pad, ' ');
  line->append(cell.data(), cell.size());
  if (!right) line->append(pad, ' ');
}

std::string StripTrailingSpaces(std::string line) {
  line.erase(line.find_last_not_of(' ') + 1);
  return line;
}

}  // namespace

size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes, not continuation bytes
  }
  return width;
}

std::string TruncateToWidth(absl::string_view s, size_t width) {
  if (DisplayWidth(s) <= width) return std::string(s);
  if (width == 0) return "";
  std::string out;
  size_t columns = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    bool lead = (c & 0xC0) != 0x80;
    if (lead && columns == width - 1) break;
    if (lead) ++columns;
    out.push_back(static_cast<char>(c));
  }
  out += "…";
  return out;
}

std::string RenderTable(const Table& table, const TableOptions& options) {
  size_t columns = table.headers.size();
  for (const auto& row : table.rows) columns = std::max(columns, row.size());
  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size() + 1);
  std::vector<std::string> header;
  for (size_t c = 0; c < columns; ++c) {
    header.push_back(c < table.headers.size() ? absl::AsciiStrToUpper(table.headers[c]) : "");
  }
  cells.push_back(std::move(header));
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns; ++c) {
      line.push_back(c < row.size() ? TruncateToWidth(CellText(row[c]), options.max_cell_width)
                                    : "");
    }
    cells.push_back(std::move(line));
  }
  std::vector<size_t> widths(columns, 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < columns; ++c) widths[c] = std::max(widths[c], DisplayWidth(line[c]));
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) text += "  ";
      AppendPadded(&text, line[c], widths[c], table.right_aligned.count(c) > 0);
    }
    absl::StrAppend(&out, StripTrailingSpaces(std::move(text)), "\n");
  }
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, DisplayWidth(CellText(key)) + 1);
  std::string out;
  for (const auto& [key, value] : rows) {
    std::string line = absl::StrCat(CellText(key), ":");
    line.append(width - DisplayWidth(line) + 2, ' ');
    absl::StrAppend(&line, CellText(value));
    absl::StrAppend(&out, StripTrailingSpaces(std::move(line)), "\n");
  }
  return out;
}

std::string RenderJson(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string FormatTimestamp(int64_t millis, absl::TimeZone tz) {
  if (millis <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(millis), tz);
}

std::string FormatDuration(int64_t millis) {
  if (millis < 0) return "-";
  if (millis < 1000) return absl::StrCat(millis, "ms");
  if (millis < 60'000) return absl::StrFormat("%.1fs", millis / 1000.0);
  int64_t s = millis / 1000;
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", v, kUnits[unit]);
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return absl::StrFormat("%.6g", value);
}

const Json& JsonMember(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

bool JsonBool(const Json& object, const char* key) {
  const Json& v = JsonMember(object, key);
  return v.is_boolean() && v.get<bool>();
}

std::string JsonString(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t JsonInt(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return static_cast<int64_t>(it->get<double>());
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return 0;
}

}  // namespace plinth::cli
