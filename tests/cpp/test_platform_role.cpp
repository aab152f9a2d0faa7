// Platform role, scripted on a fake clock: uplink JSON in -> events, view and
// acks out; requests out -> responses in -> completion with round-trip time.
// Each difference from the spec handled here is named by its docs/thingspanel.md anchor.
#include <gtest/gtest.h>

#include "events_of.hpp"

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "gateway/envelope.hpp"
#include "gateway/platform_role.hpp"
#include "gateway_seed_examples.hpp"

namespace tpgate::gateway::platform {
namespace {

using test::events_of;

Target gw() { return Target{}; }
Target dev(std::string address) { return Target{{}, std::move(address)}; }
Target dev_behind(std::vector<std::string> path, std::string address) { return Target{std::move(path), std::move(address)}; }

// Ids 0000001, 0000002, ... so topics can be written out in the tests.
Options counting_ids(Options o = {}) {
  auto n = std::make_shared<int>(0);
  o.message_id = [n](std::int64_t) {
    std::string s = std::to_string(++*n);
    return std::string(7 - s.size(), '0') + s;
  };
  return o;
}

TEST(PlatformRole, SubscribesToEveryUplinkAndStatusOnePerFilter) {
  PlatformRole role;
  auto subs = role.subscriptions();
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ(*subs, (std::vector<std::string>{"gateway/telemetry", "gateway/attributes/+", "gateway/event/+",
                                              "gateway/command/response/+", "gateway/attributes/set/response/+",
                                              "devices/status/+"}));
}

TEST(PlatformRole, SharedSubscriptionsUnderTheGroup) {
  Options o;
  o.share_group = "tp";
  PlatformRole role(o);
  auto subs = role.subscriptions();
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 6u);
  for (const auto& f : *subs) EXPECT_EQ(f.rfind("$share/tp/", 0), 0u) << f;
  Options bad;
  bad.share_group = "a/b";  // [MQTT-4.8.2-1]
  EXPECT_FALSE(PlatformRole(bad).subscriptions().ok());
}

// docs/thingspanel.md#one-target-per-downlink (many targets in one message) on the seed's
// multi-level telemetry.
TEST(PlatformRole, MultiLevelTelemetryRoutesEveryTargetIntoEventsAndView) {
  PlatformRole role;
  Outputs out = role.receive("gateway/telemetry", seed::kTelemetryMultiLevel, 5'000, "gw-1");
  auto t = events_of<TelemetryReceived>(out);
  ASSERT_EQ(t.size(), 4u);  // the gateway, device_001, gateway_001, sensor_101 behind it
  EXPECT_EQ(t[0].gateway, "gw-1");
  EXPECT_EQ(t[0].target, gw());
  EXPECT_EQ(t[0].values["temperature"], 26.0);
  EXPECT_EQ(t[0].ts_ms, 5'000);  // real-time: the time it was received
  EXPECT_EQ(t[1].target, dev("device_001"));
  EXPECT_EQ(t[2].target, (Target{{"gateway_001"}, std::nullopt}));
  EXPECT_EQ(t[3].target, dev_behind({"gateway_001"}, "sensor_101"));
  EXPECT_EQ(t[3].values["humidity"], 55.0);
  EXPECT_TRUE(out.publications.empty());  // telemetry is never acked

  const DeviceView* v = role.view().device("gw-1", dev_behind({"gateway_001"}, "sensor_101"));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->telemetry.at("temperature"), (ValueAt{27.5, 5'000}));
  // Sub-gateway gateway_001 itself is a separate device from sensor_101 behind it.
  const DeviceView* sg = role.view().device("gw-1", Target{{"gateway_001"}, std::nullopt});
  ASSERT_NE(sg, nullptr);
  EXPECT_EQ(sg->telemetry.at("version").value, "1.5.0");
  EXPECT_EQ(role.view().device("gw-2", gw()), nullptr);
}

// docs/thingspanel.md#historical-mode and docs/thingspanel.md#timestamps: historical
// telemetry, one event per record, ts in seconds -> ms.
TEST(PlatformRole, TimestampsHistoricalTelemetrySecondsBecomeMilliseconds) {
  PlatformRole role;
  Outputs out = role.receive("gateway/telemetry", seed::kTelemetryHistorical, 9'999'999'999'999, "gw-1");
  auto t = events_of<TelemetryReceived>(out);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].ts_ms, 1'609'459'200'000);
  EXPECT_EQ(t[1].ts_ms, 1'609'462'800'000);
  EXPECT_EQ(t[3].target, dev("sensor_001"));
  EXPECT_EQ(t[3].values["humidity"], 63.0);
  // The view keeps the newest record, whatever order they came in.
  const DeviceView* v = role.view().device("gw-1", gw());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->telemetry.at("temperature"), (ValueAt{26.0, 1'609'462'800'000}));
}

TEST(PlatformRole, OlderHistoricalRecordsDoNotRollTheViewBack) {
  PlatformRole role;
  (void)role.receive("gateway/telemetry", R"({"gateway_data":{"t":30}})", 1'700'000'000'000, "gw-1");
  (void)role.receive("gateway/telemetry", R"({"gateway_data":[{"ts":1609459200000,"values":{"t":1,"u":2}}]})",
                     1'700'000'000'001, "gw-1");
  const DeviceView* v = role.view().device("gw-1", gw());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->telemetry.at("t"), (ValueAt{30, 1'700'000'000'000}));
  EXPECT_EQ(v->telemetry.at("u"), (ValueAt{2, 1'609'459'200'000}));  // new key: taken
}

// docs/thingspanel.md#ack-family-by-version: the spec family (the default), and
// docs/thingspanel.md#flat-responses: a flat success ack, ts in seconds.
TEST(PlatformRole, AttributesAreAckedOnTheSpecTopicByDefault) {
  PlatformRole role;
  Outputs out = role.receive("gateway/attributes/1234567", seed::kAttributes, 1'609'459'200'500, "gw-1");
  auto a = events_of<AttributesReceived>(out);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].message_id, "1234567");
  EXPECT_EQ(a[1].target, dev("sensor_001"));
  EXPECT_EQ(a[1].values["type"], "temperature");
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/attributes/response/gw-1/1234567");
  EXPECT_EQ(out.publications[0].payload, R"({"result":0,"message":"success","ts":1609459200})");
  const DeviceView* v = role.view().device("gw-1", dev("sensor_001"));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->attributes.at("ip"), (ValueAt{"192.168.1.101", 1'609'459'200'500}));
}

