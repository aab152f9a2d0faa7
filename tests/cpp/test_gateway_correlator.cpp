// Correlator: requests paired with answers by (kind, message_id), timeouts on
// a fake clock (docs/thingspanel.md#correlation), both ack families
// (docs/thingspanel.md#ack-topics), late and duplicate answers reported rather than fatal.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/correlator.hpp"
#include "gateway/topics.hpp"

namespace tpgate::gateway {
namespace {

using Tokens = std::vector<RequestToken>;

TEST(Correlator, ResolvesWithTokenAndRoundTripTime) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "0000001", 11, 1'000, 5'000).ok());
  EXPECT_EQ(c.pending_count(), 1u);
  const Resolution r = c.resolve(RequestKind::Command, "0000001", 1'250);
  ASSERT_TRUE(r.matched()) << r.problem;
  EXPECT_EQ(r.resolved->token, 11u);
  EXPECT_EQ(r.resolved->rtt_ms, 250);
  EXPECT_TRUE(r.problem.empty());
  EXPECT_EQ(c.pending_count(), 0u);
  EXPECT_FALSE(c.next_deadline().has_value());
}

// A request nobody answers times out on the caller's clock (docs/thingspanel.md#correlation).
TEST(Correlator, UnansweredRequestTimesOut) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::AttributeSet, "m1", 7, 1'000, 3'000).ok());
  EXPECT_EQ(c.next_deadline(), 4'000);
  EXPECT_EQ(c.expire(3'999), Tokens{});  // one millisecond early: still pending
  EXPECT_EQ(c.pending_count(), 1u);
  EXPECT_EQ(c.expire(4'000), Tokens{7});  // at the deadline
  EXPECT_EQ(c.pending_count(), 0u);
  EXPECT_FALSE(c.next_deadline().has_value());
  EXPECT_EQ(c.expire(100'000), Tokens{});  // reported once
}

TEST(Correlator, ExpiresOldestDeadlineFirstAndLeavesTheRest) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "a", 1, 0, 300).ok());
  ASSERT_TRUE(c.add(RequestKind::Command, "b", 2, 0, 100).ok());
  ASSERT_TRUE(c.add(RequestKind::EventReport, "c", 3, 0, 200).ok());
  ASSERT_TRUE(c.add(RequestKind::AttributeReport, "d", 4, 0, 1'000).ok());
  EXPECT_EQ(c.next_deadline(), 100);
  EXPECT_EQ(c.expire(300), (Tokens{2, 3, 1}));
  EXPECT_EQ(c.next_deadline(), 1'000);
  EXPECT_EQ(c.pending_count(), 1u);
}

// docs/thingspanel.md#ack-topics: an ack on either family resolves the same report.
struct AckCase {
  const char* why;
  const char* topic;
  RequestKind kind;
};

void PrintTo(const AckCase& c, std::ostream* os) { *os << c.why; }

class CorrelatorAckFamilyTest : public ::testing::TestWithParam<AckCase> {};

TEST_P(CorrelatorAckFamilyTest, AckTopicsEitherFamilyResolves) {
  const AckCase& a = GetParam();
  Correlator c;
  ASSERT_TRUE(c.add(a.kind, "1234567", 99, 0, 10'000).ok());
  mqtt::Result<TopicInfo> topic = parse_topic(a.topic, TopicDirection::Downlink);
  ASSERT_TRUE(topic.ok()) << topic.error().message;
  const Resolution r = c.resolve(*topic, 40);
  ASSERT_TRUE(r.matched()) << r.problem;
  EXPECT_EQ(r.resolved->token, 99u);
  EXPECT_EQ(r.resolved->rtt_ms, 40);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CorrelatorAckFamilyTest,
    ::testing::Values(
        AckCase{"attribute ack, spec family", "gateway/attributes/response/gw/1234567", RequestKind::AttributeReport},
        AckCase{"docs/thingspanel.md#ack-topics: attribute ack, devices family", "devices/attributes/response/gw/1234567",
                RequestKind::AttributeReport},
        AckCase{"event ack, spec family", "gateway/event/response/gw/1234567", RequestKind::EventReport},
        AckCase{"docs/thingspanel.md#ack-topics: event ack, devices family", "devices/event/response/gw/1234567",
                RequestKind::EventReport}));

TEST(Correlator, AckTopicsBothFamiliesAreOneAckThenADuplicate) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::EventReport, "5", 1, 0, 1'000).ok());
  const Resolution first = c.resolve(*parse_topic("devices/event/response/gw/5"), 10);
  EXPECT_TRUE(first.matched());
  const Resolution second = c.resolve(*parse_topic("gateway/event/response/gw/5"), 11);
  EXPECT_FALSE(second.matched());
  EXPECT_EQ(second.unmatched, Unmatched::Duplicate);
}

TEST(Correlator, ResponsesResolveOnThePlatformSide) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "9", 1, 0, 1'000).ok());
  ASSERT_TRUE(c.add(RequestKind::AttributeSet, "9", 2, 0, 1'000).ok());  // same id, other kind: separate
  EXPECT_EQ(c.resolve(*parse_topic("gateway/attributes/set/response/9", TopicDirection::Uplink), 5).resolved->token,
            2u);
  EXPECT_EQ(c.resolve(*parse_topic("gateway/command/response/9", TopicDirection::Uplink), 6).resolved->token, 1u);
}

TEST(Correlator, KindsAreNotConfused) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::AttributeReport, "1", 1, 0, 1'000).ok());
  const Resolution r = c.resolve(RequestKind::EventReport, "1", 5);  // an event ack for an attribute report id
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.unmatched, Unmatched::Unknown);
  EXPECT_EQ(c.pending_count(), 1u);
}

// Late and duplicate answers are reported, never a crash or a second resolution.
struct UnmatchedCase {
  const char* why;
  bool answer_first;  // answer once before the tested answer
  std::int64_t expire_at;  // call expire(expire_at) before the tested answer; -1: no
  Unmatched expected;
  const char* problem;
};

void PrintTo(const UnmatchedCase& c, std::ostream* os) { *os << c.why; }

class CorrelatorUnmatchedTest : public ::testing::TestWithParam<UnmatchedCase> {};

TEST_P(CorrelatorUnmatchedTest, Reported) {
  const UnmatchedCase& u = GetParam();
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "42", 5, 0, 100).ok());
  if (u.answer_first) {
    ASSERT_TRUE(c.resolve(RequestKind::Command, "42", 50).matched());
  }
  if (u.expire_at >= 0) c.expire(u.expire_at);
  const std::string id = u.expected == Unmatched::Unknown ? "43" : "42";
  const Resolution r = c.resolve(RequestKind::Command, id, 500);
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.unmatched, u.expected);
  EXPECT_EQ(r.problem, u.problem);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CorrelatorUnmatchedTest,
    ::testing::Values(
        UnmatchedCase{"late: after the timeout", false, 100, Unmatched::Late,
                      "late answer (request timed out): command message_id 42"},
        UnmatchedCase{"duplicate: answered twice", true, -1, Unmatched::Duplicate,
                      "duplicate answer (request already answered): command message_id 42"},
        UnmatchedCase{"unknown: never asked", false, -1, Unmatched::Unknown,
                      "answer to no pending request: command message_id 43"}));

TEST(Correlator, ForgetsOnlyPastItsMemory) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "old", 1, 0, 10).ok());
  ASSERT_TRUE(c.resolve(RequestKind::Command, "old", 1).matched());
  for (std::size_t i = 0; i < Correlator::kRecentLimit; ++i) {
    ASSERT_TRUE(c.add(RequestKind::Command, std::to_string(i), 2, 0, 10).ok());
    ASSERT_TRUE(c.resolve(RequestKind::Command, std::to_string(i), 1).matched());
  }
  EXPECT_EQ(c.resolve(RequestKind::Command, "old", 2).unmatched, Unmatched::Unknown);
  EXPECT_EQ(c.resolve(RequestKind::Command, "0", 2).unmatched, Unmatched::Duplicate);
}

