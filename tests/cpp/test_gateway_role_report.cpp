// GatewayRole uplinks: telemetry, attribute and event reports at each target level, acks from both
// families (docs/thingspanel.md#ack-topics), malformed acks (docs/thingspanel.md#flat-responses),
// timeouts.
#include <gtest/gtest.h>

#include <set>

#include "gateway_seed_examples.hpp"
#include "test_gateway_role_util.hpp"

namespace tpgate::gateway {
namespace {

using namespace role_test;

class ReportAtEachLevel : public ::testing::TestWithParam<Level> {};

TEST_P(ReportAtEachLevel, TelemetryRealTimeAndHistorical) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto rt = role.report_telemetry(wrap(level.target, J(R"({"temperature":25.5,"switch":true})")), kNow);
  ASSERT_TRUE(rt.ok()) << rt.error().message;
  EXPECT_EQ(rt->publication.topic, "gateway/telemetry");
  EXPECT_EQ(payload_json(rt->publication), J(wrap_text(level, R"({"temperature":25.5,"switch":true})")));
  EXPECT_FALSE(rt->token.has_value());  // telemetry is never acked
  EXPECT_EQ(role.pending_reports(), 0u);

  const char* history = R"([{"ts":1609459200000,"values":{"t":1}},{"ts":1609462800000,"values":{"t":2}}])";
  auto hist = role.report_telemetry(J(wrap_text(level, history)), kNow);
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ(hist->publication.topic, "gateway/telemetry");
  EXPECT_EQ(payload_json(hist->publication), J(wrap_text(level, history)));
}

TEST_P(ReportAtEachLevel, AttributesAckedOnSpecFamily) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto rep = role.report_attributes(wrap(level.target, J(R"({"ip":"192.168.1.101"})")), kNow);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->message_id, "9200000");  // last 7 digits of the ms clock (spec default)
  EXPECT_EQ(rep->publication.topic, "gateway/attributes/9200000");
  EXPECT_EQ(payload_json(rep->publication), J(wrap_text(level, R"({"ip":"192.168.1.101"})")));
  ASSERT_TRUE(rep->token.has_value());
  auto out = role.receive("gateway/attributes/response/gw-dn-1/9200000",
                          R"({"result":0,"message":"success","ts":1609459200})", kNow + 80);
  auto acked = events_of<ReportAcked>(out);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].token, *rep->token);
  EXPECT_EQ(acked[0].rtt_ms, 80);
  EXPECT_TRUE(acked[0].success);
  EXPECT_EQ(acked[0].family, AckFamily::Gateway);
  EXPECT_EQ(role.pending_reports(), 0u);
}

TEST_P(ReportAtEachLevel, EventAckedOnBackendFamily) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto rep = role.report_event(J(wrap_text(level, R"({"method":"AlarmTriggered","params":{"level":"high"}})")), kNow);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->publication.topic, "gateway/event/" + rep->message_id);
  EXPECT_EQ(payload_json(rep->publication),
            J(wrap_text(level, R"({"method":"AlarmTriggered","params":{"level":"high"}})")));
  // docs/thingspanel.md#ack-topics: the backend acks on devices/...
  auto out = role.receive("devices/event/response/gw-dn-1/" + rep->message_id,
                          R"({"result":0,"message":"success","ts":1609459200})", kNow + 3);
  auto acked = events_of<ReportAcked>(out);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].token, *rep->token);
  EXPECT_EQ(acked[0].family, AckFamily::Devices);
  EXPECT_TRUE(acked[0].success);
}

