// A virtual gateway with a custom format (docs/scenario.md "Custom format"): reports go
// out on custom topics through the up scripts, downlinks come in on custom topics
// through the down scripts, responses and acks keep their standard topics; a failing
// script drops its message, is counted and logged, and the gateway goes on.
#include <gtest/gtest.h>

#include "emulator_test_util.hpp"
#include "gateway/topics.hpp"

namespace tpgate::emulator::test {
namespace {

// Telemetry as "temp=<temperature>", commands as "<method>:<mode>".
const std::string kTelemetryUp = R"(
local json = require("json")
function encodeInp(msg, topic)
  local d = json.decode(msg)
  return "temp=" .. tostring(d.gateway_data.temperature) .. "@" .. topic
end
)";

const std::string kCommandDown = R"(
function encodeInp(msg, topic)
  local method, mode = string.match(msg, "^(%a+):(%a+)$")
  if method == nil then
    error("not a command: " .. msg)
  end
  return '{"gateway_data":{"method":"' .. method .. '","params":{"mode":"' .. mode .. '"}}}'
end
)";

std::string scenario_with(const json& format) {
  json s = J(R"({
    "seed": 3,
    "gateway": {
      "telemetry_interval_s": 1,
      "telemetry": { "temperature": { "type": "counter", "start": 20 } },
      "attributes": { "version": "1.0" },
      "commands": { "Restart": { "effects": { "attributes": { "mode": "$params.mode" } } } }
    }
  })");
  s["gateway"]["format"] = format;
  return s.dump();
}

json full_format() {
  json f = J(R"({
    "uplink": { "telemetry": "dev/{device_number}/up", "attributes": "dev/{device_number}/attr/{message_id}" },
    "downlink": { "command": "dev/{device_number}/cmd/{message_id}", "control": "dev/{device_number}/ctl" }
  })");
  f["scripts"]["telemetry_up"]["source"] = kTelemetryUp;
  f["scripts"]["command_down"]["source"] = kCommandDown;
  return f;
}

std::string text(const mqtt::Publish& p) { return std::string(p.payload.begin(), p.payload.end()); }

TEST(EmulatorFormat, SubscribesToTheCustomDownlinkTopicsInPlaceOfTheStandardOnes) {
  Harness h(scenario_with(full_format()));
  h.gw.start(h.now, h.sink);
  h.take();
  h.decoder.reset();
  h.gw.transport_open(h.now, h.sink);
  h.take();
  h.gw.receive(mqtt::Bytes{0x20, 0x02, 0x00, 0x00}, h.now, h.sink);
  std::vector<std::string> filters;
  for (const auto& p : h.take()) {
    if (const auto* s = std::get_if<mqtt::Subscribe>(&p)) filters.push_back(s->subscriptions[0].filter);
  }
  auto expected = *gateway::gateway_subscriptions("gw-1");
  expected[0] = "dev/gw-1/ctl";      // control
  expected[3] = "dev/gw-1/cmd/+";    // command
  EXPECT_EQ(filters, expected);
}

TEST(EmulatorFormat, TelemetryGoesOutOnTheCustomTopicInTheScriptsShape) {
  Harness h(scenario_with(full_format()));
  h.connect();
  const std::size_t mark = h.published.size();
  h.advance_to(h.now + 1000);
  EXPECT_TRUE(h.sent("gateway/telemetry", mark).empty());
  const auto custom = h.sent("dev/gw-1/up", mark);
  ASSERT_FALSE(custom.empty());
  EXPECT_EQ(custom[0].topic, "dev/gw-1/up");
  EXPECT_EQ(text(custom[0]), "temp=20@dev/gw-1/up");
  EXPECT_EQ(h.metrics.counters.script_errors, 0u);
}

TEST(EmulatorFormat, AttributesOnTheCustomTopicWithTheirMessageIdAndAckedOnTheStandardTopic) {
  Harness h(scenario_with(full_format()));
  h.connect();  // the attribute report of every connect
  EXPECT_TRUE(h.sent("gateway/attributes/").empty());
  const auto reports = h.sent("dev/gw-1/attr/");
  ASSERT_EQ(reports.size(), 1u);
  // No attributes_up script: the standard JSON, unchanged.
  EXPECT_EQ(Harness::body(reports[0]), J(R"({"gateway_data":{"version":"1.0"}})"));
  const std::string message_id = reports[0].topic.substr(std::string("dev/gw-1/attr/").size());
  ASSERT_FALSE(message_id.empty());
  h.downlink("gateway/attributes/response/gw-1/" + message_id, R"({"result":0,"message":"success","ts":1})");
  EXPECT_EQ(h.metrics.counters.reports_acked, 1u);
}

