// message_id (docs/thingspanel.md#message-id): validation and the seven-digit
// default generator's no-repeat guarantee, on a clock the test controls.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_set>

#include "gateway/message_id.hpp"

namespace tpgate::gateway {
namespace {

using namespace std::string_literals;

// ------------------------------------------------------------- validation

struct IdCase {
  const char* why;
  std::string id;
  const char* error;  // nullptr: valid
};

void PrintTo(const IdCase& c, std::ostream* os) { *os << c.why; }

class MessageIdValidationTest : public ::testing::TestWithParam<IdCase> {};

TEST_P(MessageIdValidationTest, OneTopicLevelRules) {
  const IdCase& c = GetParam();
  const mqtt::Status st = validate_message_id(c.id);
  if (c.error == nullptr) {
    EXPECT_TRUE(st.ok()) << st.error().message;
    return;
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, mqtt::ReasonCode::TopicNameInvalid);
  EXPECT_EQ(st.error().message.rfind(c.error, 0), 0u) << st.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, MessageIdValidationTest,
    ::testing::Values(IdCase{"seven digits", "1234567", nullptr},
                      IdCase{"one character", "a", nullptr},
                      IdCase{"uuid-like", "3f1c-77aa", nullptr},
                      IdCase{"non-ASCII UTF-8", "id-\xC3\xA9", nullptr},
                      IdCase{"empty", "", "message_id is empty"},
                      IdCase{"slash", "12/34", "message_id contains '/'"},
                      IdCase{"only a slash", "/", "message_id contains '/'"},
                      IdCase{"plus", "12+", "message_id contains '+'"},
                      IdCase{"hash", "#", "message_id contains '#'"},
                      IdCase{"NUL [MQTT-1.5.4-2]", "a\0b"s, "message_id: "},
                      IdCase{"invalid UTF-8 [MQTT-1.5.4-1]", "\xFF", "message_id: "}));

// ------------------------------------------------- the seven-digit default

struct SequenceCase {
  const char* why;
  std::vector<std::int64_t> clock;  // now_ms for each call
  std::vector<std::string> ids;     // expected ids, in order
};

void PrintTo(const SequenceCase& c, std::ostream* os) { *os << c.why; }

class SevenDigitSequenceTest : public ::testing::TestWithParam<SequenceCase> {};

TEST_P(SevenDigitSequenceTest, Issues) {
  const SequenceCase& c = GetParam();
  SevenDigitMessageIds ids;
  ASSERT_EQ(c.clock.size(), c.ids.size());
  for (std::size_t i = 0; i < c.clock.size(); ++i) {
    EXPECT_EQ(ids.next(c.clock[i]), c.ids[i]) << "call " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, SevenDigitSequenceTest,
    ::testing::Values(
        // The spec's suggestion: last 7 digits of the millisecond timestamp.
        SequenceCase{"last 7 digits of the timestamp", {1609459200123}, {"9200123"}},
        SequenceCase{"leading zeros are kept", {1600000000042}, {"0000042"}},
        SequenceCase{"clock moving on: each id is the clock's", {1000, 1005, 2000}, {"0001000", "0001005", "0002000"}},
        // docs/thingspanel.md#message-id: the same millisecond twice must not give the same id.
        SequenceCase{"docs/thingspanel.md#message-id: same millisecond steps forward", {5000, 5000, 5000},
                     {"0005000", "0005001", "0005002"}},
        SequenceCase{"docs/thingspanel.md#message-id: a burst runs ahead, the clock catches up", {5000, 5000, 5001, 5003},
                     {"0005000", "0005001", "0005002", "0005003"}},
        SequenceCase{"docs/thingspanel.md#message-id: clock going backwards never repeats", {9000, 8000, 8000, 9500},
                     {"0009000", "0009001", "0009002", "0009500"}},
        SequenceCase{"wrap at 9,999,999 within one millisecond", {19'999'999, 19'999'999, 19'999'999},
                     {"9999999", "0000000", "0000001"}},
        SequenceCase{"negative clock counts as 0", {-5, -5}, {"0000000", "0000001"}}));

// docs/thingspanel.md#message-id: 10,000 ids in one millisecond are all distinct and valid.
TEST(SevenDigitMessageIds, TenThousandInOneMillisecond) {
  SevenDigitMessageIds ids;
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    const std::string id = ids.next(1'700'000'000'000);
    EXPECT_EQ(id.size(), 7u);
    EXPECT_TRUE(validate_message_id(id).ok());
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10'000u);
}

// The guarantee across the wrap: 10,000 ids straddling 9,999,999 -> 0 stay distinct.
TEST(SevenDigitMessageIds, DistinctAcrossTheWrap) {
  SevenDigitMessageIds ids;
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) seen.insert(ids.next(9'995'000));
  EXPECT_EQ(seen.size(), 10'000u);
  EXPECT_EQ(seen.count("9999999"), 1u);
  EXPECT_EQ(seen.count("0000000"), 1u);
  EXPECT_EQ(seen.count("0004999"), 1u);
}

// A clock that jumps back by an hour in the middle of a burst: still no repeat,
// and the position never goes back.
TEST(SevenDigitMessageIds, ClockStepsBackDuringBurst) {
  SevenDigitMessageIds ids;
  std::unordered_set<std::string> seen;
  std::int64_t last = -1;
  for (int i = 0; i < 3'000; ++i) {
    const std::int64_t now = i < 1'500 ? 10'000'000 + i / 3 : 10'000'000 - 3'600'000 + i;
    seen.insert(ids.next(now));
    EXPECT_GT(ids.position(), last);
    last = ids.position();
  }
  EXPECT_EQ(seen.size(), 3'000u);
}

// What the guarantee does not promise: a full window later the id comes back.
TEST(SevenDigitMessageIds, RepeatsOnlyAfterAFullWindow) {
  SevenDigitMessageIds ids;
  const std::string first = ids.next(1'000);
  EXPECT_NE(ids.next(1'000 + SevenDigitMessageIds::kSpace - 1), first);
  EXPECT_EQ(ids.next(1'000 + SevenDigitMessageIds::kSpace), first);
}

// ------------------------------------------------------------ pluggable

TEST(MessageIds, DefaultIsSevenDigits) {
  MessageIds ids;
  EXPECT_FALSE(ids.is_custom());
  EXPECT_EQ(*ids.next(1609459200123), "9200123");
  EXPECT_EQ(*ids.next(1609459200123), "9200124");
}

TEST(MessageIds, CustomGeneratorGetsTheClock) {
  std::int64_t seen_now = 0;
  MessageIds ids([&](std::int64_t now) {
    seen_now = now;
    return "custom-" + std::to_string(now);
  });
  EXPECT_TRUE(ids.is_custom());
  mqtt::Result<std::string> id = ids.next(42);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "custom-42");
  EXPECT_EQ(seen_now, 42);
}

// docs/thingspanel.md#message-id: a custom generator's bad id is an error before it reaches a topic.
TEST(MessageIds, CustomIdIsValidated) {
  MessageIds slash([](std::int64_t) { return std::string("a/b"); });
  mqtt::Result<std::string> bad = slash.next(0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "custom message_id generator: message_id contains '/'");

  MessageIds empty([](std::int64_t) { return std::string(); });
  ASSERT_FALSE(empty.next(0).ok());
  EXPECT_EQ(empty.next(0).error().message, "custom message_id generator: message_id is empty");
}

}  // namespace
}  // namespace tpgate::gateway
