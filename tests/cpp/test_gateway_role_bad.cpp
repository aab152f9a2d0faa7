// GatewayRole with bad inputs: each becomes an ErrorEvent naming the JSON path, the platform
// gets a failure response wherever a response topic exists, and the role keeps working.
#include <gtest/gtest.h>

#include "test_gateway_role_util.hpp"

namespace tpgate::gateway {
namespace {

using namespace role_test;

struct BadDownlink {
  const char* name;
  std::string topic;
  std::string payload;
  const char* error_has;       // substring of the ErrorEvent message (the JSON path or the reason)
  const char* response_topic;  // "" when no response may be sent
};

std::vector<BadDownlink> bad_downlinks() {
  std::string deep_params = std::string(200, '[') + std::string(200, ']');
  return {
      {"CommandNotJson", "gateway/command/gw-dn-1/1", "Restart now", "(root): not valid JSON",
       "gateway/command/response/1"},
      {"CommandArray", "gateway/command/gw-dn-1/2", "[]", "(root): expected a JSON object", "gateway/command/response/2"},
      {"CommandBodyString", "gateway/command/gw-dn-1/3", R"({"gateway_data":"Restart"})", "gateway_data",
       "gateway/command/response/3"},
      {"CommandMissingMethod", "gateway/command/gw-dn-1/4", R"({"gateway_data":{"params":{}}})",
       "gateway_data: missing \"method\"", "gateway/command/response/4"},
      {"CommandMethodNumber", "gateway/command/gw-dn-1/5", R"({"sub_device_data":{"s1":{"method":5}}})",
       "sub_device_data.s1.method", "gateway/command/response/5"},
      {"CommandParamsArray", "gateway/command/gw-dn-1/6", R"({"gateway_data":{"method":"m","params":[1]}})",
       "gateway_data.params", "gateway/command/response/6"},
      {"CommandOnlyUnknownMember", "gateway/command/gw-dn-1/7", R"({"device_data":{"method":"m"}})",
       "no gateway_data, sub_device_data or sub_gateway_data", "gateway/command/response/7"},
      {"CommandJsonTooNested", "gateway/command/gw-dn-1/8", R"({"gateway_data":{"method":"m","params":{"a":)" + deep_params + "}}}",
       "JSON nesting deeper than", "gateway/command/response/8"},
      {"CommandTooDeep", "gateway/command/gw-dn-1/9",
       R"({"sub_gateway_data":{"a":{"sub_gateway_data":{"b":{"sub_gateway_data":{"c":{"gateway_data":{"method":"m"}}}}}}}})",
       "sub_gateway_data.a.sub_gateway_data.b.sub_gateway_data.c: sub-gateway nesting of 3 levels exceeds the limit of 2",
       "gateway/command/response/9"},
      {"SetSubDevicesNotObject", "gateway/attributes/set/gw-dn-1/10", R"({"sub_device_data":["s1"]})",
       "sub_device_data: expected an object", "gateway/attributes/set/response/10"},
      {"SetEmptyAddress", "gateway/attributes/set/gw-dn-1/11", R"({"sub_device_data":{"":{"a":1}}})",
       "empty sub_device_address", "gateway/attributes/set/response/11"},
      {"SetEmptyObject", "gateway/attributes/set/gw-dn-1/12", "{}", "(root)", "gateway/attributes/set/response/12"},
      {"ControlNestedValue", "gateway/telemetry/control/gw-dn-1", R"({"gateway_data":{"x":{"y":1}}})", "gateway_data.x",
       ""},
      {"ControlNotJson", "gateway/telemetry/control/gw-dn-1", "\xff\xfe", "not valid JSON", ""},
      {"GetKeysNotArray", "gateway/attributes/get/gw-dn-1", R"({"keys":"ip"})", "keys", ""},
      {"GetKeysWithOtherMembers", "gateway/attributes/get/gw-dn-1", R"({"keys":[],"gateway_data":["ip"]})",
       "\"keys\" cannot be combined", ""},
      {"GetKeyNotString", "gateway/attributes/get/gw-dn-1", R"({"sub_device_data":{"s1":["ip",3]}})",
       "sub_device_data.s1", ""},
      {"OtherGatewaysDeviceNumber", "gateway/command/someone-else/13", R"({"gateway_data":{"method":"m"}})",
       "someone-else", ""},
      {"UnknownTopic", "gateway/reboot/gw-dn-1", "{}", "unknown topic", ""},
      {"EmptyMessageId", "gateway/command/gw-dn-1/", R"({"gateway_data":{"method":"m"}})", "message_id", ""},
      {"MessageIdWithSlash", "gateway/attributes/set/gw-dn-1/1/2", R"({"gateway_data":{"a":1}})",
       "message_id contains '/'", ""},
      {"UplinkTopicReceived", "gateway/telemetry", R"({"gateway_data":{"a":1}})", "not a gateway downlink", ""},
  };
}

class BadDownlinkTest : public ::testing::TestWithParam<BadDownlink> {};

TEST_P(BadDownlinkTest, ErrorEventFailureResponseAndStillWorking) {
  const BadDownlink& bad = GetParam();
  GatewayRole role(options(/*max_depth=*/2));
  GatewayOutput out = role.receive(bad.topic, bad.payload, kNow);
  EXPECT_TRUE(events_of<Request>(out).empty());
  auto errors = events_of<ErrorEvent>(out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].error.message.find(bad.error_has), std::string::npos) << errors[0].error.message;
  EXPECT_EQ(errors[0].topic, bad.topic);
  if (std::string(bad.response_topic).empty()) {
    EXPECT_TRUE(out.publications.empty());
  } else {
    ASSERT_EQ(out.publications.size(), 1u);
    EXPECT_EQ(out.publications[0].topic, bad.response_topic);
    json expected = {{"result", 1}, {"errcode", "INVALID_PARAM"}, {"message", errors[0].error.message}, {"ts", 1609459200}};
    EXPECT_EQ(payload_json(out.publications[0]), expected);
  }
  EXPECT_EQ(role.open_requests(), 0u);
  // The role keeps working: a good command right after is routed as usual.
  auto next = role.receive("gateway/command/gw-dn-1/99", R"({"gateway_data":{"method":"Ping"}})", kNow);
  EXPECT_EQ(events_of<Request>(next).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Table, BadDownlinkTest, ::testing::ValuesIn(bad_downlinks()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GatewayRoleBad, OversizeCommandGetsFailureResponse) {
  auto o = options();
  o.limits.max_payload_bytes = 64;
  GatewayRole role(o);
  std::string big = R"({"gateway_data":{"method":"m","params":{"blob":")" + std::string(100, 'x') + "\"}}}";
  auto out = role.receive("gateway/command/gw-dn-1/5", big, kNow);
  auto errors = events_of<ErrorEvent>(out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error.reason, mqtt::ReasonCode::PacketTooLarge);
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/command/response/5");
  EXPECT_EQ(payload_json(out.publications[0])["result"], 1);
}

TEST(GatewayRoleBad, DuplicateOpenMessageIdRefusedWithoutSecondResponse) {
  GatewayRole role(options());
  auto first = events_of<Request>(role.receive("gateway/command/gw-dn-1/5", R"({"gateway_data":{"method":"a"}})", kNow));
  ASSERT_EQ(first.size(), 1u);
  auto dup = role.receive("gateway/command/gw-dn-1/5", R"({"gateway_data":{"method":"b"}})", kNow);
  EXPECT_TRUE(events_of<Request>(dup).empty());
  EXPECT_TRUE(dup.publications.empty());
  ASSERT_EQ(events_of<ErrorEvent>(dup).size(), 1u);
  EXPECT_EQ(events_of<ErrorEvent>(dup)[0].error.reason, mqtt::ReasonCode::PacketIdentifierInUse);
  // The same message_id on the other request kind is independent.
  EXPECT_EQ(events_of<Request>(role.receive("gateway/attributes/set/gw-dn-1/5", R"({"gateway_data":{"a":1}})", kNow)).size(), 1u);
}

TEST(GatewayRoleBad, RespondUnknownOrTwiceFails) {
  GatewayRole role(options());
  EXPECT_FALSE(role.respond(12345, RequestOutcome::success(), kNow).ok());
  auto reqs = events_of<Request>(role.receive("gateway/command/gw-dn-1/5", R"({"gateway_data":{"method":"a"}})", kNow));
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_TRUE(role.respond(reqs[0].id, RequestOutcome::success(), kNow).ok());
  auto twice = role.respond(reqs[0].id, RequestOutcome::success(), kNow);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("not open"), std::string::npos);
}

TEST(GatewayRoleBad, GetValuesNotObjectRefusedRequestStaysOpen) {
  GatewayRole role(options());
  auto reqs = events_of<Request>(role.receive("gateway/attributes/get/gw-dn-1", R"({"keys":["ip"]})", kNow));
  ASSERT_EQ(reqs.size(), 1u);
  auto bad = role.respond(reqs[0].id, RequestOutcome::success(json::array({1})), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("values"), std::string::npos);
  EXPECT_EQ(role.open_requests(), 1u);
  EXPECT_TRUE(role.respond(reqs[0].id, RequestOutcome::success(J(R"({"ip":"x"})")), kNow).ok());
}

TEST(GatewayRoleBad, AckForNoReportIsAWarning) {
  GatewayRole role(options());
  auto out = role.receive("gateway/event/response/gw-dn-1/424242", R"({"result":0,"message":"success","ts":1})", kNow);
  EXPECT_TRUE(events_of<ReportAcked>(out).empty());
  ASSERT_EQ(events_of<Warning>(out).size(), 1u);
  EXPECT_NE(events_of<Warning>(out)[0].message.find("424242"), std::string::npos);
}

TEST(GatewayRoleBad, ReportErrorsNameTheJsonPath) {
  GatewayRole role(options());
  auto t = role.report_telemetry(J(R"({"sub_device_data":{"s1":{"t":[1,2]}}})"), kNow);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("sub_device_data.s1.t"), std::string::npos) << t.error().message;
  auto e = role.report_event(J(R"({"gateway_data":{"params":{}}})"), kNow);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("gateway_data: missing \"method\""), std::string::npos);
  auto h = role.report_telemetry(J(R"({"gateway_data":[{"values":{"t":1}}]})"), kNow);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("gateway_data[0]"), std::string::npos);
  EXPECT_FALSE(role.report_attributes(J("[1]"), kNow).ok());
  EXPECT_EQ(role.pending_reports(), 0u);  // nothing refused waits for an ack
}

TEST(GatewayRoleBad, MessageId_BadCustomMessageIdRefused) {
  auto o = options();
  o.message_id = [](std::int64_t) { return std::string("a/b"); };
  GatewayRole role(o);
  auto r = role.report_attributes(J(R"({"gateway_data":{"a":1}})"), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("message_id contains '/'"), std::string::npos);
  EXPECT_EQ(role.pending_reports(), 0u);
}

}  // namespace
}  // namespace tpgate::gateway