TEST(Correlator, RejectsADuplicatePendingKey) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "1", 1, 0, 100).ok());
  const mqtt::Status again = c.add(RequestKind::Command, "1", 2, 0, 100);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, mqtt::ReasonCode::PacketIdentifierInUse);
  EXPECT_EQ(again.error().message, "command with message_id 1 is already pending");
  // The first request is untouched.
  EXPECT_EQ(c.resolve(RequestKind::Command, "1", 3).resolved->token, 1u);
}

TEST(Correlator, ARequestCanReuseAnIdOnceFinished) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "1", 1, 0, 100).ok());
  EXPECT_EQ(c.expire(100), Tokens{1});
  ASSERT_TRUE(c.add(RequestKind::Command, "1", 2, 200, 100).ok());
  const Resolution r = c.resolve(RequestKind::Command, "1", 250);
  ASSERT_TRUE(r.matched());
  EXPECT_EQ(r.resolved->token, 2u);
  EXPECT_EQ(r.resolved->rtt_ms, 50);
}

TEST(Correlator, TopicsThatAnswerNothing) {
  Correlator c;
  TopicInfo telemetry;
  telemetry.kind = TopicKind::Telemetry;
  const Resolution r = c.resolve(telemetry, 0);
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.problem, "telemetry answers no request");
  EXPECT_FALSE(request_answered_by(TopicKind::Command).has_value());
  // Answered by a new report (docs/thingspanel.md#attribute-get-shape).
  EXPECT_FALSE(request_answered_by(TopicKind::AttributeGet).has_value());
  EXPECT_EQ(request_answered_by(TopicKind::AttributeAck), RequestKind::AttributeReport);
}

TEST(Correlator, CancelAndTakeAll) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "1", 1, 0, 100).ok());
  ASSERT_TRUE(c.add(RequestKind::Command, "2", 2, 0, 200).ok());
  ASSERT_TRUE(c.add(RequestKind::EventReport, "3", 3, 0, 300).ok());
  EXPECT_TRUE(c.cancel(RequestKind::Command, "1"));
  EXPECT_FALSE(c.cancel(RequestKind::Command, "1"));
  EXPECT_EQ(c.next_deadline(), 200);
  Tokens all = c.take_all();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (Tokens{2, 3}));
  EXPECT_EQ(c.pending_count(), 0u);
  EXPECT_EQ(c.expire(1'000), Tokens{});
}

TEST(Correlator, NegativeTimeoutExpiresImmediately) {
  Correlator c;
  ASSERT_TRUE(c.add(RequestKind::Command, "1", 1, 500, -10).ok());
  EXPECT_EQ(c.next_deadline(), 500);
  EXPECT_EQ(c.expire(500), Tokens{1});
}

}  // namespace
}  // namespace tpgate::gateway