// docs/thingspanel.md#ack-topics: the backend's family, and both.
TEST(PlatformRole, AckFamilyByVersionIsConfigurable) {
  Options backend;
  backend.ack_topics = AckTopics::Backend;
  Outputs out = PlatformRole(backend).receive("gateway/event/42", seed::kEventRealTime, 0, "gw-1");
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "devices/event/response/gw-1/42");

  Options both;
  both.ack_topics = AckTopics::Both;
  out = PlatformRole(both).receive("gateway/attributes/43", seed::kAttributes, 0, "gw-1");
  ASSERT_EQ(out.publications.size(), 2u);
  EXPECT_EQ(out.publications[0].topic, "gateway/attributes/response/gw-1/43");
  EXPECT_EQ(out.publications[1].topic, "devices/attributes/response/gw-1/43");
  EXPECT_EQ(out.publications[0].payload, out.publications[1].payload);
}

TEST(PlatformRole, AutoAckCanBeTurnedOff) {
  Options o;
  o.auto_ack_attributes = false;
  o.auto_ack_events = false;
  PlatformRole role(o);
  Outputs a = role.receive("gateway/attributes/1", seed::kAttributes, 0, "gw-1");
  Outputs e = role.receive("gateway/event/2", seed::kEventRealTime, 0, "gw-1");
  EXPECT_TRUE(a.publications.empty());
  EXPECT_TRUE(e.publications.empty());
  EXPECT_EQ(events_of<AttributesReceived>(a).size(), 2u);  // still reported
  EXPECT_EQ(events_of<EventReceived>(e).size(), 2u);
}

