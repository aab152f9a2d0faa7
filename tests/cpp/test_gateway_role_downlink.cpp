// GatewayRole downlinks: scripted conversations, downlink JSON in, exact publications and
// events out, for every exchange of the spec at each target level.
#include <gtest/gtest.h>

#include "gateway_seed_examples.hpp"
#include "test_gateway_role_util.hpp"

namespace tpgate::gateway {
namespace {

using namespace role_test;

TEST(GatewayRoleDownlink, SubscriptionsOnePerFilterBothAckFamilies) {
  GatewayRole role(options());
  auto subs = role.subscriptions();
  ASSERT_TRUE(subs.ok());
  // docs/thingspanel.md#one-filter-per-subscribe: each entry is one filter (its own
  // SUBSCRIBE); docs/thingspanel.md#ack-topics: both families.
  const std::vector<std::string> expected = {
      "gateway/telemetry/control/gw-dn-1",       "gateway/attributes/set/gw-dn-1/+",
      "gateway/attributes/get/gw-dn-1",          "gateway/command/gw-dn-1/+",
      "gateway/attributes/response/gw-dn-1/+",   "gateway/event/response/gw-dn-1/+",
      "devices/attributes/response/gw-dn-1/+",   "devices/event/response/gw-dn-1/+",
  };
  EXPECT_EQ(*subs, expected);
}

TEST(GatewayRoleDownlink, SubscriptionsFailForBadDeviceNumber) {
  auto o = options();
  o.device_number = "a/b";
  GatewayRole role(o);
  EXPECT_FALSE(role.subscriptions().ok());
}

class AtEachLevel : public ::testing::TestWithParam<Level> {};

TEST_P(AtEachLevel, CommandSuccessResponseCarriesMethodAndSameMessageId) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto out = role.receive("gateway/command/gw-dn-1/1234567",
                          wrap_text(level, R"({"method":"Restart","params":{"delay":5}})"), kNow);
  ASSERT_TRUE(out.publications.empty());
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, DownlinkKind::Command);
  EXPECT_EQ(reqs[0].message_id, "1234567");
  EXPECT_EQ(reqs[0].target, level.target);
  EXPECT_EQ(reqs[0].body, J(R"({"method":"Restart","params":{"delay":5}})"));

  auto answer = role.respond(reqs[0].id, RequestOutcome::success(), kNow + 1500);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(answer->publications[0].topic, "gateway/command/response/1234567");
  // docs/thingspanel.md#flat-responses: flat, numeric result, ts in seconds, method of the command.
  EXPECT_EQ(payload_json(answer->publications[0]),
            J(R"({"result":0,"message":"success","ts":1609459201,"method":"Restart"})"));
  EXPECT_EQ(role.open_requests(), 0u);
}

TEST_P(AtEachLevel, CommandFailureNamesTargetAndErrcode) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto out = role.receive("gateway/command/gw-dn-1/77", wrap_text(level, R"({"method":"Calibrate"})"), kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, J(R"({"method":"Calibrate","params":{}})"));
  auto answer = role.respond(reqs[0].id, RequestOutcome::failure("BUSY", "device busy"), kNow);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(answer->publications[0].topic, "gateway/command/response/77");
  json expected = {{"result", 1},
                   {"errcode", "BUSY"},
                   {"message", level.target.to_string() + ": device busy"},
                   {"ts", 1609459200},
                   {"method", "Calibrate"}};
  EXPECT_EQ(payload_json(answer->publications[0]), expected);
}

TEST_P(AtEachLevel, AttributeSetRespondsOnSetResponseTopicWithoutMethod) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto out = role.receive("gateway/attributes/set/gw-dn-1/555",
                          wrap_text(level, R"({"ip":"192.168.1.100","heartbeat":30})"), kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, DownlinkKind::AttributeSet);
  EXPECT_EQ(reqs[0].message_id, "555");
  EXPECT_EQ(reqs[0].target, level.target);
  EXPECT_EQ(reqs[0].body, J(R"({"ip":"192.168.1.100","heartbeat":30})"));
  auto answer = role.respond(reqs[0].id, RequestOutcome::success(), kNow);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(answer->publications[0].topic, "gateway/attributes/set/response/555");
  EXPECT_EQ(payload_json(answer->publications[0]), J(R"({"result":0,"message":"success","ts":1609459200})"));
}

TEST_P(AtEachLevel, ControlIsRoutedAndNeverAnswered) {
  const Level& level = GetParam();
  GatewayRole role(options());
  auto out = role.receive("gateway/telemetry/control/gw-dn-1", wrap_text(level, R"({"switch":false})"), kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, DownlinkKind::Control);
  EXPECT_EQ(reqs[0].message_id, "");
  EXPECT_EQ(reqs[0].target, level.target);
  EXPECT_EQ(reqs[0].body, J(R"({"switch":false})"));
  auto answer = role.respond(reqs[0].id, RequestOutcome::success(), kNow);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->publications.empty());  // control has no response topic
  EXPECT_EQ(role.open_requests(), 0u);
}