TEST(EmulatorFormat, CustomCommandIsAnsweredOnTheStandardResponseTopic) {
  Harness h(scenario_with(full_format()));
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("dev/gw-1/cmd/m42", "Restart:safe");
  const auto responses = h.sent("gateway/command/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].topic, "gateway/command/response/m42");
  const json r = Harness::body(responses[0]);
  EXPECT_EQ(r["result"], 0);
  EXPECT_EQ(r["method"], "Restart");
  EXPECT_EQ(h.metrics.counters.commands, 1u);
  // The effect went through: the attribute report after it is on the custom topic.
  const auto attributes = h.sent("dev/gw-1/attr/", mark);
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(Harness::body(attributes[0])["gateway_data"]["mode"], "safe");
}

TEST(EmulatorFormat, FailingDownScriptIsCountedLoggedAndTheGatewayGoesOn) {
  Harness h(scenario_with(full_format()));
  h.connect();
  h.events.take();
  const std::size_t mark = h.published.size();
  h.downlink("dev/gw-1/cmd/m1", "nonsense");
  EXPECT_TRUE(h.sent("gateway/command/response/", mark).empty());
  EXPECT_EQ(h.metrics.counters.script_errors, 1u);
  EXPECT_EQ(h.metrics.counters.errors, 1u);
  const json log = J(h.events.take());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["type"], "error");
  EXPECT_EQ(log[0]["kind"], "script");
  EXPECT_EQ(log[0]["script"], "command_down");
  EXPECT_NE(log[0]["message"].get<std::string>().find("not a command: nonsense"), std::string::npos)
      << log[0]["message"];
  // Still connected and still serving.
  h.downlink("dev/gw-1/cmd/m2", "Restart:fast");
  const auto responses = h.sent("gateway/command/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].topic, "gateway/command/response/m2");
  EXPECT_TRUE(h.gw.connected());
}

TEST(EmulatorFormat, FailingUpScriptDropsThatReportOnly) {
  json f = full_format();
  f["scripts"]["telemetry_up"]["source"] = "function encodeInp(msg, topic) return {} end";
  Harness h(scenario_with(f));
  h.connect();
  const std::size_t mark = h.published.size();
  h.advance_to(h.now + 2000);
  EXPECT_TRUE(h.sent("dev/gw-1/up", mark).empty());
  EXPECT_TRUE(h.sent("gateway/telemetry", mark).empty());
  EXPECT_GE(h.metrics.counters.script_errors, 2u);
  // Attribute reports (no script) still go out: a command's effect reports at once.
  h.downlink("dev/gw-1/cmd/m3", "Restart:slow");
  EXPECT_EQ(h.sent("dev/gw-1/attr/", mark).size(), 1u);
}

TEST(EmulatorFormat, ScriptWithoutCustomTopicsRewritesStandardMessages) {
  json f = json::object();
  f["scripts"]["command_down"]["source"] = kCommandDown;
  Harness h(scenario_with(f));
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/command/gw-1/s1", "Restart:safe");
  const auto responses = h.sent("gateway/command/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Harness::body(responses[0])["result"], 0);
}

TEST(EmulatorFormat, AttributeSetThroughItsScriptAndAnUnscriptedGetOnCustomTopics) {
  json f = J(R"({"downlink": {"attribute_set": "dev/{device_number}/set/{message_id}",
                              "attribute_get": "dev/{device_number}/get"}})");
  // "key=value" -> {"gateway_data":{"key":"value"}}
  f["scripts"]["attributes_down"]["source"] = R"(
function encodeInp(msg, topic)
  local k, v = string.match(msg, "^(%w+)=(%w+)$")
  return '{"gateway_data":{"' .. k .. '":"' .. v .. '"}}'
end
)";
  Harness h(scenario_with(f));
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("dev/gw-1/set/s7", "mode=eco");
  const auto responses = h.sent("gateway/attributes/set/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].topic, "gateway/attributes/set/response/s7");
  EXPECT_EQ(Harness::body(responses[0])["result"], 0);
  EXPECT_EQ(h.gw.attribute_value("gateway", "mode"), json("eco"));
  // The get is not scripted: standard JSON on the custom topic; the answer is an attribute report.
  const std::size_t before_get = h.published.size();
  h.downlink("dev/gw-1/get", R"({"keys":["mode"]})");
  const auto reports = h.sent("gateway/attributes/", before_get);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(Harness::body(reports[0])["gateway_data"]["mode"], "eco");
  EXPECT_EQ(h.metrics.counters.attribute_gets, 1u);
}

TEST(EmulatorFormat, NormalizedScenarioKeepsTheFormat) {
  auto s = scenario_of(scenario_with(full_format()));
  ASSERT_TRUE(s);
  const json n = normalized_scenario(*s);
  EXPECT_EQ(n["gateway"]["format"]["uplink"]["telemetry"], "dev/{device_number}/up");
  EXPECT_EQ(n["gateway"]["format"]["scripts"]["command_down"]["source"], kCommandDown);
  auto again = parse_scenario(n.dump());
  ASSERT_TRUE(again.ok()) << again.error.message;
  EXPECT_EQ(normalized_scenario(*again.scenario), n);
}

TEST(EmulatorFormat, OneCompiledScriptPerScenarioSharedByTheFleet) {
  auto s = scenario_of(scenario_with(full_format()));
  ASSERT_TRUE(s && s->format);
  auto fleet = Fleet::create(s, FleetOptions{.count = 3});
  ASSERT_TRUE(fleet.fleet);
  EXPECT_EQ(fleet.fleet->scenario().format->up_scripts[0].compiled.get(), s->format->up_scripts[0].compiled.get());
}