TEST(PlatformRole, RealTimeAndHistoricalEventsWithRecentHistoryInView) {
  Options o;
  o.max_recent_events = 2;
  PlatformRole role(o);
  Outputs out = role.receive("gateway/event/7", seed::kEventRealTime, 3'000, "gw-1");
  auto e = events_of<EventReceived>(out);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].method, "SystemStarted");
  EXPECT_EQ(e[0].params["mode"], "normal");
  EXPECT_EQ(e[0].ts_ms, 3'000);
  EXPECT_EQ(e[1].target, dev("sensor_001"));
  EXPECT_EQ(e[1].method, "AlarmTriggered");
  EXPECT_EQ(e[1].message_id, "7");

  out = role.receive("gateway/event/8", seed::kEventHistorical, 4'000, "gw-1");
  e = events_of<EventReceived>(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].ts_ms, 1'609'459'200'000);  // docs/thingspanel.md#timestamps: already ms
  EXPECT_EQ(e[0].params["version"], "2.0.0");
  // Historical events are acked too (docs/thingspanel.md#historical-mode).
  ASSERT_EQ(out.publications.size(), 1u);

  (void)role.receive("gateway/event/9", R"({"gateway_data":{"method":"Third"}})", 5'000, "gw-1");
  const DeviceView* v = role.view().device("gw-1", gw());
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->events.size(), 2u);  // oldest dropped
  EXPECT_EQ(v->events[0].method, "SystemStarted");
  EXPECT_EQ(v->events[0].ts_ms, 1'609'459'200'000);
  EXPECT_EQ(v->events[1].method, "Third");
}

// docs/thingspanel.md#broker-envelope: the broker's envelope names the sender; dn for acks is the
// mapped device_number, else the device_id.
TEST(PlatformRole, BrokerEnvelopeIsUnwrappedAndNamesTheGateway) {
  PlatformRole role;
  const std::string uuid = "7f3c0a4e-0000-4000-8000-000000000001";
  Outputs out = role.receive("gateway/attributes/11", wrap_envelope(uuid, seed::kAttributes), 0, "ignored");
  auto a = events_of<AttributesReceived>(out);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].gateway, uuid);  // the envelope wins over the host's sender
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/attributes/response/" + uuid + "/11");

  role.map_device(uuid, "GW-NUMBER-1");
  out = role.receive("gateway/event/12", wrap_envelope(uuid, seed::kEventRealTime), 0);
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/event/response/GW-NUMBER-1/12");
  EXPECT_EQ(events_of<EventReceived>(out)[0].gateway, uuid);

  out = role.receive("gateway/telemetry", wrap_envelope(uuid, seed::kTelemetrySingleLayer), 0);
  EXPECT_EQ(events_of<TelemetryReceived>(out).size(), 3u);
  EXPECT_NE(role.view().device(uuid, dev("sensor_002")), nullptr);
}

TEST(PlatformRole, DefaultGatewayWhenNoEnvelopeOrSender) {
  Options o;
  o.default_gateway = "only-gw";
  Outputs out = PlatformRole(o).receive("gateway/attributes/5", seed::kAttributes, 0);
  ASSERT_EQ(out.publications.size(), 1u);
  EXPECT_EQ(out.publications[0].topic, "gateway/attributes/response/only-gw/5");
}

TEST(PlatformRole, UnknownSenderStillReportsButCannotAck) {
  PlatformRole role;
  Outputs out = role.receive("gateway/attributes/5", seed::kAttributes, 0);
  EXPECT_EQ(events_of<AttributesReceived>(out).size(), 2u);
  EXPECT_TRUE(out.publications.empty());
  auto w = events_of<Warning>(out);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("cannot ack message_id 5"), std::string::npos) << w[0].message;
}

// docs/thingspanel.md#online-status: the broker's online status.
TEST(PlatformRole, OnlineStatusTopicSetsOnline) {
  PlatformRole role;
  EXPECT_FALSE(role.view().online("dev-1").has_value());
  auto s = events_of<StatusChanged>(role.receive("devices/status/dev-1", "1", 0));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].device_id, "dev-1");
  EXPECT_TRUE(s[0].online);
  EXPECT_EQ(role.view().online("dev-1"), true);
  s = events_of<StatusChanged>(role.receive("devices/status/dev-1", "0", 1));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].online);
  EXPECT_EQ(role.view().online("dev-1"), false);
}