TEST_P(AtEachLevel, AttributeGetSpecShapeAnsweredByAttributeReport) {
  const Level& level = GetParam();
  auto o = options();
  o.message_id = [](std::int64_t) { return std::string("9000001"); };
  GatewayRole role(o);
  auto out = role.receive("gateway/attributes/get/gw-dn-1", wrap_text(level, R"(["ip","version"])"), kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, DownlinkKind::AttributeGet);
  EXPECT_EQ(reqs[0].target, level.target);
  EXPECT_EQ(reqs[0].body, J(R"({"keys":["ip","version"]})"));
  // The host gives more than was asked; only the asked keys go back.
  auto answer = role.respond(reqs[0].id, RequestOutcome::success(J(R"({"ip":"10.0.0.2","version":"1.2","mac":"x"})")),
                             kNow);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(answer->publications[0].topic, "gateway/attributes/9000001");
  EXPECT_EQ(payload_json(answer->publications[0]),
            J(wrap_text(level, R"({"ip":"10.0.0.2","version":"1.2"})")));
  auto sent = events_of<ReportSent>(*answer);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message_id, "9000001");
  // That report waits for its ack like any other.
  EXPECT_EQ(role.pending_reports(), 1u);
  auto ack = role.receive("devices/attributes/response/gw-dn-1/9000001", R"({"result":0,"message":"success","ts":1})",
                          kNow + 20);
  auto acked = events_of<ReportAcked>(ack);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].token, sent[0].token);
  EXPECT_TRUE(acked[0].success);
}

INSTANTIATE_TEST_SUITE_P(Levels, AtEachLevel, ::testing::ValuesIn(levels()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GatewayRoleDownlink, AttributeGetShape_BackendKeysShapeAimsAtGatewayItself) {
  auto o = options();
  o.message_id = [](std::int64_t) { return std::string("42"); };
  GatewayRole role(o);
  auto out = role.receive("gateway/attributes/get/gw-dn-1", R"({"keys":[]})", kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, Target{});
  EXPECT_EQ(reqs[0].body, J(R"({"keys":[]})"));  // empty = every attribute
  auto answer = role.respond(reqs[0].id, RequestOutcome::success(J(R"({"ip":"1.2.3.4","mac":"aa"})")), kNow);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(answer->publications[0].topic, "gateway/attributes/42");
  EXPECT_EQ(payload_json(answer->publications[0]), J(R"({"gateway_data":{"ip":"1.2.3.4","mac":"aa"}})"));
}

TEST(GatewayRoleDownlink, OneTargetPerDownlink_SeedCommandTwoTargetsOneResponseAfterBoth) {
  GatewayRole role(options());
  auto out = role.receive("gateway/command/gw-dn-1/100", seed::kCommand, kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, Target{});
  EXPECT_EQ(reqs[0].body, J(R"({"method":"Restart","params":{"delay":5,"mode":"safe"}})"));
  EXPECT_EQ(reqs[1].target, (Target{{}, "sensor_001"}));
  EXPECT_EQ(reqs[1].body, J(R"({"method":"Calibrate","params":{"sensor":"temperature","offset":0.5}})"));
  auto first = role.respond(reqs[1].id, RequestOutcome::success(), kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->publications.empty());  // still waiting for the gateway's answer
  auto second = role.respond(reqs[0].id, RequestOutcome::success(), kNow);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->publications.size(), 1u);
  // The method of the message's first target.
  EXPECT_EQ(payload_json(second->publications[0]),
            J(R"({"result":0,"message":"success","ts":1609459200,"method":"Restart"})"));
}

TEST(GatewayRoleDownlink, OneTargetPerDownlink_OneFailedTargetFailsTheMessageNamingIt) {
  GatewayRole role(options());
  auto out = role.receive("gateway/attributes/set/gw-dn-1/101", seed::kAttributeSet, kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 2u);
  ASSERT_TRUE(role.respond(reqs[0].id, RequestOutcome::success(), kNow).ok());
  auto last = role.respond(reqs[1].id, RequestOutcome::failure("INVALID_PARAM", "sampling_rate too high"), kNow);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->publications.size(), 1u);
  EXPECT_EQ(last->publications[0].topic, "gateway/attributes/set/response/101");
  EXPECT_EQ(payload_json(last->publications[0]),
            J(R"({"result":1,"errcode":"INVALID_PARAM","message":"sensor_001: sampling_rate too high","ts":1609459200})"));
}

