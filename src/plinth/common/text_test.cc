#include "plinth/common/text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth {
namespace {

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST(IsValidUtf8Test, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\x80"));
}

TEST(HasControlCharacterTest, FindsCrLfNulAndDel) {
  EXPECT_FALSE(HasControlCharacter("a/b c.txt"));
  EXPECT_TRUE(HasControlCharacter("a\r\nSet-Cookie: x"));
  EXPECT_TRUE(HasControlCharacter(std::string("a\0b", 3)));
  EXPECT_TRUE(HasControlCharacter("a\x7f"));
  EXPECT_TRUE(HasControlCharacter("tab\t"));
}

TEST(AbbreviateTest, CutsLongValuesAtACharacterBoundary) {
  EXPECT_EQ(Abbreviate("short"), "short");
  std::string long_text(30000, 'x');
  std::string cut = Abbreviate(long_text);
  EXPECT_EQ(cut, std::string(200, 'x') + "... (30000 characters)");
  // A 2-byte character straddling the limit is dropped whole.
  std::string text = std::string(199, 'a') + "\xc3\xa9" + "zzz";
  EXPECT_EQ(Abbreviate(text), std::string(199, 'a') + "... (204 characters)");
}

TEST(EscapeForTerminalTest, EscapesControlsAndKeepsUnicode) {
  EXPECT_EQ(EscapeForTerminal("model-\xc3\xa9"), "model-\xc3\xa9");
  EXPECT_EQ(EscapeForTerminal("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(EscapeForTerminal("a\r\nb\t"), "a\\r\\nb\\t");
  EXPECT_EQ(EscapeForTerminal("bad\xff"), "bad\\xff");
  EXPECT_EQ(EscapeForTerminal("c1\xc2\x9b"), "c1\\u009b");
}

}  // namespace
}  // namespace plinth
