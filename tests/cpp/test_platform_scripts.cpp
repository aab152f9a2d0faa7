// Data scripts in the platform role (docs/thingspanel.md#data-scripts): the
// publishing gateway's configuration script runs on the whole unwrapped uplink
// before it is split into targets; download scripts encode the built body;
// responses and acks are never scripted. Real Lua (src/script), fake clock.
#include <gtest/gtest.h>

#include "events_of.hpp"

#include <string>
#include <variant>
#include <vector>

#include "gateway/envelope.hpp"
#include "gateway/platform_role.hpp"
#include "gateway_seed_examples.hpp"

namespace tpgate::gateway::platform {
namespace {

using test::events_of;

// A gateway that reports {"dev":{"temp":{"value":251,"scale":10}}, "self":{...}}:
// the script reshapes it into the standard tree and scales the values.
constexpr const char* kReshape = R"lua(
local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  local out = { gateway_data = {}, sub_device_data = {} }
  for key, v in pairs(data.self or {}) do out.gateway_data[key] = v.value / v.scale end
  for addr, readings in pairs(data.devices or {}) do
    local body = {}
    for key, v in pairs(readings) do body[key] = v.value / v.scale end
    out.sub_device_data[addr] = body
  end
  return json.encode(out)
end
)lua";

constexpr const char* kCustomTelemetry =
    R"({"self":{"volt":{"value":2301,"scale":10}},"devices":{"sensor_001":{"temp":{"value":251,"scale":10}}}})";

PlatformRole scripted_role(ScriptType type, const char* source, Options o = {}) {
  PlatformRole role(std::move(o));
  EXPECT_TRUE(role.scripts().set("custom", type, source).ok());
  role.scripts().assign("gw-1", "custom");
  return role;
}

TEST(PlatformScripts, UploadScriptReshapesTheWholePayloadBeforeTheSplit) {
  PlatformRole role = scripted_role(ScriptType::TelemetryUp, kReshape);
  Outputs out = role.receive("gateway/telemetry", kCustomTelemetry, 1000, "gw-1");
  auto t = events_of<TelemetryReceived>(out);
  ASSERT_EQ(t.size(), 2u) << "errors: " << events_of<ScriptFailed>(out).size() + events_of<ProtocolError>(out).size();
  EXPECT_EQ(t[0].gateway, "gw-1");
  EXPECT_TRUE(t[0].target.is_gateway());
  EXPECT_DOUBLE_EQ(t[0].values["volt"].get<double>(), 230.1);
  EXPECT_EQ(t[1].target.sub_device, "sensor_001");
  EXPECT_DOUBLE_EQ(t[1].values["temp"].get<double>(), 25.1);
}

TEST(PlatformScripts, SameEventsAsTheStandardPayloadWithTheFastPathTaken) {
  // The script's output is the seed's standard message: the events equal the unscripted ones.
  const std::string seed_text(seed::kTelemetryMultiLevel);
  std::string lua = "function encodeInp(msg, topic) return [==[" + seed_text + "]==] end";
  PlatformRole plain;
  PlatformRole scripted = scripted_role(ScriptType::TelemetryUp, lua.c_str());
  FastOutputs fast_plain;
  FastOutputs fast_scripted;
  Outputs a = plain.receive("gateway/telemetry", seed_text, 5, "gw-1", &fast_plain);
  Outputs b = scripted.receive("gateway/telemetry", "anything at all \x01\x02", 5, "gw-1", &fast_scripted);
  EXPECT_EQ(fast_plain.taken, fast_scripted.taken);
  ASSERT_EQ(fast_plain.telemetry.readings.size(), fast_scripted.telemetry.readings.size());
  EXPECT_EQ(events_of<TelemetryReceived>(a).size(), events_of<TelemetryReceived>(b).size());
  EXPECT_EQ(plain.view().device("gw-1", Target{})->telemetry.size(),
            scripted.view().device("gw-1", Target{})->telemetry.size());
}

TEST(PlatformScripts, OnlyThePublishingGatewaysConfigurationRuns) {
  PlatformRole role = scripted_role(ScriptType::TelemetryUp, "function encodeInp(m) error('must not run') end");
  Outputs out = role.receive("gateway/telemetry", seed::kTelemetrySingleLayer, 0, "gw-2");
  EXPECT_TRUE(events_of<ScriptFailed>(out).empty());
  EXPECT_EQ(events_of<TelemetryReceived>(out).size(), 3u);
}

TEST(PlatformScripts, EnvelopeIsUnwrappedFirstAndTheDeviceIdPicksTheConfiguration) {
  PlatformRole role;
  ASSERT_TRUE(role.scripts().set("custom", ScriptType::TelemetryUp, kReshape).ok());
  const std::string uuid = "7f3c0a4e-0000-4000-8000-000000000009";
  role.scripts().assign(uuid, "custom");
  Outputs out = role.receive("gateway/telemetry", wrap_envelope(uuid, kCustomTelemetry), 0);
  EXPECT_EQ(events_of<TelemetryReceived>(out).size(), 2u);
}

TEST(PlatformScripts, FailingUploadScriptDropsTheMessageAndNamesGatewayTypeAndLine) {
  PlatformRole role = scripted_role(ScriptType::TelemetryUp,
                                    "function encodeInp(msg, topic)\n  local t = nil\n  return t.x\nend");
  Outputs out = role.receive("gateway/telemetry", seed::kTelemetrySingleLayer, 0, "gw-1");
  EXPECT_TRUE(events_of<TelemetryReceived>(out).empty());
  auto f = events_of<ScriptFailed>(out);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].gateway, "gw-1");
  EXPECT_EQ(f[0].configuration, "custom");
  EXPECT_EQ(f[0].type, ScriptType::TelemetryUp);
  EXPECT_EQ(f[0].failure.line, 3);
  EXPECT_EQ(f[0].error.kind, mqtt::ErrorKind::Script);
  EXPECT_NE(f[0].error.message.find("gw-1"), std::string::npos) << f[0].error.message;
  EXPECT_NE(f[0].error.message.find("telemetry_up"), std::string::npos) << f[0].error.message;
  EXPECT_NE(f[0].error.message.find("custom.telemetry_up:3:"), std::string::npos) << f[0].error.message;
  // The role goes on: the next message (another gateway) is used.
  out = role.receive("gateway/telemetry", seed::kTelemetrySingleLayer, 0, "gw-2");
  EXPECT_EQ(events_of<TelemetryReceived>(out).size(), 3u);
}

