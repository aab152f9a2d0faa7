// Scenario parsing (docs/scenario.md): the default scenario, normalization round trip,
// and a table of bad scenarios, each refused with the exact JSON path and the expected shape.
#include <gtest/gtest.h>

#include <string>

#include "emulator/identity.hpp"
#include "emulator/scenario.hpp"

namespace tpgate::emulator {
namespace {

TEST(EmulatorScenario, DefaultScenarioParsesWithTheSeedTopology) {
  auto r = parse_scenario(default_scenario_json());
  ASSERT_TRUE(r.ok()) << r.error.message;
  const Topology& t = r.scenario->topology;
  std::vector<std::string> names;
  for (const auto& d : t.devices) names.push_back(d.name);
  EXPECT_EQ(names, (std::vector<std::string>{"gateway", "sensor_001", "sensor_002", "gateway_001", "gateway_001/sensor_101"}));
  EXPECT_EQ(t.nodes.size(), 2u);
  EXPECT_EQ(t.intervals_ms, (std::vector<std::int64_t>{1000}));  // inherited by every device
  EXPECT_EQ(t.events.size(), 1u);
  EXPECT_TRUE(r.scenario->gateway.device.has_commands);
}

TEST(EmulatorScenario, EmptyObjectIsOneGatewayWithNoData) {
  auto r = parse_scenario("{}");
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.scenario->gateways.count, 1u);
  EXPECT_EQ(r.scenario->topology.devices.size(), 1u);
  EXPECT_TRUE(r.scenario->topology.intervals_ms.empty());
}

TEST(EmulatorScenario, NormalizedScenarioParsesBackToItself) {
  auto r = parse_scenario(default_scenario_json());
  ASSERT_TRUE(r.ok());
  const std::string once = normalized_scenario_json(*r.scenario);
  auto again = parse_scenario(once);
  ASSERT_TRUE(again.ok()) << again.error.message;
  EXPECT_EQ(normalized_scenario_json(*again.scenario), once);
  const json n = json::parse(once);
  EXPECT_EQ(n["broker"]["keepalive_s"], 60);
  EXPECT_EQ(n["gateway"]["sub_devices"]["sensor_001"]["telemetry_interval_s"], 1);
  EXPECT_EQ(n["gateway"]["telemetry"]["version"], (json{{"type", "constant"}, {"value", "2.0.0"}}));
}

TEST(EmulatorScenario, InvalidJsonNamesLineAndColumn) {
  auto r = parse_scenario("{\n  \"name\": tru\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.path, "$");
  EXPECT_NE(r.error.message.find("at line 3, column"), std::string::npos) << r.error.message;
}

struct BadCase {
  const char* name;
  const char* json;
  const char* path;
  const char* expected;  // a substring of ScenarioError::expected
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, NamesPathAndExpectedShape) {
  const BadCase& c = GetParam();
  auto r = parse_scenario(c.json);
  ASSERT_FALSE(r.ok()) << c.json;
  EXPECT_EQ(r.error.path, c.path) << r.error.message;
  EXPECT_NE(r.error.expected.find(c.expected), std::string::npos) << r.error.expected;
  EXPECT_EQ(r.error.message.rfind(std::string(c.path) + ": ", 0), 0u) << r.error.message;
}

const BadCase kBadCases[] = {
    {"top_level_array", R"([])", "$", "an object"},
    {"unknown_top_field", R"({"gatway":{}})", "$.gatway", "\"gateway\""},
    {"unknown_device_field", R"({"gateway":{"telemtry":{}}})", "$.gateway.telemtry", "\"telemetry\""},
    {"generator_type",
     R"({"gateway":{"sub_devices":{"sensor_001":{"telemetry":{"temperature":{"type":"walk"}}}}}})",
     "$.gateway.sub_devices.sensor_001.telemetry.temperature.type",
     R"(one of "constant", "uniform", "random_walk", "sine", "sequence", "counter", "toggle", "choice")"},
    {"keepalive_too_big", R"({"broker":{"keepalive_s":600}})", "$.broker.keepalive_s", "an integer from 1 to 300"},
    {"keepalive_fraction", R"({"broker":{"keepalive_s":1.5}})", "$.broker.keepalive_s", "an integer from 1 to 300"},
    {"protocol_version", R"({"broker":{"protocol_version":3}})", "$.broker.protocol_version", "4 (MQTT 3.1.1) or 5"},
    {"qos", R"({"broker":{"qos":3}})", "$.broker.qos", "an integer from 0 to 2"},
    {"url_scheme", R"({"broker":{"url":"http://x"}})", "$.broker.url", "ws://"},
    {"reconnect_order", R"({"broker":{"reconnect":{"min_delay_s":10,"max_delay_s":1}}})",
     "$.broker.reconnect.max_delay_s", ">= min_delay_s"},
    {"count_zero", R"({"gateways":{"count":0}})", "$.gateways.count", "an integer from 1 to 1000000"},
    {"count_too_big", R"({"gateways":{"count":1000001,"device_number":"g{i}"}})", "$.gateways.count",
     "an integer from 1 to 1000000"},
    {"device_number_slash", R"({"gateways":{"device_number":"a/{i}"}})", "$.gateways.device_number", "without '/'"},
    {"device_number_empty", R"({"gateways":{"device_number":""}})", "$.gateways.device_number", "a non-empty string"},
    {"device_number_placeholder", R"({"gateways":{"device_number":"gw-{n}"}})", "$.gateways.device_number", "{i}"},
    {"device_number_not_unique", R"({"gateways":{"count":2,"device_number":"gw"}})", "$.gateways.device_number",
     "with {i}"},
    {"credentials_count", R"({"gateways":{"count":3,"credentials":[{"device_number":"a"},{"device_number":"b"}]}})",
     "$.gateways.count", "number of credentials (2)"},
    {"credential_missing_dn", R"({"gateways":{"credentials":[{"username":"u"}]}})",
     "$.gateways.credentials[0].device_number", "a non-empty string"},
    {"sub_device_address_plus", R"({"gateway":{"sub_devices":{"a+b":{}}}})", "$.gateway.sub_devices[\"a+b\"]",
     "without '/', '+' or '#'"},
    {"sub_gateway_address_hash", R"({"gateway":{"sub_gateways":{"g#":{}}}})", "$.gateway.sub_gateways[\"g#\"]",
     "without '/', '+' or '#'"},
    {"failure_rate_range", R"({"gateway":{"control":{"failure_rate":1.5}}})", "$.gateway.control.failure_rate",
     "a number from 0 to 1"},
    {"uniform_min_max", R"({"gateway":{"telemetry":{"t":{"type":"uniform","min":10,"max":5}}}})",
     "$.gateway.telemetry.t.max", ">= min (10)"},
    {"uniform_missing_max", R"({"gateway":{"telemetry":{"t":{"type":"uniform","min":10}}}})",
     "$.gateway.telemetry.t.max", "a number"},
    {"choice_weights_length", R"({"gateway":{"telemetry":{"t":{"type":"choice","values":[1,2],"weights":[1]}}}})",
     "$.gateway.telemetry.t.weights", "an array of 2 numbers"},
    {"sequence_empty", R"({"gateway":{"telemetry":{"t":{"type":"sequence","values":[]}}}})",
     "$.gateway.telemetry.t.values", "a non-empty array"},
    {"telemetry_object_value", R"({"gateway":{"telemetry":{"t":{"type":"constant","value":{"a":1}}}}})",
     "$.gateway.telemetry.t.value", "a number, string, boolean or null"},
    {"generator_unknown_field", R"({"gateway":{"telemetry":{"t":{"type":"counter","stop":3}}}})",
     "$.gateway.telemetry.t.stop", "\"max\""},
    {"latency_type", R"({"gateway":{"commands":{"Restart":{"latency_ms":{"type":"gamma"}}}}})",
     "$.gateway.commands.Restart.latency_ms.type", R"("normal", "exponential")"},
    {"latency_negative", R"({"gateway":{"attribute_set":{"latency_ms":-5}}})", "$.gateway.attribute_set.latency_ms",
     "a number from 0"},
    {"event_without_timing", R"({"gateway":{"events":[{"method":"x"}]}})", "$.gateway.events[0]", "every_s"},
    {"event_missing_method", R"({"gateway":{"events":[{"every_s":1}]}})", "$.gateway.events[0].method",
     "a non-empty string"},
    {"churn_jitter", R"({"churn":{"jitter":2}})", "$.churn.jitter", "a number from 0 to 1"},
    {"historical_batch", R"({"gateway":{"historical":{"batch":0}}})", "$.gateway.historical.batch",
     "an integer from 1 to 10000"},
    {"interval_negative", R"({"gateway":{"sub_gateways":{"g":{"telemetry_interval_s":-1}}}})",
     "$.gateway.sub_gateways.g.telemetry_interval_s", "a number from 0"},
    {"seed_negative", R"({"seed":-1})", "$.seed", "an integer from 0 to 4294967295"},
    {"effects_unknown", R"({"gateway":{"commands":{"X":{"effects":{"telemetrie":{}}}}}})",
     "$.gateway.commands.X.effects.telemetrie", "\"telemetry\", \"attributes\""},
    {"sub_device_and_gateway_same_address", R"({"gateway":{"sub_devices":{"a":{}},"sub_gateways":{"a":{}}}})",
     "$.gateway.sub_gateways.a", "not used by a sub-device"},
    {"offline_buffer_type", R"({"offline_buffer":"many"})", "$.offline_buffer", "an integer from 0 to 1000000"},
};

INSTANTIATE_TEST_SUITE_P(Table, BadScenario, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(EmulatorScenario, UnknownFieldMessageListsTheAllowedFields) {
  auto r = parse_scenario(R"({"gateway":{"telemtry":{}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.message.rfind("$.gateway.telemtry: unknown field; expected one of \"telemetry\", ", 0), 0u)
      << r.error.message;
}

TEST(EmulatorScenario, GeneratorTypeMessageIsTheDocumentedOne) {
  auto r = parse_scenario(R"({"gateway":{"sub_devices":{"sensor_001":{"telemetry":{"temperature":{"type":"walk"}}}}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.message,
            "$.gateway.sub_devices.sensor_001.telemetry.temperature.type: expected one of \"constant\", \"uniform\", "
            "\"random_walk\", \"sine\", \"sequence\", \"counter\", \"toggle\", \"choice\", got \"walk\"");
}

TEST(EmulatorScenario, SubGatewaysInheritTheIntervalAndNestAnyDepth) {
  auto r = parse_scenario(R"({"gateway":{"telemetry_interval_s":2,"sub_gateways":{"a":{"sub_gateways":{"b":{
      "telemetry":{"x":1},"sub_devices":{"s":{"telemetry":{"y":2},"telemetry_interval_s":3}}}}}}}})");
  ASSERT_TRUE(r.ok()) << r.error.message;
  const Topology& t = r.scenario->topology;
  EXPECT_EQ(t.max_depth, 2);
  EXPECT_EQ(t.intervals_ms, (std::vector<std::int64_t>{2000, 3000}));
  ASSERT_GE(t.find(gateway::Target{{"a", "b"}, "s"}), 0);
  EXPECT_EQ(t.devices[static_cast<std::size_t>(t.find(gateway::Target{{"a", "b"}, "s"}))].name, "a/b/s");
}