struct BadFormat {
  const char* name;
  const char* format;
  const char* path;
  const char* message;
};

class BadFormatTest : public ::testing::TestWithParam<BadFormat> {};

TEST_P(BadFormatTest, IsAScenarioErrorNamingThePath) {
  const BadFormat& c = GetParam();
  auto r = parse_scenario(scenario_with(J(c.format)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.path, c.path) << r.error.message;
  EXPECT_NE(r.error.message.find(c.message), std::string::npos) << r.error.message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadFormatTest,
    ::testing::Values(
        BadFormat{"SyntaxError", R"({"scripts":{"telemetry_up":{"source":"function encodeInp(msg, topic)\n  return msg +\nend"}}})",
                  "$.gateway.format.scripts.telemetry_up.source", "line 3"},
        BadFormat{"NoSource", R"({"scripts":{"event_up":{}}})", "$.gateway.format.scripts.event_up.source", "missing"},
        BadFormat{"FileOnly", R"({"scripts":{"event_up":{"file":"up.lua"}}})", "$.gateway.format.scripts.event_up.file",
                  "tpgate emulate"},
        BadFormat{"UnknownScript", R"({"scripts":{"attributes_get":{"source":"x"}}})", "$.gateway.format.scripts.attributes_get",
                  "unknown"},
        BadFormat{"CommandWithoutMessageId", R"({"downlink":{"command":"dev/{device_number}/cmd"}})",
                  "$.gateway.format.downlink.command", "{message_id}"},
        BadFormat{"MessageIdInsideALevel", R"({"downlink":{"attribute_set":"dev/set-{message_id}"}})",
                  "$.gateway.format.downlink.attribute_set", "whole level"},
        BadFormat{"TelemetryMessageId", R"({"uplink":{"telemetry":"dev/{message_id}"}})", "$.gateway.format.uplink.telemetry",
                  "{message_id}"},
        BadFormat{"UnknownPlaceholder", R"({"uplink":{"event":"dev/{dn}/event"}})", "$.gateway.format.uplink.event",
                  "unknown placeholder"},
        BadFormat{"Wildcard", R"({"downlink":{"control":"dev/+/ctl"}})", "$.gateway.format.downlink.control", "wildcards"},
        BadFormat{"SameTopicTwice", R"({"downlink":{"control":"dev/{device_number}/in","attribute_get":"dev/{device_number}/in"}})",
                  "$.gateway.format.downlink.control", "same topic"},
        BadFormat{"NotAnObject", R"("custom")", "$.gateway.format", "object"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EmulatorFormat, FormatOnASubGatewayIsRefused) {
  auto r = parse_scenario(R"({"gateway":{"sub_gateways":{"g1":{"format":{}}}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.path, "$.gateway.sub_gateways.g1.format");
}

TEST(EmulatorFormat, TopicTemplatesMatchAndExpand) {
  std::string id;
  EXPECT_TRUE(match_downlink("a/{device_number}/c/{message_id}", "gw", "a/gw/c/77", id));
  EXPECT_EQ(id, "77");
  EXPECT_FALSE(match_downlink("a/{device_number}/c/{message_id}", "gw", "a/gw2/c/77", id));
  EXPECT_FALSE(match_downlink("a/{device_number}/c/{message_id}", "gw", "a/gw/c/77/x", id));
  EXPECT_FALSE(match_downlink("a/{device_number}/c/{message_id}", "gw", "a/gw/c", id));
  EXPECT_TRUE(match_downlink("x-{device_number}", "gw", "x-gw", id));
  EXPECT_EQ(id, "");
  EXPECT_EQ(downlink_filter("a/{device_number}/c/{message_id}", "gw"), "a/gw/c/+");
  EXPECT_EQ(expand_topic("up/{device_number}-{message_id}", "gw", "5"), "up/gw-5");
}

TEST(EmulatorProvision, ParsedWithDefaultsAndValidated) {
  auto s = scenario_of(R"({"provision":{"api_url":"http://127.0.0.1:9999","template_secret":"s"}})");
  ASSERT_TRUE(s && s->provision);
  EXPECT_EQ(s->provision->concurrency, 16);
  EXPECT_EQ(s->provision->retries, 5);
  EXPECT_FALSE(s->provision->sub_devices);
  EXPECT_EQ(normalized_scenario(*s)["provision"]["api_url"], "http://127.0.0.1:9999");
  auto bad = parse_scenario(R"({"provision":{"api_url":"ftp://x","template_secret":"s"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.path, "$.provision.api_url");
  bad = parse_scenario(R"({"provision":{"api_url":"http://x"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.path, "$.provision.template_secret");
  bad = parse_scenario(R"({"provision":{"api_url":"http://x","template_secret":"s","concurrency":0}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.path, "$.provision.concurrency");
}

}  // namespace
}  // namespace tpgate::emulator::test
