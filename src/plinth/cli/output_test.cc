#include "plinth/cli/output.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

TEST(RenderTableTest, PadsColumnsToWidestCellAndUpperCasesHeaders) {
  Table table{{"id", "name"}, {{"1", "alpha"}, {"12345", "b"}}, {}};
  EXPECT_EQ(RenderTable(table),
            "ID     NAME\n"
            "1      alpha\n"
            "12345  b\n");
}

TEST(RenderTableTest, RightAlignsNumericColumns) {
  Table table{{"metric", "value"}, {{"acc", "0.9"}, {"loss", "12.25"}}, {1}};
  EXPECT_EQ(RenderTable(table),
            "METRIC  VALUE\n"
            "acc       0.9\n"
            "loss    12.25\n");
}

TEST(RenderTableTest, TruncatesLongCellsWithEllipsis) {
  Table table{{"name"}, {{"abcdefghij"}}, {}};
  EXPECT_EQ(RenderTable(table, {.max_cell_width = 5}),
            "NAME\n"
            "abcd…\n");
}

TEST(RenderTableTest, MissingCellsAndNewlinesStayOnOneLine) {
  Table table{{"a", "b"}, {{"x"}, {"line1\nline2", "y"}}, {}};
  EXPECT_EQ(RenderTable(table),
            "A            B\n"
            "x\n"
            "line1 line2  y\n");
}

TEST(RenderTableTest, TerminalEscapeSequencesAreShownNotSent) {
  Table table{{"name"}, {{"\x1b]0;pwned\x07\x1b[2Jmodel"}, {"bad\xff"}}, {}};
  EXPECT_EQ(RenderTable(table),
            "NAME\n"
            "\\x1b]0;pwned\\x07\\x1b[2Jmodel\n"
            "bad\\xff\n");
  EXPECT_EQ(RenderKeyValues({{"k\x1b", "v\x1b[31m"}}), "k\\x1b:  v\\x1b[31m\n");
}

TEST(RenderTableTest, WidthCountsUtf8CodePointsNotBytes) {
  Table table{{"c", "d"}, {{"é", "1"}, {"ab", "2"}}, {}};
  EXPECT_EQ(RenderTable(table),
            "C   D\n"
            "é   1\n"
            "ab  2\n");
}

TEST(TruncateToWidthTest, CutsAtCodePointBoundaries) {
  EXPECT_EQ(TruncateToWidth("ééééé", 3), "éé…");
  EXPECT_EQ(TruncateToWidth("abc", 3), "abc");
  EXPECT_EQ(TruncateToWidth("abcd", 1), "…");
  EXPECT_EQ(DisplayWidth("▁▂▃"), 3u);
}

TEST(RenderKeyValuesTest, AlignsValues) {
  EXPECT_EQ(RenderKeyValues({{"id", "7"}, {"long key", "v"}, {"empty", ""}}),
            "id:        7\n"
            "long key:  v\n"
            "empty:\n");
}

TEST(RenderJsonTest, PrettyPrintsAndReplacesInvalidUtf8) {
  EXPECT_EQ(RenderJson(Json{{"a", 1}}), "{\n  \"a\": 1\n}\n");
  std::string bad = "x\xff";
  EXPECT_EQ(RenderJson(Json(bad)), "\"x\xEF\xBF\xBD\"\n");
}

TEST(FormatTest, Timestamps) {
  EXPECT_EQ(FormatTimestamp(0, absl::UTCTimeZone()), "-");
  EXPECT_EQ(FormatTimestamp(1'700'000'000'123, absl::UTCTimeZone()), "2023-11-14 22:13:20");
}

TEST(FormatTest, Durations) {
  EXPECT_EQ(FormatDuration(250), "250ms");
  EXPECT_EQ(FormatDuration(12'340), "12.3s");
  EXPECT_EQ(FormatDuration(185'000), "3m05s");
  EXPECT_EQ(FormatDuration(2 * 3600'000 + 7 * 60'000), "2h07m");
  EXPECT_EQ(FormatDuration(3 * 86400'000LL + 4 * 3600'000), "3d04h");
}

TEST(FormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(12ULL << 20), "12.0 MiB");
  EXPECT_EQ(FormatBytes(3ULL << 30), "3.0 GiB");
}

TEST(FormatTest, Numbers) {
  EXPECT_EQ(FormatNumber(0.95), "0.95");
  EXPECT_EQ(FormatNumber(1200), "1200");
  EXPECT_EQ(FormatNumber(1.5e-7), "1.5e-07");
  EXPECT_EQ(FormatNumber(1.0 / 3), "0.333333");
  EXPECT_EQ(FormatNumber(std::nan("")), "NaN");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(JsonHelpersTest, ToleratesMissingAndMistypedMembers) {
  Json j = {{"s", "x"}, {"n", 5}, {"ns", "123"}, {"b", true}, {"bad", Json::array()}};
  EXPECT_EQ(JsonString(j, "s"), "x");
  EXPECT_EQ(JsonString(j, "n"), "");
  EXPECT_EQ(JsonString(Json(), "s"), "");
  EXPECT_EQ(JsonInt(j, "n"), 5);
  EXPECT_EQ(JsonInt(j, "ns"), 123);  // protobuf's int64-as-string
  EXPECT_EQ(JsonInt(j, "bad"), 0);
  EXPECT_TRUE(JsonBool(j, "b"));
  EXPECT_FALSE(JsonBool(j, "s"));
  EXPECT_TRUE(JsonMember(j, "missing").is_null());
}

}  // namespace
}  // namespace plinth::cli