TEST(EmulatorIdentity, TemplatesExpandPerGateway) {
  auto r = parse_scenario(R"({"gateways":{"count":3,"first_index":7,"device_number":"gw-{i:4}",
      "client_id":"c-{device_number}","username":"u{i}","password":"p-{i}"}})");
  ASSERT_TRUE(r.ok()) << r.error.message;
  const GatewayIdentity id = gateway_identity(*r.scenario, 2);
  EXPECT_EQ(id.global_index, 2u);
  EXPECT_EQ(id.device_number, "gw-0009");
  EXPECT_EQ(id.client_id, "c-gw-0009");
  EXPECT_EQ(id.username, "u9");
  EXPECT_EQ(id.password, std::optional<std::string>("p-9"));
}

TEST(EmulatorIdentity, CredentialsListGivesCountAndIdentities) {
  auto r = parse_scenario(R"({"gateways":{"credentials":[{"device_number":"a","password":"x"},
      {"device_number":"b","username":"user-b","client_id":"cb"}]}})");
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.scenario->gateways.count, 2u);
  const auto a = gateway_identity(*r.scenario, 0);
  const auto b = gateway_identity(*r.scenario, 1);
  EXPECT_EQ(a.client_id, "a");
  EXPECT_EQ(a.password, std::optional<std::string>("x"));
  EXPECT_EQ(b.username, "user-b");
  EXPECT_EQ(b.client_id, "cb");
  EXPECT_FALSE(b.password.has_value());
}

}  // namespace
}  // namespace tpgate::emulator
