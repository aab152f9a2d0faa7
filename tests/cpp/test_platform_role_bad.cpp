// Platform role, bad input (docs/thingspanel.md#platform-behaviour): each message gives one
// precise error event, the role keeps working, and a bad attribute or event
// report still gets the backend's failure ack (errcode "000", docs/thingspanel.md#flat-responses).
#include <gtest/gtest.h>

#include "events_of.hpp"

#include <functional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "gateway/envelope.hpp"
#include "gateway/platform_role.hpp"

namespace tpgate::gateway::platform {
namespace {

using test::events_of;

struct BadUplink {
  const char* why;
  const char* topic;
  std::string payload;
  const char* expected;     // a piece of the error message (the JSON path, the rule)
  const char* failure_ack;  // the ack topic expected, or nullptr when none is possible
};

std::ostream& operator<<(std::ostream& os, const BadUplink& c) { return os << c.why; }

class PlatformRoleBadUplink : public ::testing::TestWithParam<BadUplink> {};

TEST_P(PlatformRoleBadUplink, GivesOnePreciseErrorAndTheRoleGoesOn) {
  const BadUplink& c = GetParam();
  PlatformRole role;
  Outputs out = role.receive(c.topic, c.payload, 1'000, "gw-1");
  auto errors = events_of<ProtocolError>(out);
  ASSERT_EQ(errors.size(), 1u) << c.why;
  EXPECT_NE(errors[0].error.message.find(c.expected), std::string::npos) << errors[0].error.message;
  EXPECT_TRUE(events_of<TelemetryReceived>(out).empty());
  EXPECT_TRUE(events_of<AttributesReceived>(out).empty());
  EXPECT_TRUE(events_of<EventReceived>(out).empty());
  if (c.failure_ack != nullptr) {
    ASSERT_EQ(out.publications.size(), 1u);
    EXPECT_EQ(out.publications[0].topic, c.failure_ack);
    const json ack = json::parse(out.publications[0].payload);
    EXPECT_EQ(ack["result"], 1);
    EXPECT_EQ(ack["errcode"], "000");
    EXPECT_FALSE(ack.contains("method"));
  } else {
    EXPECT_TRUE(out.publications.empty());
  }
  // Still working: a good message right after is handled.
  Outputs good = role.receive("gateway/telemetry", R"({"gateway_data":{"t":1}})", 1'001, "gw-1");
  EXPECT_TRUE(events_of<ProtocolError>(good).empty());
  EXPECT_EQ(events_of<TelemetryReceived>(good).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PlatformRoleBadUplink,
    ::testing::Values(
        BadUplink{"telemetry not JSON", "gateway/telemetry", "temperature=25", "(root)", nullptr},
        BadUplink{"telemetry is a string", "gateway/telemetry", R"("hello")", "(root)", nullptr},
        BadUplink{"gateway_data is a number", "gateway/telemetry", R"({"gateway_data":5})", "gateway_data", nullptr},
        BadUplink{"sub_device_data is an array", "gateway/telemetry", R"({"sub_device_data":[{"t":1}]})",
                  "sub_device_data", nullptr},
        BadUplink{"telemetry value is an object deep inside a sub-gateway", "gateway/telemetry",
                  R"({"sub_gateway_data":{"g1":{"sub_device_data":{"s1":{"t":{"x":1}}}}}})",
                  "sub_gateway_data.g1.sub_device_data.s1", nullptr},
        BadUplink{"historical record ts is a string", "gateway/telemetry",
                  R"({"gateway_data":[{"ts":"now","values":{"t":1}}]})", "gateway_data[0].ts", nullptr},
        BadUplink{"attribute report not JSON", "gateway/attributes/77", "{", "(root)",
                  "gateway/attributes/response/gw-1/77"},
        BadUplink{"event without method", "gateway/event/78", R"({"gateway_data":{"params":{}}})",
                  "gateway_data", "gateway/event/response/gw-1/78"},
        BadUplink{"real-time event with ts", "gateway/event/79", R"({"gateway_data":{"method":"M","ts":1}})",
                  "gateway_data.ts", "gateway/event/response/gw-1/79"},
        BadUplink{"event params is an array", "gateway/event/80",
                  R"({"sub_device_data":{"s1":{"method":"M","params":[1]}}})", "sub_device_data.s1",
                  "gateway/event/response/gw-1/80"},
        BadUplink{"envelope values not base64", "gateway/telemetry", R"({"device_id":"u-1","values":"%%%"})",
                  "values", nullptr},
        BadUplink{"envelope carries non-JSON", "gateway/telemetry", wrap_envelope("u-1", "not json"), "(root)",
                  nullptr},
        BadUplink{"unknown topic", "gateway/unknown", "{}", "unknown topic", nullptr},
        BadUplink{"downlink topic on the uplink side", "gateway/telemetry/control/gw-1", "{}", "unknown topic",
                  nullptr},
        BadUplink{"empty message_id", "gateway/attributes/", "{}", "message_id", nullptr},
        BadUplink{"message_id with '/'", "gateway/event/12/34", "{}", "contains '/'", nullptr},
        BadUplink{"response to nothing", "gateway/command/response/0000009", R"({"result":0})", "0000009",
                  nullptr},
        BadUplink{"status payload not 1/0", "devices/status/dev-1", "online", "\"1\" or \"0\"", nullptr},
        BadUplink{"nesting too deep", "gateway/telemetry", std::string(200, '[') + std::string(200, ']'),
                  "(root)", nullptr}));

TEST(PlatformRoleBad, OversizePayloadIsRefused) {
  Options o;
  o.limits.max_payload_bytes = 64;
  PlatformRole role(o);
  Outputs out =
      role.receive("gateway/telemetry", R"({"gateway_data":{"t":")" + std::string(100, 'x') + R"("}})", 0, "gw-1");
  auto errors = events_of<ProtocolError>(out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error.reason, mqtt::ReasonCode::PacketTooLarge);
}

// docs/thingspanel.md#sub-gateway-depth: past 5 sub-gateway levels the data is accepted with a warning.
TEST(PlatformRoleBad, SubGatewayDepthPastFiveWarns) {
  std::string payload = R"({"gateway_data":{"t":1}})";
  for (int i = 6; i >= 1; --i) payload = R"({"sub_gateway_data":{"g)" + std::to_string(i) + R"(":)" + payload + "}}";
  PlatformRole role;
  Outputs out = role.receive("gateway/telemetry", payload, 0, "gw-1");
  ASSERT_EQ(events_of<TelemetryReceived>(out).size(), 1u);
  EXPECT_EQ(events_of<TelemetryReceived>(out)[0].target.sub_gateways.size(), 6u);
  EXPECT_FALSE(events_of<Warning>(out).empty());
}

struct BadRequest {
  const char* why;
  std::function<mqtt::Status(PlatformRole&)> call;
};
std::ostream& operator<<(std::ostream& os, const BadRequest& c) { return os << c.why; }

class PlatformRoleBadRequest : public ::testing::TestWithParam<BadRequest> {};

TEST_P(PlatformRoleBadRequest, IsRefusedAndNothingIsPending) {
  PlatformRole role;
  mqtt::Status st = GetParam().call(role);
  EXPECT_FALSE(st.ok()) << GetParam().why;
  if (!st.ok()) {
    EXPECT_FALSE(st.error().message.empty());
  }
  EXPECT_EQ(role.pending_count(), 0u);
  EXPECT_FALSE(role.next_deadline().has_value());
}

mqtt::Status status_of(const mqtt::Result<Sent>& r) {
  if (r.ok()) return mqtt::ok_status();
  return r.error();
}

INSTANTIATE_TEST_SUITE_P(
    Table, PlatformRoleBadRequest,
    ::testing::Values(
        BadRequest{"command with empty method",
                   [](PlatformRole& r) { return status_of(r.send_command("gw-1", Target{}, "", json::object(), 0)); }},
        BadRequest{"command params not an object",
                   [](PlatformRole& r) { return status_of(r.send_command("gw-1", Target{}, "M", json::array(), 0)); }},
        BadRequest{"dn with '/'",
                   [](PlatformRole& r) { return status_of(r.send_command("a/b", Target{}, "M", json::object(), 0)); }},
        BadRequest{"empty dn",
                   [](PlatformRole& r) { return status_of(r.send_attribute_set("", Target{}, json{{"a", 1}}, 0)); }},
        BadRequest{"attribute set values not an object",
                   [](PlatformRole& r) { return status_of(r.send_attribute_set("gw", Target{}, json(5), 0)); }},
        BadRequest{"empty sub-device address",
                   [](PlatformRole& r) {
                     return status_of(r.send_attribute_set("gw", Target{{}, std::string()}, json{{"a", 1}}, 0));
                   }},
        BadRequest{"attribute get with an empty key",
                   [](PlatformRole& r) {
                     return status_of(r.send_attribute_get("gw", Target{}, {""}, AttributeGetShape::Spec, 0));
                   }},
        BadRequest{"control values not an object",
                   [](PlatformRole& r) { return status_of(r.send_control("gw", Target{}, json("on"), 0)); }},
        BadRequest{"control to a dn with '#'", [](PlatformRole& r) {
                     return status_of(r.send_control("gw#", Target{}, json{{"a", 1}}, 0));
                   }}));

// docs/thingspanel.md#message-id: a custom generator's bad id is refused before anything is sent.
TEST(PlatformRoleBad, CustomMessageIdWithPlusIsRefused) {
  Options o;
  o.message_id = [](std::int64_t) { return std::string("a+b"); };
  PlatformRole role(o);
  auto sent = role.send_command("gw", Target{}, "M", json::object(), 0);
  ASSERT_FALSE(sent.ok());
  EXPECT_NE(sent.error().message.find('+'), std::string::npos) << sent.error().message;
  EXPECT_EQ(role.pending_count(), 0u);
}

}  // namespace
}  // namespace tpgate::gateway::platform

namespace tpgate::gateway::platform {
namespace {

// An error says what it is about in fields: a received payload's JSON path, a
// caller's argument; the reason code only stands in for hosts that know no more.
TEST(PlatformRoleErrors, NameThePathAndKindAsFields) {
  PlatformRole role;
  auto out = role.receive("gateway/telemetry", R"({"sub_device_data":{"s":{"t":[1]}}})", 5, "gw");
  auto errors = events_of<ProtocolError>(out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error.kind, mqtt::ErrorKind::Payload);
  EXPECT_EQ(errors[0].error.path, "sub_device_data.s.t");
  EXPECT_EQ(errors[0].error.message.rfind("gateway/telemetry: sub_device_data.s.t: ", 0), 0u) << errors[0].error.message;

  out = role.receive("gateway/nowhere", "{}", 5, "gw");
  errors = events_of<ProtocolError>(out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error.kind, mqtt::ErrorKind::Mqtt);
  EXPECT_EQ(errors[0].error.message.rfind("gateway/nowhere: ", 0), 0u) << errors[0].error.message;

  auto sent = role.send_command("gw", Target{{""}, std::nullopt}, "Ping", json::object(), 5);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, mqtt::ErrorKind::Argument);
  EXPECT_EQ(sent.error().path, "target");
  auto get = role.send_attribute_get("gw", Target{{}, "s"}, {"k"}, AttributeGetShape::Keys, 5);
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().kind, mqtt::ErrorKind::Argument);
  EXPECT_EQ(get.error().path, "target");
}

}  // namespace
}  // namespace tpgate::gateway::platform