TEST(PlatformScripts, ReportsAreAckedBeforeTheScriptRunsEvenWhenItFails) {
  PlatformRole role = scripted_role(ScriptType::AttributesUp, "function encodeInp(msg) error('boom') end");
  Outputs out = role.receive("gateway/attributes/77", seed::kAttributes, 0, "gw-1");
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/attributes/response/gw-1/77");
  EXPECT_NE(out.publications[0].payload.find("\"result\":0"), std::string::npos);
  EXPECT_EQ(events_of<ScriptFailed>(out).size(), 1u);
  EXPECT_TRUE(events_of<AttributesReceived>(out).empty());
}

TEST(PlatformScripts, ScriptedReportIsAckedOnceAndUsed) {
  std::string lua = "function encodeInp(msg) return [==[" + std::string(seed::kAttributes) + "]==] end";
  PlatformRole role = scripted_role(ScriptType::AttributesUp, lua.c_str());
  Outputs out = role.receive("gateway/attributes/78", "custom bytes", 0, "gw-1");
  EXPECT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(events_of<AttributesReceived>(out).size(), 2u);
}

TEST(PlatformScripts, ResultThatIsNotAnObjectIsWrappedAsRaw) {
  auto wrapped = [](std::string text, ScriptType type) {
    wrap_script_result(text, type);
    return text;
  };
  EXPECT_EQ(wrapped(R"({"gateway_data":{"a":1}})", ScriptType::TelemetryUp), R"({"gateway_data":{"a":1}})");
  EXPECT_EQ(wrapped("42", ScriptType::TelemetryUp), R"({"_raw":42})");
  EXPECT_EQ(wrapped("[1,2]", ScriptType::AttributesUp), R"({"_raw":[1,2]})");
  EXPECT_EQ(wrapped("\"s\"", ScriptType::TelemetryUp), R"({"_raw":"s"})");
  EXPECT_EQ(wrapped("not json", ScriptType::TelemetryUp), R"({"_raw":"not json"})");
  EXPECT_EQ(wrapped("42", ScriptType::EventUp), R"({"method":"_raw","params":{"value":42}})");
  EXPECT_EQ(wrapped("a\"b", ScriptType::EventUp), R"({"method":"_raw","params":{"value":"a\"b"}})");

  // In the role, {"_raw": 42} carries no gateway data: the parser says so.
  PlatformRole role = scripted_role(ScriptType::TelemetryUp, "function encodeInp(msg) return '42' end");
  Outputs out = role.receive("gateway/telemetry", "x", 0, "gw-1");
  auto e = events_of<ProtocolError>(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].error.message.find("no gateway_data"), std::string::npos) << e[0].error.message;
  EXPECT_TRUE(events_of<ScriptFailed>(out).empty());
}

TEST(PlatformScripts, ResponsesAreNeverScripted) {
  Options o;
  PlatformRole role(o);
  ASSERT_TRUE(role.scripts().set("custom", ScriptType::TelemetryUp, "function encodeInp() error('no') end").ok());
  ASSERT_TRUE(role.scripts().set("custom", ScriptType::AttributesUp, "function encodeInp() error('no') end").ok());
  role.scripts().assign("gw-1", "custom");
  auto sent = role.send_command("gw-1", Target{}, "Restart", json::object(), 0);
  ASSERT_TRUE(sent.ok());
  Outputs out = role.receive("gateway/command/response/" + sent->message_id,
                             R"({"result":0,"message":"success","ts":1})", 10, "gw-1");
  EXPECT_TRUE(events_of<ScriptFailed>(out).empty());
  ASSERT_EQ(events_of<RequestCompleted>(out).size(), 1u);
}