// docs/thingspanel.md#one-target-per-downlink and docs/thingspanel.md#message-id: one
// path per downlink, a fresh message_id each time.
TEST(PlatformRole, CommandIsWrappedForItsTargetAndCompletesWithRtt) {
  PlatformRole role(counting_ids());
  auto sent = role.send_command("gw-1", dev_behind({"gateway_001"}, "sensor_101"), "Calibrate",
                                json{{"offset", 0.5}}, 1'000);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->message_id, "0000001");
  EXPECT_EQ(sent->publication.topic, "gateway/command/gw-1/0000001");
  EXPECT_EQ(json::parse(sent->publication.payload),
            json::parse(R"({"sub_gateway_data":{"gateway_001":{"sub_device_data":{"sensor_101":
                           {"method":"Calibrate","params":{"offset":0.5}}}}}})"));
  EXPECT_EQ(role.next_deadline(), 11'000);

  Outputs out = role.receive("gateway/command/response/0000001",
                             R"({"result":0,"message":"success","ts":1,"method":"Calibrate"})", 1'250, "gw-1");
  auto done = events_of<RequestCompleted>(out);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, sent->token);
  EXPECT_EQ(done[0].rtt_ms, 250);
  EXPECT_TRUE(done[0].response.response.success);
  EXPECT_EQ(done[0].response.response.method, "Calibrate");
  EXPECT_EQ(role.pending_count(), 0u);
  EXPECT_FALSE(role.next_deadline().has_value());
}

// docs/thingspanel.md#flat-responses: a failure answer, and a string result, complete as failures.
TEST(PlatformRole, FlatResponsesFailureAndStringResultCompleteAsFailure) {
  PlatformRole role(counting_ids());
  auto a = role.send_command("gw-1", gw(), "Restart", json::object(), 0);
  auto b = role.send_attribute_set("gw-1", dev("sensor_001"), json{{"ip", "10.0.0.1"}}, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->publication.topic, "gateway/attributes/set/gw-1/0000002");
  EXPECT_EQ(json::parse(b->publication.payload), json::parse(R"({"sub_device_data":{"sensor_001":{"ip":"10.0.0.1"}}})"));
  auto da = events_of<RequestCompleted>(role.receive(
      "gateway/command/response/0000001",
      R"({"result":1,"errcode":"INVALID_PARAM","message":"Parameter validation failed","ts":1,"method":"Restart"})", 5));
  ASSERT_EQ(da.size(), 1u);
  EXPECT_FALSE(da[0].response.response.success);
  EXPECT_EQ(da[0].response.response.errcode, "INVALID_PARAM");
  auto db = events_of<RequestCompleted>(
      role.receive("gateway/attributes/set/response/0000002", R"({"result":"0","message":"success"})", 7));
  ASSERT_EQ(db.size(), 1u);
  EXPECT_EQ(db[0].token, b->token);
  EXPECT_FALSE(db[0].response.response.success);
  EXPECT_FALSE(db[0].response.problem.empty());
  EXPECT_EQ(db[0].rtt_ms, 7);
}