TEST(GatewayRoleDownlink, OneTargetPerDownlink_SeedControlAndGetRouteEveryTarget) {
  GatewayRole role(options());
  auto control = events_of<Request>(role.receive("gateway/telemetry/control/gw-dn-1", seed::kControl, kNow));
  ASSERT_EQ(control.size(), 2u);
  EXPECT_EQ(control[1].body, J(R"({"temperature":26.0,"switch":false})"));
  auto get = events_of<Request>(role.receive("gateway/attributes/get/gw-dn-1", seed::kAttributeGet, kNow));
  ASSERT_EQ(get.size(), 2u);
  EXPECT_EQ(get[0].body, J(R"({"keys":["ip","version"]})"));
  EXPECT_EQ(get[1].target, (Target{{}, "sensor_001"}));
  EXPECT_EQ(get[1].body, J(R"({"keys":["temperature","humidity"]})"));
}

TEST(GatewayRoleDownlink, AttributeGetTwoTargetsOneReportFailedTargetLeftOut) {
  auto o = options();
  o.message_id = [](std::int64_t) { return std::string("7"); };
  GatewayRole role(o);
  auto get = events_of<Request>(role.receive("gateway/attributes/get/gw-dn-1", seed::kAttributeGet, kNow));
  ASSERT_EQ(get.size(), 2u);
  ASSERT_TRUE(role.respond(get[1].id, RequestOutcome::failure("OFFLINE", "not reachable"), kNow).ok());
  auto out = role.respond(get[0].id, RequestOutcome::success(J(R"({"ip":"a","version":"b"})")), kNow);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->publications.size(), 1u);
  EXPECT_EQ(payload_json(out->publications[0]), J(R"({"gateway_data":{"ip":"a","version":"b"}})"));
  auto warnings = events_of<Warning>(*out);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].message.find("sensor_001: not reachable"), std::string::npos);
}

TEST(GatewayRoleDownlink, UnknownTargetAloneGetsFailureAtOnce) {
  GatewayRole role(options());
  role.set_known_targets({Target{{}, "sensor_001"}});
  auto out = role.receive("gateway/command/gw-dn-1/300",
                          R"({"sub_device_data":{"ghost":{"method":"Reboot"}}})", kNow);
  EXPECT_TRUE(events_of<Request>(out).empty());
  ASSERT_EQ(events_of<ErrorEvent>(out).size(), 1u);
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/command/response/300");
  EXPECT_EQ(payload_json(out.publications[0]),
            J(R"({"result":1,"errcode":"DEVICE_NOT_FOUND","message":"ghost: unknown device","ts":1609459200,"method":"Reboot"})"));
}

TEST(GatewayRoleDownlink, UnknownTargetBesideKnownOneFailsTheMessageAfterTheOthers) {
  GatewayRole role(options());
  role.set_known_targets({Target{{}, "sensor_001"}});
  auto out = role.receive("gateway/attributes/set/gw-dn-1/301",
                          R"({"sub_device_data":{"sensor_001":{"a":1}},"sub_gateway_data":{"gw_x":{"gateway_data":{"a":2}}}})",
                          kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, (Target{{}, "sensor_001"}));
  EXPECT_TRUE(out.publications.empty());
  auto answer = role.respond(reqs[0].id, RequestOutcome::success(), kNow);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->publications.size(), 1u);
  EXPECT_EQ(payload_json(answer->publications[0]),
            J(R"({"result":1,"errcode":"DEVICE_NOT_FOUND","message":"gw_x: unknown device","ts":1609459200})"));
}

TEST(GatewayRoleDownlink, GatewayItselfAlwaysKnown) {
  GatewayRole role(options());
  role.set_known_targets({});
  auto out = role.receive("gateway/telemetry/control/gw-dn-1", R"({"gateway_data":{"x":1}})", kNow);
  EXPECT_EQ(events_of<Request>(out).size(), 1u);
  role.clear_known_targets();
  out = role.receive("gateway/telemetry/control/gw-dn-1", R"({"sub_device_data":{"any":{"x":1}}})", kNow);
  EXPECT_EQ(events_of<Request>(out).size(), 1u);
}

TEST(GatewayRoleDownlink, SubGatewayDepth_DeepDownlinkWarnsPastFiveLevels) {
  GatewayRole role(options());
  std::string text = R"({"gateway_data":{"x":1}})";
  for (int i = 0; i < 6; ++i) text = R"({"sub_gateway_data":{"g":)" + text + "}}";
  auto out = role.receive("gateway/telemetry/control/gw-dn-1", text, kNow);
  auto reqs = events_of<Request>(out);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target.sub_gateways.size(), 6u);
  EXPECT_EQ(events_of<Warning>(out).size(), 1u);
}

}  // namespace
}  // namespace tpgate::gateway
