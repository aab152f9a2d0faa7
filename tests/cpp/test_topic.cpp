// Topic rules: UTF-8 strings (1.5.4), topic names and filters (4.7), matching
// (4.7.1.2, 4.7.1.3, 4.7.2) and shared subscriptions (4.8.2).
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "mqtt/topic.hpp"

namespace tpgate::mqtt {
namespace {

using namespace std::string_literals;

// ---------------------------------------------------------------- UTF-8

struct Utf8Case {
  const char* why;
  std::string bytes;
  bool valid;
};

void PrintTo(const Utf8Case& c, std::ostream* os) { *os << c.why; }

class Utf8Test : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Test, Validates) {
  const Utf8Case& c = GetParam();
  const Status st = validate_utf8_string(c.bytes);
  EXPECT_EQ(st.ok(), c.valid) << c.why;
  if (!st.ok()) {
    EXPECT_EQ(st.error().reason, ReasonCode::MalformedPacket) << c.why;
    EXPECT_FALSE(st.error().message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, Utf8Test,
    ::testing::Values(
        Utf8Case{"empty string", "", true},
        Utf8Case{"ASCII", "hello/world", true},
        Utf8Case{"long ASCII crosses the 8-byte fast path", std::string(100, 'a') + "b", true},
        Utf8Case{"two-byte U+00E9", "caf\xC3\xA9", true},
        Utf8Case{"three-byte U+20AC", "\xE2\x82\xAC", true},
        Utf8Case{"four-byte U+1F600", "\xF0\x9F\x98\x80", true},
        Utf8Case{"smallest two-byte U+0080", "\xC2\x80", true},
        Utf8Case{"smallest three-byte U+0800", "\xE0\xA0\x80", true},
        Utf8Case{"smallest four-byte U+10000", "\xF0\x90\x80\x80", true},
        Utf8Case{"largest code point U+10FFFF", "\xF4\x8F\xBF\xBF", true},
        Utf8Case{"U+D7FF just below the surrogates", "\xED\x9F\xBF", true},
        Utf8Case{"U+E000 just above the surrogates", "\xEE\x80\x80", true},
        Utf8Case{"U+FEFF BOM is allowed [MQTT-1.5.4-3]", "\xEF\xBB\xBF" "a", true},
        Utf8Case{"mixed multibyte after the fast path", std::string(16, 'x') + "\xE4\xB8\xAD\xE6\x96\x87", true},
        Utf8Case{"U+0000 [MQTT-1.5.4-2]", "a\0b"s, false},
        Utf8Case{"U+0000 inside an 8-byte ASCII block", "abcd\0fgh"s + "ijkl", false},
        Utf8Case{"U+0000 as overlong C0 80", "\xC0\x80", false},
        Utf8Case{"overlong two-byte C1 BF", "\xC1\xBF", false},
        Utf8Case{"overlong three-byte E0 80 80", "\xE0\x80\x80", false},
        Utf8Case{"overlong three-byte E0 9F BF", "\xE0\x9F\xBF", false},
        Utf8Case{"overlong four-byte F0 8F BF BF", "\xF0\x8F\xBF\xBF", false},
        Utf8Case{"high surrogate U+D800 [MQTT-1.5.4-1]", "\xED\xA0\x80", false},
        Utf8Case{"low surrogate U+DFFF [MQTT-1.5.4-1]", "\xED\xBF\xBF", false},
        Utf8Case{"past U+10FFFF (U+110000)", "\xF4\x90\x80\x80", false},
        Utf8Case{"lead byte F5", "\xF5\x80\x80\x80", false},
        Utf8Case{"lead byte FF", "\xFF", false},
        Utf8Case{"stray continuation byte", "a\x80", false},
        Utf8Case{"truncated two-byte at end", "abc\xC3", false},
        Utf8Case{"truncated three-byte at end", "\xE2\x82", false},
        Utf8Case{"truncated four-byte at end", "\xF0\x9F\x98", false},
        Utf8Case{"ASCII where a continuation is due", "\xE2" "a" "\xAC", false},
        Utf8Case{"bad third byte of a four-byte sequence", "\xF0\x9F\x28\x80", false},
        Utf8Case{"bad fourth byte of a four-byte sequence", "\xF0\x9F\x98\x28", false}));

TEST(Utf8Length, AcceptsExactly65535Bytes) {
  EXPECT_TRUE(validate_utf8_string(std::string(65'535, 'a')).ok());
}

TEST(Utf8Length, Rejects65536Bytes) {
  const Status st = validate_utf8_string(std::string(65'536, 'a'));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, ReasonCode::MalformedPacket);
}

TEST(Utf8Errors, MessageNamesTheOffset) {
  const Status st = validate_utf8_string("abcdefghij\xED\xA0\x80");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("10"), std::string::npos) << st.error().message;
}

// ---------------------------------------------------------------- topic names

struct NameCase {
  const char* why;
  std::string topic;
  bool valid;
};

void PrintTo(const NameCase& c, std::ostream* os) { *os << c.why; }

class TopicNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(TopicNameTest, Validates) {
  const NameCase& c = GetParam();
  const Status st = validate_topic_name(c.topic);
  EXPECT_EQ(st.ok(), c.valid) << c.why;
  if (!st.ok()) {
    EXPECT_EQ(st.error().reason, ReasonCode::TopicNameInvalid) << c.why;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, TopicNameTest,
    ::testing::Values(
        NameCase{"simple", "sport/tennis/player1", true},
        NameCase{"single level", "sport", true},
        NameCase{"leading slash makes an empty first level", "/finance", true},
        NameCase{"trailing slash", "sport/", true},
        NameCase{"only a slash", "/", true},
        NameCase{"empty levels", "a//b", true},
        NameCase{"space is a valid character", "sport tennis", true},
        NameCase{"$SYS topic", "$SYS/broker/load", true},
        NameCase{"$share is just a name when published", "$share/g/t", true},
        NameCase{"non-ASCII", "capteur/t\xC3\xA9mp\xC3\xA9rature", true},
        NameCase{"empty [MQTT-4.7.3-1]", "", false},
        NameCase{"'+' wildcard [MQTT-3.3.2-2]", "sport/+/player1", false},
        NameCase{"'#' wildcard [MQTT-3.3.2-2]", "sport/#", false},
        NameCase{"'+' inside a level", "sport+", false},
        NameCase{"'#' inside a level", "so#rt", false},
        NameCase{"U+0000 [MQTT-1.5.4-2]", "a\0b"s, false},
        NameCase{"invalid UTF-8", "a/\xFF", false},
        NameCase{"surrogate", "a/\xED\xA0\x80", false},
        NameCase{"too long", std::string(65'536, 'a'), false}));

// ---------------------------------------------------------------- topic filters

struct FilterCase {
  const char* why;
  std::string filter;
  bool valid;
};

void PrintTo(const FilterCase& c, std::ostream* os) { *os << c.why; }

class TopicFilterTest : public ::testing::TestWithParam<FilterCase> {};

TEST_P(TopicFilterTest, Validates) {
  const FilterCase& c = GetParam();
  const Status st = validate_topic_filter(c.filter);
  EXPECT_EQ(st.ok(), c.valid) << c.why;
  if (!st.ok()) {
    EXPECT_EQ(st.error().reason, ReasonCode::TopicFilterInvalid) << c.why;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, TopicFilterTest,
    ::testing::Values(
        FilterCase{"plain topic", "sport/tennis/player1", true},
        FilterCase{"'#' alone", "#", true},
        FilterCase{"'#' as last level", "sport/tennis/#", true},
        FilterCase{"'+' alone", "+", true},
        FilterCase{"'+' in the middle", "sport/+/player1", true},
        FilterCase{"'+' twice", "+/tennis/#", true},
        FilterCase{"'+' then '#'", "sport/+/#", true},
        FilterCase{"'+' with empty levels", "/+", true},
        FilterCase{"'+/+'", "+/+", true},
        FilterCase{"$SYS filter", "$SYS/#", true},
        FilterCase{"shared subscription", "$share/group/sport/#", true},
        FilterCase{"shared with '+' filter", "$share/g/+", true},
        FilterCase{"shared with '#' filter", "$share/g/#", true},
        FilterCase{"'$share' without the slash is a plain filter", "$share", true},
        FilterCase{"'$sharex/...' is a plain filter", "$sharex/a", true},
        FilterCase{"empty [MQTT-4.7.3-1]", "", false},
        FilterCase{"'#' not last [MQTT-4.7.1-1]", "sport/tennis/#/ranking", false},
        FilterCase{"'#' inside a level [MQTT-4.7.1-1]", "sport/tennis#", false},
        FilterCase{"'#' before a slash", "#/", false},
        FilterCase{"double '#'", "##", false},
        FilterCase{"'+' inside a level [MQTT-4.7.1-2]", "sport+", false},
        FilterCase{"'+' inside a middle level", "sport/ten+nis/x", false},
        FilterCase{"'+#'", "+#", false},
        FilterCase{"U+0000", "a/\0"s, false},
        FilterCase{"invalid UTF-8", "a/\xC0\xAF", false},
        FilterCase{"too long", std::string(65'536, 'a'), false},
        FilterCase{"$share/group without a filter [MQTT-4.8.2-2]", "$share/group", false},
        FilterCase{"$share/group/ with an empty filter", "$share/group/", false},
        FilterCase{"$share// with an empty group [MQTT-4.8.2-1]", "$share//sport", false},
        FilterCase{"$share/ alone", "$share/", false},
        FilterCase{"'+' in the group [MQTT-4.8.2-2]", "$share/gr+oup/sport", false},
        FilterCase{"'#' in the group [MQTT-4.8.2-2]", "$share/#/sport", false},
        FilterCase{"'+' as the whole group", "$share/+/sport", false},
        FilterCase{"invalid inner filter", "$share/g/a#", false}));

// ---------------------------------------------------------------- matching

struct MatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << '"' << c.filter << "\" vs \"" << c.topic << '"';
}

class TopicMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(TopicMatchTest, Matches) {
  const MatchCase& c = GetParam();
  ASSERT_TRUE(validate_topic_filter(c.filter).ok()) << c.filter;
  ASSERT_TRUE(validate_topic_name(c.topic).ok()) << c.topic;
  EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
}

INSTANTIATE_TEST_SUITE_P(
    Table, TopicMatchTest,
    ::testing::Values(
        // Exact names.
        MatchCase{"sport/tennis", "sport/tennis", true},
        MatchCase{"sport/tennis", "sport/Tennis", false},  // case-sensitive (4.7.3)
        MatchCase{"sport/tennis", "sport/tennis/", false},
        MatchCase{"sport", "sport/tennis", false},
        MatchCase{"sport/tennis", "sport", false},
        MatchCase{"/finance", "/finance", true},
        MatchCase{"/finance", "finance", false},  // distinct topics (4.7.1.1)
        // Multi-level wildcard (4.7.1.2).
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1", true},
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player2", false},
        MatchCase{"sport/#", "sport", true},
        MatchCase{"sport/#", "sport/", true},
        MatchCase{"sport/#", "sports", false},
        MatchCase{"sport/tennis/#", "sport", false},
        MatchCase{"#", "sport/tennis/player1", true},
        MatchCase{"#", "/", true},
        MatchCase{"#", "a", true},
        // Single-level wildcard (4.7.1.3).
        MatchCase{"sport/tennis/+", "sport/tennis/player1", true},
        MatchCase{"sport/tennis/+", "sport/tennis/player2", true},
        MatchCase{"sport/tennis/+", "sport/tennis/player1/ranking", false},
        MatchCase{"sport/+", "sport", false},
        MatchCase{"sport/+", "sport/", true},
        MatchCase{"+", "sport", true},
        MatchCase{"+", "/finance", false},
        MatchCase{"+/+", "/finance", true},
        MatchCase{"/+", "/finance", true},
        MatchCase{"+/tennis/#", "sport/tennis/player1", true},
        MatchCase{"+/tennis/#", "sport/tennis", true},
        MatchCase{"sport/+/player1", "sport/tennis/player1", true},
        MatchCase{"sport/+/player1", "sport//player1", true},
        MatchCase{"sport/+/player1", "sport/tennis/player2", false},
        MatchCase{"+/+/+", "a/b", false},
        MatchCase{"+/#", "a", true},
        // Topics beginning with '$' (4.7.2) [MQTT-4.7.2-1].
        MatchCase{"#", "$SYS/broker/clients", false},
        MatchCase{"#", "$SYS", false},
        MatchCase{"+/monitor/Clients", "$SYS/monitor/Clients", false},
        MatchCase{"+", "$SYS", false},
        MatchCase{"+/#", "$SYS/x", false},
        MatchCase{"$SYS/#", "$SYS/monitor/Clients", true},
        MatchCase{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
        MatchCase{"$SYS/#", "$SYS", true},
        MatchCase{"a/+", "a/$x", true},  // only the first level is special
        MatchCase{"a/#", "a/$x/y", true},
        // Shared subscriptions match as their inner filter (4.8.2).
        MatchCase{"$share/group/sport/#", "sport/tennis", true},
        MatchCase{"$share/group/sport/+", "sport/tennis", true},
        MatchCase{"$share/group/sport/+", "golf/club", false},
        MatchCase{"$share/g/#", "$SYS/x", false},
        MatchCase{"$share/g/$SYS/#", "$SYS/x", true}));

// ---------------------------------------------------------------- shared subscriptions

TEST(SharedSubscription, SplitsGroupAndFilter) {
  const auto s = parse_shared_subscription("$share/consumer1/sport/tennis/+");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->group, "consumer1");
  EXPECT_EQ(s->filter, "sport/tennis/+");
}

TEST(SharedSubscription, FilterMayStartWithSlash) {
  const auto s = parse_shared_subscription("$share/consumer1//finance");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->group, "consumer1");
  EXPECT_EQ(s->filter, "/finance");
}

TEST(SharedSubscription, FilterMayBeMultiLevelWildcard) {
  const auto s = parse_shared_subscription("$share/g/#");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->group, "g");
  EXPECT_EQ(s->filter, "#");
}

struct NotSharedCase {
  const char* why;
  const char* filter;
};

void PrintTo(const NotSharedCase& c, std::ostream* os) { *os << c.why; }

class NotSharedTest : public ::testing::TestWithParam<NotSharedCase> {};

TEST_P(NotSharedTest, GivesNothing) {
  EXPECT_FALSE(parse_shared_subscription(GetParam().filter).has_value()) << GetParam().why;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NotSharedTest,
    ::testing::Values(
        NotSharedCase{"plain filter", "sport/#"},
        NotSharedCase{"$share alone", "$share"},
        NotSharedCase{"other $ prefix", "$sharex/g/t"},
        NotSharedCase{"case matters", "$SHARE/g/t"},
        NotSharedCase{"group without filter [MQTT-4.8.2-2]", "$share/group"},
        NotSharedCase{"empty filter", "$share/group/"},
        NotSharedCase{"empty group [MQTT-4.8.2-1]", "$share//t"},
        NotSharedCase{"'+' in group [MQTT-4.8.2-2]", "$share/a+/t"},
        NotSharedCase{"'#' in group [MQTT-4.8.2-2]", "$share/#/t"},
        NotSharedCase{"invalid inner filter", "$share/g/t#"},
        NotSharedCase{"invalid UTF-8 in the filter", "$share/g/t\xEF"},
        NotSharedCase{"U+0000 in the group", "$share/a\xC0\x80/t"}));

}  // namespace
}  // namespace tpgate::mqtt
