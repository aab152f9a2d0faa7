// Every JSON example of the seed spec (docs/thingspanel.md#seed-examples) parses into the
// payload tree and is rebuilt to an equal JSON value; format recognition and routing are
// checked on them too.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/payload.hpp"
#include "gateway_seed_examples.hpp"

namespace tpgate::gateway {
namespace {

struct SeedCase {
  const char* why;
  PayloadKind kind;
  std::string_view text;
  std::vector<std::string> targets;  // Target::to_string() of every routed body, in order
  BodyFormat format;                 // of every body in the example
};

void PrintTo(const SeedCase& c, std::ostream* os) { *os << c.why; }

class SeedExampleTest : public ::testing::TestWithParam<SeedCase> {};

TEST_P(SeedExampleTest, ParsesAndRebuildsToAnEqualJsonValue) {
  const SeedCase& c = GetParam();
  const auto parsed = parse_gateway_payload(c.kind, c.text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->warnings.empty());
  const json original = json::parse(c.text.begin(), c.text.end(), nullptr, false);
  ASSERT_FALSE(original.is_discarded());
  EXPECT_EQ(to_json(parsed.value()), original);
  // Rebuilding from the routed bodies alone gives the same message again.
  GatewayNode rebuilt;
  for (const auto& r : route(parsed->root)) put_body(rebuilt, r.target, r.body);
  EXPECT_EQ(rebuilt, parsed->root);
  EXPECT_EQ(to_json(rebuilt), original);
}

TEST_P(SeedExampleTest, RoutesEveryTargetWithItsFormat) {
  const SeedCase& c = GetParam();
  const auto parsed = parse_gateway_payload(c.kind, c.text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  std::vector<std::string> targets;
  for (const auto& r : route(parsed->root)) {
    targets.push_back(r.target.to_string());
    EXPECT_EQ(body_format(r.body), c.format) << r.target.to_string();
  }
  EXPECT_EQ(targets, c.targets);
}

INSTANTIATE_TEST_SUITE_P(
    Seed, SeedExampleTest,
    ::testing::Values(
        SeedCase{"telemetry, single layer gateway", PayloadKind::Telemetry, seed::kTelemetrySingleLayer,
                 {"gateway", "sensor_001", "sensor_002"}, BodyFormat::RealTime},
        SeedCase{"telemetry, multi-level gateway", PayloadKind::Telemetry, seed::kTelemetryMultiLevel,
                 {"gateway", "device_001", "gateway_001", "gateway_001/sensor_101"}, BodyFormat::RealTime},
        SeedCase{"telemetry, historical", PayloadKind::Telemetry, seed::kTelemetryHistorical,
                 {"gateway", "sensor_001"}, BodyFormat::Historical},
        SeedCase{"attribute report", PayloadKind::Attributes, seed::kAttributes,
                 {"gateway", "sensor_001"}, BodyFormat::RealTime},
        SeedCase{"event, real-time", PayloadKind::Event, seed::kEventRealTime,
                 {"gateway", "sensor_001"}, BodyFormat::RealTime},
        SeedCase{"event, historical", PayloadKind::Event, seed::kEventHistorical,
                 {"gateway"}, BodyFormat::Historical},
        SeedCase{"control", PayloadKind::Control, seed::kControl,
                 {"gateway", "sensor_001"}, BodyFormat::RealTime},
        SeedCase{"attribute set", PayloadKind::AttributeSet, seed::kAttributeSet,
                 {"gateway", "sensor_001"}, BodyFormat::RealTime},
        // An attribute get body is a key list, which format recognition reads as an array.
        SeedCase{"attribute get, spec shape", PayloadKind::AttributeGet, seed::kAttributeGet,
                 {"gateway", "sensor_001"}, BodyFormat::Historical},
        SeedCase{"command", PayloadKind::Command, seed::kCommand,
                 {"gateway", "sensor_001"}, BodyFormat::RealTime}));

// Typed views of the seed bodies: the values a handler would see.
TEST(SeedExampleViews, HistoricalTelemetryTimestampsComeOutInMilliseconds) {
  const auto parsed = parse_gateway_payload(PayloadKind::Telemetry, seed::kTelemetryHistorical);
  ASSERT_TRUE(parsed.ok());
  const json* body = find_body(parsed->root, Target{{}, "sensor_001"});
  ASSERT_NE(body, nullptr);
  const auto records = telemetry_records(*body);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].ts_ms, 1609459200000);  // the spec writes seconds
  EXPECT_EQ(records[1].ts_ms, 1609462800000);
  EXPECT_EQ(records[1].values, (json{{"temperature", 25.5}, {"humidity", 63.0}}));
}

TEST(SeedExampleViews, EventsAndCommands) {
  const auto events = parse_gateway_payload(PayloadKind::Event, seed::kEventRealTime);
  ASSERT_TRUE(events.ok());
  const auto alarm = event_records(*find_body(events->root, Target{{}, "sensor_001"}));
  ASSERT_EQ(alarm.size(), 1u);
  EXPECT_EQ(alarm[0].method, "AlarmTriggered");
  EXPECT_FALSE(alarm[0].ts_ms.has_value());
  EXPECT_EQ(alarm[0].params, (json{{"level", "high"}, {"sensor", "temperature"}}));

  const auto history = parse_gateway_payload(PayloadKind::Event, seed::kEventHistorical);
  ASSERT_TRUE(history.ok());
  const auto started = event_records(*history->root.gateway_data);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].ts_ms, 1609459200000);  // the spec writes milliseconds here
  EXPECT_EQ(started[0].method, "SystemStarted");

  const auto command = parse_gateway_payload(PayloadKind::Command, seed::kCommand);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command_call(*command->root.gateway_data),
            (CommandCall{"Restart", json{{"delay", 5}, {"mode", "safe"}}}));
  EXPECT_EQ(command_call(*find_body(command->root, Target{{}, "sensor_001"})).method, "Calibrate");
}

TEST(SeedExampleViews, AttributeGetKeys) {
  const auto get = parse_gateway_payload(PayloadKind::AttributeGet, seed::kAttributeGet);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->get_shape, AttributeGetShape::Spec);
  EXPECT_EQ(attribute_keys(*get->root.gateway_data), (std::vector<std::string>{"ip", "version"}));
  EXPECT_EQ(attribute_keys(*find_body(get->root, Target{{}, "sensor_001"})),
            (std::vector<std::string>{"temperature", "humidity"}));
}

}  // namespace
}  // namespace tpgate::gateway