INSTANTIATE_TEST_SUITE_P(Levels, ReportAtEachLevel, ::testing::ValuesIn(levels()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GatewayRoleReport, SeedExamplesAllSend) {
  GatewayRole role(options());
  for (auto text : {seed::kTelemetrySingleLayer, seed::kTelemetryMultiLevel, seed::kTelemetryHistorical}) {
    auto r = role.report_telemetry(J(text), kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(payload_json(r->publication), J(text));
  }
  auto a = role.report_attributes(J(seed::kAttributes), kNow);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(payload_json(a->publication), J(seed::kAttributes));
  auto e = role.report_event(J(seed::kEventRealTime), kNow);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(payload_json(e->publication), J(seed::kEventRealTime));
  auto h = role.report_event(J(seed::kEventHistorical), kNow);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(payload_json(h->publication), J(seed::kEventHistorical));
}

TEST(GatewayRoleReport, MessageId_FreshInOneMillisecond) {
  GatewayRole role(options());
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto r = i % 2 ? role.report_event(J(R"({"gateway_data":{"method":"m"}})"), kNow)
                   : role.report_attributes(J(R"({"gateway_data":{"a":1}})"), kNow);
    ASSERT_TRUE(r.ok());
    ids.insert(r->message_id);
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(role.pending_reports(), 50u);
}

TEST(GatewayRoleReport, FlatResponses_FailureAckFromPlatform) {
  GatewayRole role(options());
  auto rep = role.report_attributes(J(R"({"gateway_data":{"a":1}})"), kNow);
  ASSERT_TRUE(rep.ok());
  auto out = role.receive("devices/attributes/response/gw-dn-1/" + rep->message_id,
                          R"({"result":1,"errcode":"000","message":"device not found","ts":1609459200})", kNow);
  auto acked = events_of<ReportAcked>(out);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_FALSE(acked[0].success);
  EXPECT_EQ(acked[0].result.errcode, "000");
  EXPECT_EQ(acked[0].result.message, "device not found");
}

TEST(GatewayRoleReport, FlatResponses_NonJsonAndStringResultAcksAreFailures) {
  GatewayRole role(options());
  auto a = role.report_attributes(J(R"({"gateway_data":{"a":1}})"), kNow);
  auto b = role.report_event(J(R"({"gateway_data":{"method":"m"}})"), kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  auto out1 = role.receive("gateway/attributes/response/gw-dn-1/" + a->message_id, "ok", kNow);
  auto acked1 = events_of<ReportAcked>(out1);
  ASSERT_EQ(acked1.size(), 1u);
  EXPECT_FALSE(acked1[0].success);
  EXPECT_FALSE(acked1[0].problem.empty());
  auto out2 = role.receive("gateway/event/response/gw-dn-1/" + b->message_id, R"({"result":"0","ts":1})", kNow);
  auto acked2 = events_of<ReportAcked>(out2);
  ASSERT_EQ(acked2.size(), 1u);
  EXPECT_FALSE(acked2[0].success);
  EXPECT_NE(acked2[0].problem.find("string"), std::string::npos);
}

TEST(GatewayRoleReport, AckTopics_SecondAckFromOtherFamilyIsDuplicateNotSecondResolution) {
  GatewayRole role(options());
  auto rep = role.report_event(J(R"({"gateway_data":{"method":"m"}})"), kNow);
  ASSERT_TRUE(rep.ok());
  const std::string ok = R"({"result":0,"message":"success","ts":1})";
  EXPECT_EQ(events_of<ReportAcked>(role.receive("gateway/event/response/gw-dn-1/" + rep->message_id, ok, kNow)).size(), 1u);
  auto again = role.receive("devices/event/response/gw-dn-1/" + rep->message_id, ok, kNow);
  EXPECT_TRUE(events_of<ReportAcked>(again).empty());
  ASSERT_EQ(events_of<Warning>(again).size(), 1u);
  EXPECT_NE(events_of<Warning>(again)[0].message.find("duplicate"), std::string::npos);
}

TEST(GatewayRoleReport, TimeoutThenLateAck) {
  GatewayRole role(options());  // ack timeout 5000 ms
  auto a = role.report_attributes(J(R"({"gateway_data":{"a":1}})"), kNow);
  auto e = role.report_event(J(R"({"gateway_data":{"method":"m"}})"), kNow + 1000);
  ASSERT_TRUE(a.ok() && e.ok());
  ASSERT_EQ(role.next_deadline(), std::optional<std::int64_t>(kNow + 5000));
  EXPECT_TRUE(role.tick(kNow + 4999).events.empty());
  auto first = events_of<ReportTimedOut>(role.tick(kNow + 5000));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].token, *a->token);
  EXPECT_EQ(first[0].kind, RequestKind::AttributeReport);
  EXPECT_EQ(first[0].message_id, a->message_id);
  EXPECT_EQ(role.next_deadline(), std::optional<std::int64_t>(kNow + 6000));
  auto second = events_of<ReportTimedOut>(role.tick(kNow + 9000));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind, RequestKind::EventReport);
  EXPECT_FALSE(role.next_deadline().has_value());
  auto late = role.receive("gateway/attributes/response/gw-dn-1/" + a->message_id,
                           R"({"result":0,"message":"success","ts":1})", kNow + 9001);
  EXPECT_TRUE(events_of<ReportAcked>(late).empty());
  ASSERT_EQ(events_of<Warning>(late).size(), 1u);
  EXPECT_NE(events_of<Warning>(late)[0].message.find("late"), std::string::npos);
}

TEST(GatewayRoleReport, SubGatewayDepth_WarnPastFiveRefusePastMaxDepth) {
  GatewayRole role(options(/*max_depth=*/7));
  auto deep = [](int levels) {
    Target t;
    for (int i = 0; i < levels; ++i) t.sub_gateways.push_back("g" + std::to_string(i));
    return wrap(t, J(R"({"method":"m"})"));
  };
  auto five = role.report_event(deep(5), kNow);
  ASSERT_TRUE(five.ok());
  EXPECT_TRUE(five->warnings.empty());
  auto six = role.report_event(deep(6), kNow);
  ASSERT_TRUE(six.ok());
  ASSERT_EQ(six->warnings.size(), 1u);
  EXPECT_NE(six->warnings[0].find("5"), std::string::npos);
  auto eight = role.report_event(deep(8), kNow);
  ASSERT_FALSE(eight.ok());
  EXPECT_NE(eight.error().message.find("exceeds the limit of 7"), std::string::npos);
}

}  // namespace
}  // namespace tpgate::gateway

namespace tpgate::gateway {
namespace {

// A report from before a restart: a new role (a new process) waits for its ack.
TEST(GatewayRoleReport, ResumedReportIsResolvedByItsAckOrTimesOut) {
  GatewayRole before(options());
  auto sent = before.report_event(J(R"({"gateway_data":{"method":"m"}})"), kNow);
  ASSERT_TRUE(sent.ok());
  GatewayRole after(options());
  auto resumed = after.resume_report(true, sent->message_id, kNow + 100);
  ASSERT_TRUE(resumed.ok());
  EXPECT_TRUE(resumed->publication.topic.empty());
  EXPECT_EQ(after.pending_reports(), 1u);
  auto out = after.receive("gateway/event/response/gw-dn-1/" + sent->message_id,
                           R"({"result":0,"message":"success","ts":1})", kNow + 200);
  auto acked = events_of<ReportAcked>(out);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].token, *resumed->token);
  EXPECT_TRUE(acked[0].success);

  auto other = after.resume_report(false, "1234567", kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(after.resume_report(false, "1234567", kNow).ok());  // the same one twice
  EXPECT_FALSE(after.resume_report(false, "", kNow).ok());
  auto timed_out = events_of<ReportTimedOut>(after.tick(kNow + 5000));
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(timed_out[0].message_id, "1234567");
}

}  // namespace
}  // namespace tpgate::gateway