// Unanswered requests time out on the fake clock (docs/thingspanel.md#correlation).
TEST(PlatformRole, UnansweredRequestsTimeOut) {
  Options o = counting_ids();
  o.request_timeout_ms = 3'000;
  PlatformRole role(o);
  auto cmd = role.send_command("gw-1", gw(), "Restart", json::object(), 1'000);
  auto get = role.send_attribute_get("gw-1", gw(), {"ip"}, AttributeGetShape::Spec, 2'000);
  ASSERT_TRUE(cmd.ok() && get.ok());
  EXPECT_EQ(role.next_deadline(), 4'000);
  EXPECT_TRUE(role.tick(3'999).events.empty());
  auto t = events_of<RequestTimedOut>(role.tick(4'000));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].token, cmd->token);
  EXPECT_NE(t[0].message.find("0000001"), std::string::npos) << t[0].message;
  EXPECT_EQ(role.next_deadline(), 5'000);
  t = events_of<RequestTimedOut>(role.tick(5'000));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].token, get->token);
  EXPECT_FALSE(role.next_deadline().has_value());
  // The late answer is reported, not fatal.
  auto errors = events_of<ProtocolError>(role.receive("gateway/command/response/0000001", R"({"result":0})", 6'000));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].error.message.find("late"), std::string::npos) << errors[0].error.message;
}

// docs/thingspanel.md#attribute-get-shape: the spec shape asks any target; it completes on the attribute
// report from that gateway that carries the keys.
TEST(PlatformRole, AttributeGetShapeSpecCompletesOnMatchingReport) {
  PlatformRole role(counting_ids());
  auto get = role.send_attribute_get("gw-1", dev("sensor_001"), {"ip", "version"}, AttributeGetShape::Spec, 100);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->publication.topic, "gateway/attributes/get/gw-1");
  EXPECT_EQ(json::parse(get->publication.payload), json::parse(R"({"sub_device_data":{"sensor_001":["ip","version"]}})"));
  // Another gateway's report, and one lacking a key, do not answer it.
  EXPECT_TRUE(events_of<RequestCompleted>(role.receive("gateway/attributes/1", seed::kAttributes, 150, "gw-2")).empty());
  EXPECT_TRUE(events_of<RequestCompleted>(
                  role.receive("gateway/attributes/2", R"({"sub_device_data":{"sensor_001":{"ip":"x"}}})", 160, "gw-1"))
                  .empty());
  auto done = events_of<RequestCompleted>(role.receive("gateway/attributes/3", seed::kAttributes, 400, "gw-1"));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, get->token);
  EXPECT_EQ(done[0].rtt_ms, 300);
  EXPECT_TRUE(done[0].response.response.success);
  ASSERT_TRUE(done[0].report.has_value());
  EXPECT_EQ((*done[0].report)["sub_device_data"]["sensor_001"]["version"], "1.2.0");
  EXPECT_EQ(role.pending_count(), 0u);
}

// docs/thingspanel.md#attribute-get-shape: the backend's {"keys":[...]} asks the gateway itself.
TEST(PlatformRole, AttributeGetShapeKeys) {
  PlatformRole role;
  auto get = role.send_attribute_get("gw-1", gw(), {}, AttributeGetShape::Keys, 0);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(json::parse(get->publication.payload), json::parse(R"({"keys":[]})"));
  // Only the top-level gateway can be asked in this shape.
  EXPECT_FALSE(role.send_attribute_get("gw-1", dev("s"), {"ip"}, AttributeGetShape::Keys, 0).ok());
  // Empty keys = all attributes: any report with gateway_data answers it.
  auto done = events_of<RequestCompleted>(
      role.receive("gateway/attributes/9", R"({"gateway_data":{"ip":"1.2.3.4"}})", 20, "gw-1"));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, get->token);
}

TEST(PlatformRole, ControlHasNoAnswerAndNoMessageId) {
  PlatformRole role;
  auto sent = role.send_control("gw-1", Target{{"gw_a", "gw_b"}, std::nullopt}, json{{"switch", true}}, 0);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->token, 0u);
  EXPECT_EQ(sent->publication.topic, "gateway/telemetry/control/gw-1");
  EXPECT_EQ(json::parse(sent->publication.payload),
            json::parse(R"({"sub_gateway_data":{"gw_a":{"sub_gateway_data":{"gw_b":{"gateway_data":{"switch":true}}}}}})"));
  EXPECT_EQ(role.pending_count(), 0u);
}

// docs/thingspanel.md#message-id: two requests in the same millisecond get different ids.
TEST(PlatformRole, MessageIdDefaultIdsDoNotRepeatInOneMillisecond) {
  PlatformRole role;
  auto a = role.send_command("gw-1", gw(), "A", json::object(), 1'609'459'200'123);
  auto b = role.send_command("gw-1", gw(), "B", json::object(), 1'609'459'200'123);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->message_id.size(), 7u);
  EXPECT_NE(a->message_id, b->message_id);
  EXPECT_NE(a->token, b->token);
}

}  // namespace
}  // namespace tpgate::gateway::platform
