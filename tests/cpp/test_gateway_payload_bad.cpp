// Bad gateway payloads: each is refused with an error that names the JSON path where the
// problem is, so a gateway author can find it in the message at once.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "gateway/payload.hpp"

namespace tpgate::gateway {
namespace {

struct BadCase {
  const char* why;
  PayloadKind kind;
  std::string text;
  std::string error;  // the whole message
  mqtt::ReasonCode reason = mqtt::ReasonCode::PayloadFormatInvalid;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.why; }

class BadPayloadTest : public ::testing::TestWithParam<BadCase> {};

PayloadLimits small_limits() {
  PayloadLimits limits;
  limits.max_payload_bytes = 128;
  limits.max_sub_gateway_depth = 2;
  limits.max_json_nesting = 8;
  return limits;
}

TEST_P(BadPayloadTest, IsRefusedWithAPreciseError) {
  const BadCase& c = GetParam();
  const auto parsed = parse_gateway_payload(c.kind, c.text, small_limits());
  ASSERT_FALSE(parsed.ok()) << c.why;
  EXPECT_EQ(parsed.error().message, c.error) << c.why;
  EXPECT_EQ(parsed.error().reason, c.reason) << c.why;
}

using K = PayloadKind;

INSTANTIATE_TEST_SUITE_P(
    Table, BadPayloadTest,
    ::testing::Values(
        BadCase{"not JSON", K::Telemetry, "temperature=25", "(root): not valid JSON"},
        BadCase{"truncated JSON", K::Telemetry, R"({"gateway_data":{)", "(root): not valid JSON"},
        BadCase{"empty payload", K::Telemetry, "", "(root): not valid JSON"},
        BadCase{"array root", K::Telemetry, R"([{"t":1}])", "(root): expected a JSON object"},
        BadCase{"string root", K::Command, R"("Restart")", "(root): expected a JSON object"},
        BadCase{"no target at all", K::Control, R"({})",
                "(root): no gateway_data, sub_device_data or sub_gateway_data"},
        BadCase{"oversize payload", K::Telemetry,
                R"({"gateway_data":{"t":")" + std::string(200, 'x') + R"("}})",
                "(root): payload of 225 bytes exceeds the limit of 128", mqtt::ReasonCode::PacketTooLarge},
        BadCase{"JSON nesting past the limit inside a value", K::Attributes,
                R"({"gateway_data":{"a":[[[[[[[[1]]]]]]]]}})", "(root): JSON nesting deeper than 8"},
        BadCase{"sub-gateways nested past the configured depth", K::Telemetry,
                R"({"sub_gateway_data":{"a":{"sub_gateway_data":{"b":{"sub_gateway_data":{"c":{}}}}}}})",
                "sub_gateway_data.a.sub_gateway_data.b.sub_gateway_data.c: sub-gateway nesting of 3 "
                "levels exceeds the limit of 2"},
        BadCase{"telemetry value is an object", K::Telemetry,
                R"({"sub_gateway_data":{"gateway_001":{"sub_device_data":{"sensor_101":{"temperature":{"v":1}}}}}})",
                "sub_gateway_data.gateway_001.sub_device_data.sensor_101.temperature: expected a number, "
                "string, boolean or null"},
        BadCase{"telemetry body is a string", K::Telemetry, R"({"gateway_data":"25.5"})",
                "gateway_data: expected an object of key/values or an array of {\"ts\",\"values\"}"},
        BadCase{"sub_device_data is an array", K::Telemetry, R"({"sub_device_data":[{"t":1}]})",
                "sub_device_data: expected an object keyed by sub_device_address"},
        BadCase{"sub_gateway_data is an array", K::Telemetry, R"({"sub_gateway_data":[]})",
                "sub_gateway_data: expected an object keyed by sub-gateway address"},
        BadCase{"sub-gateway node is an array", K::Telemetry, R"({"sub_gateway_data":{"gw":[1]}})",
                "sub_gateway_data.gw: expected an object"},
        BadCase{"empty sub_device_address", K::Attributes, R"({"sub_device_data":{"":{"ip":"x"}}})",
                "sub_device_data: empty sub_device_address"},
        BadCase{"historical record without ts", K::Telemetry, R"({"gateway_data":[{"values":{"t":1}}]})",
                "gateway_data[0]: missing \"ts\""},
        BadCase{"historical ts is a string", K::Telemetry,
                R"({"sub_device_data":{"s":[{"ts":1,"values":{}},{"ts":"1609459200","values":{}}]}})",
                "sub_device_data.s[1].ts: expected an integer timestamp (seconds or milliseconds)"},
        BadCase{"historical ts is negative", K::Telemetry, R"({"gateway_data":[{"ts":-5,"values":{}}]})",
                "gateway_data[0].ts: expected a non-negative integer timestamp"},
        BadCase{"historical record without values", K::Telemetry, R"({"gateway_data":[{"ts":1}]})",
                "gateway_data[0]: missing \"values\""},
        BadCase{"historical values is an array", K::Telemetry, R"({"gateway_data":[{"ts":1,"values":[1]}]})",
                "gateway_data[0].values: expected an object of key/values"},
        BadCase{"event without method", K::Event, R"({"sub_device_data":{"s":{"params":{}}}})",
                "sub_device_data.s: missing \"method\""},
        BadCase{"event method is empty", K::Event, R"({"gateway_data":{"method":""}})",
                "gateway_data.method: expected a non-empty string"},
        BadCase{"real-time event carries a ts", K::Event, R"({"gateway_data":{"method":"A","ts":1}})",
                "gateway_data.ts: a real-time event has no ts (historical events are an array)"},
        BadCase{"historical event without method", K::Event, R"({"gateway_data":[{"ts":1609459200000}]})",
                "gateway_data[0]: missing \"method\""},
        BadCase{"event params is an array", K::Event, R"({"gateway_data":{"method":"A","params":[1]}})",
                "gateway_data.params: expected an object"},
        BadCase{"command body is an array", K::Command, R"({"gateway_data":["Restart"]})",
                "gateway_data: expected an object {\"method\",\"params\"}"},
        BadCase{"command method is a number", K::Command,
                R"({"sub_gateway_data":{"g":{"gateway_data":{"method":7}}}})",
                "sub_gateway_data.g.gateway_data.method: expected a non-empty string"},
        BadCase{"control value is an array", K::Control, R"({"gateway_data":{"switch":[true]}})",
                "gateway_data.switch: expected a number, string, boolean or null"},
        BadCase{"control in historical form", K::Control, R"({"gateway_data":[{"ts":1,"values":{}}]})",
                "gateway_data: expected an object of key/values"},
        BadCase{"attribute set body is an array", K::AttributeSet, R"({"sub_device_data":{"s":[1]}})",
                "sub_device_data.s: expected an object of key/values"},
        BadCase{"attribute get key list holds a number", K::AttributeGet,
                R"({"sub_device_data":{"s":["t",5]}})", "sub_device_data.s[1]: expected a non-empty string"},
        BadCase{"attribute get body is an object", K::AttributeGet, R"({"gateway_data":{"ip":1}})",
                "gateway_data: expected an array of attribute keys"},
        BadCase{"backend attribute get keys is a string", K::AttributeGet, R"({"keys":"ip"})",
                "keys: expected an array of attribute keys"},
        BadCase{"backend keys combined with a target", K::AttributeGet,
                R"({"keys":[],"gateway_data":["ip"]})", "(root): \"keys\" cannot be combined with other members"}));

TEST(BadPayload, UnknownMembersAreAcceptedWithAWarning) {
  const auto parsed = parse_gateway_payload(PayloadKind::Telemetry,
                                            R"({"gateway_data":{"t":1},"sub_gateway_data":{"g":{"extra":1}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_EQ(parsed->warnings[0], "sub_gateway_data.g.extra: unknown member ignored");
}

TEST(BadPayload, NestingInsideStringsIsNotCounted) {
  PayloadLimits limits;
  limits.max_json_nesting = 3;
  const auto parsed = parse_gateway_payload(PayloadKind::Attributes,
                                            R"({"gateway_data":{"a":"[[[[[[{{{{\"]]"}})", limits);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
}

}  // namespace
}  // namespace tpgate::gateway