TEST(PlatformScripts, DownloadScriptEncodesTheBuiltBody) {
  PlatformRole role = scripted_role(ScriptType::CommandDown, R"lua(
local json = require("json")
function encodeInp(msg, topic)
  local body = json.decode(msg)
  local cmd = body.sub_device_data and body.sub_device_data.dev1 or body.gateway_data
  return "CMD " .. cmd.method .. " " .. tostring(cmd.params.level)
end)lua");
  auto sent = role.send_command("gw-1", Target{{}, "dev1"}, "Dim", json{{"level", 3}}, 0);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->publication.payload, "CMD Dim 3");
  EXPECT_EQ(sent->publication.topic, "gateway/command/gw-1/" + sent->message_id);
  EXPECT_EQ(role.pending_count(), 1u);
}

TEST(PlatformScripts, DownloadScriptsByType) {
  PlatformRole role;
  ASSERT_TRUE(role.scripts().set("c", ScriptType::AttributesDown, "function encodeInp(m) return 'D:' .. m end").ok());
  ASSERT_TRUE(role.scripts().set("c", ScriptType::TelemetryDown, "function encodeInp(m) return 'B:' .. m end").ok());
  role.scripts().assign("gw-1", "c");
  auto set = role.send_attribute_set("gw-1", Target{}, json{{"a", 1}}, 0);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->publication.payload.rfind("D:{", 0), 0u) << set->publication.payload;
  auto get = role.send_attribute_get("gw-1", Target{}, {"a"}, AttributeGetShape::Spec, 0);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->publication.payload.rfind("D:{", 0), 0u) << get->publication.payload;
  auto control = role.send_control("gw-1", Target{}, json{{"on", true}}, 0);
  ASSERT_TRUE(control.ok());
  EXPECT_EQ(control->publication.payload.rfind("B:{", 0), 0u) << control->publication.payload;
  // A command has no script in this configuration: unchanged.
  auto cmd = role.send_command("gw-1", Target{}, "X", json::object(), 0);
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->publication.payload.front(), '{');
}

TEST(PlatformScripts, FailingDownloadScriptSendsNothingAndWaitsForNothing) {
  PlatformRole role = scripted_role(ScriptType::CommandDown, "function encodeInp(m)\n  return nil\nend");
  auto sent = role.send_command("gw-1", Target{}, "Restart", json::object(), 0);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, mqtt::ErrorKind::Script);
  EXPECT_EQ(sent.error().path, "custom.command_down");
  EXPECT_NE(sent.error().message.find("gw-1"), std::string::npos) << sent.error().message;
  EXPECT_EQ(role.pending_count(), 0u);
  EXPECT_FALSE(role.next_deadline().has_value());
}

TEST(PlatformScripts, ScriptThatDoesNotCompileIsRefusedAndThePreviousStays) {
  PlatformRole role = scripted_role(ScriptType::CommandDown, "function encodeInp(m) return 'old' end");
  auto st = role.scripts().set("custom", ScriptType::CommandDown, "function encodeInp(m)\n  return 'x' +\nend");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, mqtt::ErrorKind::Script);
  EXPECT_NE(st.error().message.find("custom.command_down:3:"), std::string::npos) << st.error().message;
  auto sent = role.send_command("gw-1", Target{}, "Restart", json::object(), 0);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->publication.payload, "old");
}

TEST(PlatformScripts, RemovedScriptAndUnassignedDeviceRunNothing) {
  PlatformRole role = scripted_role(ScriptType::CommandDown, "function encodeInp(m) return 'scripted' end");
  role.scripts().remove("custom", ScriptType::CommandDown);
  auto sent = role.send_command("gw-1", Target{}, "Restart", json::object(), 0);
  ASSERT_TRUE(sent.ok());
  EXPECT_NE(sent->publication.payload, "scripted");
  ASSERT_TRUE(role.scripts().set("custom", ScriptType::CommandDown, "function encodeInp(m) return 'scripted' end").ok());
  role.scripts().assign("gw-1", "");
  sent = role.send_command("gw-1", Target{}, "Restart", json::object(), 0);
  ASSERT_TRUE(sent.ok());
  EXPECT_NE(sent->publication.payload, "scripted");
}

TEST(PlatformScripts, ScriptTypeNamesRoundTrip) {
  for (std::size_t i = 0; i < kScriptTypeCount; ++i) {
    auto type = static_cast<ScriptType>(i);
    EXPECT_EQ(script_type_from_name(script_type_name(type)), type);
  }
  EXPECT_FALSE(script_type_from_name("telemetry").has_value());
}

}  // namespace
}  // namespace tpgate::gateway::platform
