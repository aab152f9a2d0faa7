// Scripted conversations with one VirtualGateway on a fake clock: the test plays the
// broker and the platform (emulator_test_util.hpp), feeds MQTT packets built with the
// codec and checks the topics and payloads the gateway publishes.
#include <gtest/gtest.h>

#include "emulator_test_util.hpp"
#include "gateway/payload_parse.hpp"
#include "gateway/topics.hpp"

namespace tpgate::emulator::test {
namespace {

constexpr std::string_view kScenario = R"({
  "seed": 7,
  "gateway": {
    "telemetry_interval_s": 1,
    "telemetry": { "temperature": { "type": "counter", "start": 20 }, "switch": false },
    "attributes": { "ip": "10.0.0.1", "version": "1.0" },
    "events": [ { "method": "Heartbeat", "params": { "n": { "type": "counter" } }, "first_s": 2, "every_s": 10 } ],
    "commands": {
      "Restart": { "latency_ms": 20,
                   "effects": { "attributes": { "mode": "$params.mode" }, "telemetry": { "switch": "$params.on" } } },
      "Break": { "failure_rate": 1, "errcode": "DEVICE_BUSY", "message": "busy" }
    },
    "sub_devices": { "sensor_001": { "telemetry": { "humidity": 50 }, "attributes": { "type": "t" } } },
    "sub_gateways": { "gateway_001": {
      "telemetry": { "v": "1.5" },
      "sub_devices": { "sensor_101": { "telemetry": { "t": 1 }, "attributes": { "version": "1.0.0" },
                                       "commands": { "Restart": { "latency_ms": 20 } } } } } }
  }
})";

TEST(EmulatorGateway, SubscribesOneFilterPerPacketThenReportsAttributes) {
  Harness h(kScenario);
  h.gw.start(h.now, h.sink);
  h.take();
  h.decoder.reset();
  h.gw.transport_open(h.now, h.sink);
  h.take();
  h.gw.receive(mqtt::Bytes{0x20, 0x02, 0x00, 0x00}, h.now, h.sink);  // CONNACK, accepted
  std::vector<std::string> filters;
  for (const auto& p : h.take()) {
    if (const auto* s = std::get_if<mqtt::Subscribe>(&p)) {
      ASSERT_EQ(s->subscriptions.size(), 1u);  // docs/thingspanel.md#one-filter-per-subscribe
      filters.push_back(s->subscriptions[0].filter);
    }
  }
  EXPECT_EQ(filters, *gateway::gateway_subscriptions("gw-1"));
  const auto reports = h.sent("gateway/attributes/");
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(Harness::body(reports[0]), J(R"({"gateway_data":{"ip":"10.0.0.1","version":"1.0"},
      "sub_device_data":{"sensor_001":{"type":"t"}},
      "sub_gateway_data":{"gateway_001":{"sub_device_data":{"sensor_101":{"version":"1.0.0"}}}}})"));
  EXPECT_EQ(h.metrics.counters.connected, 1);
}

TEST(EmulatorGateway, TelemetryCarriesEveryDeviceAtItsLevelEachInterval) {
  Harness h(kScenario);
  h.connect();
  const std::int64_t t0 = h.now;
  h.advance_to(t0 + 2500);
  const auto telemetry = h.sent("gateway/telemetry");
  ASSERT_GE(telemetry.size(), 2u);
  const json first = Harness::body(telemetry[0]);
  EXPECT_EQ(first, J(R"({"gateway_data":{"temperature":20,"switch":false},
      "sub_device_data":{"sensor_001":{"humidity":50}},
      "sub_gateway_data":{"gateway_001":{"gateway_data":{"v":"1.5"},"sub_device_data":{"sensor_101":{"t":1}}}}})"));
  EXPECT_EQ(Harness::body(telemetry[1])["gateway_data"]["temperature"], 21);
  // What the platform would read.
  EXPECT_TRUE(gateway::parse_gateway_value(gateway::PayloadKind::Telemetry, first).ok());
  EXPECT_EQ(telemetry[0].qos, mqtt::QoS::AtLeastOnce);
}

TEST(EmulatorGateway, DefaultScenarioReportsEveryAddressAtTheRightLevel) {
  Harness h(default_scenario_json());
  h.connect();
  h.advance_to(h.now + 1000);
  const auto telemetry = h.sent("gateway/telemetry");
  ASSERT_EQ(telemetry.size(), 1u);
  const json t = Harness::body(telemetry[0]);
  EXPECT_EQ(t["gateway_data"]["version"], "2.0.0");
  EXPECT_EQ(t["gateway_data"]["temperature"], 26);
  EXPECT_EQ(t["gateway_data"]["switch"], true);
  EXPECT_TRUE(t["sub_device_data"]["sensor_001"].contains("humidity"));
  EXPECT_TRUE(t["sub_device_data"]["sensor_002"].contains("temperature"));
  EXPECT_EQ(t["sub_gateway_data"]["gateway_001"]["gateway_data"]["version"], "1.5.0");
  EXPECT_EQ(t["sub_gateway_data"]["gateway_001"]["sub_device_data"]["sensor_101"]["temperature"], 27.5);
  auto parsed = gateway::parse_gateway_value(gateway::PayloadKind::Telemetry, t);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(gateway::route(parsed->root).size(), 5u);
}

TEST(EmulatorGateway, CommandAnsweredOnTheSameMessageIdAfterItsLatencyWithEffects) {
  Harness h(kScenario);
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/command/gw-1/abc123",
             R"({"gateway_data":{"method":"Restart","params":{"mode":"safe","on":true}}})");
  EXPECT_TRUE(h.sent("gateway/command/response/", mark).empty());
  h.advance_to(h.now + 19);
  EXPECT_TRUE(h.sent("gateway/command/response/", mark).empty());
  h.advance_to(h.now + 1);  // 20 ms after the request
  const auto responses = h.sent("gateway/command/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].topic, "gateway/command/response/abc123");
  const json r = Harness::body(responses[0]);
  EXPECT_EQ(r["result"], 0);
  EXPECT_EQ(r["method"], "Restart");
  EXPECT_EQ(h.metrics.counters.commands, 1u);
  // Effects: an attribute report with the new mode, and telemetry with the new switch.
  const auto attributes = h.sent("gateway/attributes/", mark);
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(Harness::body(attributes[0])["gateway_data"]["mode"], "safe");
  EXPECT_EQ(h.gw.telemetry_value("gateway", "switch"), json(true));
  h.advance_to(h.now + 1000);
  const auto telemetry = h.sent("gateway/telemetry", mark);
  ASSERT_FALSE(telemetry.empty());
  EXPECT_EQ(Harness::body(telemetry.back())["gateway_data"]["switch"], true);
}

TEST(EmulatorGateway, CommandToANestedSubDeviceIsLoggedWithItsTarget) {
  Harness h(kScenario);
  h.gw = VirtualGateway(h.scenario, gateway_identity(*h.scenario, 0), 7, GatewayContext{&h.metrics, &h.events, 0});
  h.connect();
  const std::size_t mark = h.published.size();
  h.events.take();
  // The backend's one-target nesting (docs/thingspanel.md#one-target-per-downlink).
  h.downlink("gateway/command/gw-1/m77",
             R"({"sub_gateway_data":{"gateway_001":{"sub_device_data":{"sensor_101":{"method":"Restart"}}}}})");
  h.advance_to(h.now + 20);
  const auto responses = h.sent("gateway/command/response/m77", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Harness::body(responses[0])["result"], 0);
  const json log = json::parse(h.events.take());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["type"], "command");
  EXPECT_EQ(log[0]["target"], "gateway_001/sensor_101");
  EXPECT_EQ(log[0]["method"], "Restart");
  EXPECT_EQ(log[0]["ok"], true);
  EXPECT_TRUE(log[0]["errcode"].is_null());
  EXPECT_EQ(log[0]["latency_ms"], 20);
}

TEST(EmulatorGateway, FailureRateOneAnswersWithTheErrcode) {
  Harness h(kScenario);
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/command/gw-1/m1", R"({"gateway_data":{"method":"Break"}})");
  const auto responses = h.sent("gateway/command/response/m1", mark);
  ASSERT_EQ(responses.size(), 1u);
  const json r = Harness::body(responses[0]);
  EXPECT_EQ(r["result"], 1);
  EXPECT_EQ(r["errcode"], "DEVICE_BUSY");
  // GatewayRole names the failing target (gateway_role.hpp: one response per message).
  EXPECT_EQ(r["message"], "gateway: busy");
  EXPECT_EQ(r["method"], "Break");
  EXPECT_EQ(h.metrics.counters.failures_injected, 1u);
}

TEST(EmulatorGateway, UnknownMethodWithoutDefaultFails) {
  Harness h(kScenario);
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/command/gw-1/m2", R"({"gateway_data":{"method":"Dance"}})");
  const auto responses = h.sent("gateway/command/response/m2", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Harness::body(responses[0])["errcode"], "UNKNOWN_METHOD");
}

TEST(EmulatorGateway, AttributeSetIsAnsweredAndReflectedInTheNextReport) {
  Harness h(kScenario);
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/attributes/set/gw-1/m3", R"({"gateway_data":{"ip":"10.0.0.9","heartbeat":30}})");
  const auto responses = h.sent("gateway/attributes/set/response/", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].topic, "gateway/attributes/set/response/m3");
  EXPECT_EQ(Harness::body(responses[0])["result"], 0);
  const auto reports = h.sent("gateway/attributes/", mark);
  // The set response also starts with gateway/attributes/: keep the reports only.
  std::vector<json> bodies;
  for (const auto& p : reports) {
    if (p.topic.rfind("gateway/attributes/set/", 0) != 0) bodies.push_back(Harness::body(p));
  }
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0], J(R"({"gateway_data":{"ip":"10.0.0.9","version":"1.0","heartbeat":30}})"));
  EXPECT_EQ(h.metrics.counters.attribute_sets, 1u);
}

TEST(EmulatorGateway, AttributeGetInBothShapes) {
  Harness h(kScenario);
  h.connect();
  std::size_t mark = h.published.size();
  // Backend shape (docs/thingspanel.md#attribute-get-shape): keys of the gateway itself.
  h.downlink("gateway/attributes/get/gw-1", R"({"keys":["ip"]})");
  auto reports = h.sent("gateway/attributes/", mark);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(Harness::body(reports[0]), J(R"({"gateway_data":{"ip":"10.0.0.1"}})"));
  mark = h.published.size();
  // Spec shape: several targets, answered in one report.
  h.downlink("gateway/attributes/get/gw-1", R"({"gateway_data":["version"],"sub_device_data":{"sensor_001":[]}})");
  reports = h.sent("gateway/attributes/", mark);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(Harness::body(reports[0]), J(R"({"gateway_data":{"version":"1.0"},"sub_device_data":{"sensor_001":{"type":"t"}}})"));
  EXPECT_EQ(h.metrics.counters.attribute_gets, 3u);
}

TEST(EmulatorGateway, ControlIsReflectedInTheNextTelemetry) {
  Harness h(kScenario);
  h.connect();
  h.downlink("gateway/telemetry/control/gw-1", R"({"sub_device_data":{"sensor_001":{"humidity":80,"extra":"x"}}})");
  EXPECT_EQ(h.metrics.counters.controls, 1u);
  const std::size_t mark = h.published.size();
  h.advance_to(h.now + 1000);
  const auto telemetry = h.sent("gateway/telemetry", mark);
  ASSERT_EQ(telemetry.size(), 1u);
  EXPECT_EQ(Harness::body(telemetry[0])["sub_device_data"]["sensor_001"], J(R"({"humidity":80,"extra":"x"})"));
}

TEST(EmulatorGateway, EventsAreAckedThroughBothAckFamilies) {
  Harness h(kScenario);
  h.connect();
  const std::int64_t t0 = h.now;
  h.advance_to(t0 + 2000);  // first_s
  auto events = h.sent("gateway/event/");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Harness::body(events[0]), J(R"({"gateway_data":{"method":"Heartbeat","params":{"n":0}}})"));
  const std::string mid1 = events[0].topic.substr(std::string("gateway/event/").size());
  h.now += 15;
  h.downlink("gateway/event/response/gw-1/" + mid1, R"({"result":0,"message":"success","ts":1})");
  EXPECT_EQ(h.metrics.counters.reports_acked, 1u);
  h.advance_to(t0 + 12000);  // every_s
  events = h.sent("gateway/event/");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Harness::body(events[1])["gateway_data"]["params"]["n"], 1);
  const std::string mid2 = events[1].topic.substr(std::string("gateway/event/").size());
  // The backend's family (docs/thingspanel.md#ack-topics).
  h.downlink("devices/event/response/gw-1/" + mid2, R"({"result":0,"message":"success","ts":1})");
  EXPECT_EQ(h.metrics.counters.reports_acked, 2u);
  EXPECT_EQ(h.metrics.counters.events_sent, 2u);
  EXPECT_EQ(*h.metrics.report_ack.percentile(1.0), 15);  // the other was acked at once
}

TEST(EmulatorGateway, PoissonEventsArriveAtTheirMeanRate) {
  Harness h(R"({"seed":5,"gateway":{"events":[{"method":"door_open","mean_interval_s":2}]}})");
  h.connect();
  h.advance_to(h.now + 400'000);
  // 200 expected; a Poisson count's stddev is sqrt(200) ~ 14.
  EXPECT_NEAR(static_cast<double>(h.metrics.counters.events_sent), 200, 45);
  EXPECT_EQ(h.sent("gateway/event/").size(), h.metrics.counters.events_sent);
}

TEST(EmulatorGateway, PubAckRoundTripIsMeasured) {
  Harness h(kScenario);
  h.connect();
  h.auto_puback = false;
  h.metrics.ack.clear();  // the attribute report of the connect was acked at once
  const std::size_t mark = h.published.size();
  for (int guard = 0; guard < 10 && h.sent("gateway/telemetry", mark).empty(); ++guard) {
    h.now = *h.gw.next_deadline();
    h.gw.tick(h.now, h.sink);
    h.take();
  }
  const auto telemetry = h.sent("gateway/telemetry", mark);
  ASSERT_EQ(telemetry.size(), 1u);
  h.now += 7;
  h.feed(mqtt::PubAck{telemetry[0].packet_id, 0, {}});
  EXPECT_EQ(h.metrics.ack.count(), 1u);
  EXPECT_EQ(*h.metrics.ack.percentile(0.5), 7);
}

TEST(EmulatorGateway, UplinksAreCountedByKind) {
  Harness h(kScenario);
  h.connect();
  h.advance_to(h.now + 2000);  // telemetry each second, the first event at 2 s
  h.downlink("gateway/command/gw-1/k1", R"({"gateway_data":{"method":"Break"}})");
  const Counters& c = h.metrics.counters;
  const auto kind = [&](Published k) { return c.published_kind[static_cast<std::size_t>(k)]; };
  EXPECT_EQ(kind(Published::Telemetry), h.sent("gateway/telemetry").size());
  EXPECT_GE(kind(Published::Telemetry), 2u);
  EXPECT_EQ(kind(Published::Attributes), h.sent("gateway/attributes/").size());
  EXPECT_EQ(kind(Published::Event), 1u);
  EXPECT_EQ(kind(Published::Response), 1u);
  EXPECT_EQ(kind(Published::Telemetry) + kind(Published::Attributes) + kind(Published::Event) + kind(Published::Response),
            c.published);
}

TEST(EmulatorGateway, RequestsAreCountedByResultWithTheirServiceTime) {
  Harness h(kScenario);
  h.connect();
  h.downlink("gateway/command/gw-1/r1", R"({"gateway_data":{"method":"Restart","params":{"mode":"a","on":true}}})");
  h.advance_to(h.now + 20);
  h.downlink("gateway/command/gw-1/r2", R"({"gateway_data":{"method":"Break"}})");
  h.downlink("gateway/command/gw-1/r3", R"({"gateway_data":{"method":"Dance"}})");
  const Counters& c = h.metrics.counters;
  EXPECT_EQ(c.commands, 3u);
  EXPECT_EQ(c.commands_failed, 2u);  // injected (Break) and unknown method (Dance)
  EXPECT_EQ(c.failures_injected, 1u);
  // Answered as the scenario says: not errors of the emulator.
  EXPECT_EQ(c.request_failures, 0u);
  EXPECT_EQ(c.errors, 0u);
  ASSERT_EQ(h.metrics.request_service_run.count(), 3u);
  EXPECT_EQ(*h.metrics.request_service_run.percentile(1.0), 21);  // Restart's 20 ms: bucket 20..22, reported at its middle
  EXPECT_EQ(*h.metrics.request_service_run.percentile(0.5), 0);
}

TEST(EmulatorGateway, ARequestForADeviceNotInTheTopologyIsARequestFailure) {
  Harness h(kScenario);
  h.connect();
  const std::size_t mark = h.published.size();
  h.downlink("gateway/command/gw-1/u1", R"({"sub_device_data":{"nobody":{"method":"Restart"}}})");
  const auto responses = h.sent("gateway/command/response/u1", mark);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Harness::body(responses[0])["result"], 1);
  const Counters& c = h.metrics.counters;
  EXPECT_EQ(c.commands, 1u);
  EXPECT_EQ(c.commands_failed, 1u);
  EXPECT_EQ(c.request_failures, 1u);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.protocol_errors + c.refused + c.report_ack_timeouts + c.script_errors, 0u);
}

TEST(EmulatorGateway, ReportsNoPlatformAckedAreReportAckTimeoutsNotProtocolErrors) {
  Harness h(kScenario);
  h.connect();  // an attribute report goes out on connect; nobody acks it
  h.advance_to(h.now + 30'000);
  const Counters& c = h.metrics.counters;
  EXPECT_GE(c.report_ack_timeouts, 2u);  // the connect's attribute report and the events
  EXPECT_EQ(c.report_ack_timeouts, c.errors);
  EXPECT_EQ(c.protocol_errors, 0u);
  EXPECT_EQ(c.reports_acked, 0u);
}

TEST(EmulatorGateway, ARefusedSubscriptionIsCountedAsRefused) {
  Harness h(kScenario);
  h.suback_code = 0x80;
  h.connect();
  const Counters& c = h.metrics.counters;
  EXPECT_GE(c.refused, 1u);
  EXPECT_EQ(c.refused, c.errors);
  EXPECT_EQ(c.protocol_errors, 0u);
}

TEST(EmulatorGateway, ChurnDisconnectsAndComesBackAfterOfflineS) {
  Harness h(R"({"churn":{"every_s":10,"jitter":0,"offline_s":5,"abrupt":false},
               "broker":{"reconnect":{"min_delay_s":1,"max_delay_s":2}},
               "gateway":{"telemetry":{"x":1}}})");
  h.connect();
  const std::int64_t t0 = h.now;
  h.advance_to(t0 + 9999);
  EXPECT_TRUE(h.gw.connected());
  h.gw.tick(h.now = t0 + 10000, h.sink);
  auto packets = h.take();
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(std::holds_alternative<mqtt::Disconnect>(packets.back()));  // abrupt: false
  EXPECT_TRUE(h.last_flags & kCloseTransport);
  EXPECT_FALSE(h.gw.connected());
  h.gw.transport_closed(h.now, h.sink);
  h.advance_to(t0 + 14999);
  EXPECT_FALSE(h.last_flags & kOpenTransport);
  h.gw.tick(h.now = t0 + 15000, h.sink);
  h.take();
  EXPECT_TRUE(h.last_flags & kOpenTransport);
  h.open_and_connack();
  EXPECT_EQ(h.metrics.counters.reconnects, 1u);
}

TEST(EmulatorGateway, OfflineBufferKeepsTheFirstUplinksAndCountsDrops) {
  Harness h(R"({"offline_buffer":3,"gateway":{"telemetry_interval_s":1,"telemetry":{"x":{"type":"counter"}}}})");
  h.gw.start(h.now, h.sink);
  h.take();  // the host never opens the transport for now
  const std::int64_t t0 = h.now;
  h.advance_to(t0 + 9999);
  EXPECT_EQ(h.metrics.counters.published, 3u);
  EXPECT_EQ(h.metrics.counters.dropped, 7u);
  h.open_and_connack();
  const auto telemetry = h.sent("gateway/telemetry");
  ASSERT_EQ(telemetry.size(), 3u);
  EXPECT_EQ(Harness::body(telemetry[0])["gateway_data"]["x"], 0);
  EXPECT_EQ(Harness::body(telemetry[2])["gateway_data"]["x"], 2);
}

TEST(EmulatorGateway, HistoricalBatchesSamplesWithMillisecondTimestamps) {
  Harness h(R"({"gateway":{"telemetry_interval_s":1,"historical":{"batch":3},"telemetry":{"x":{"type":"counter"}}}})");
  h.connect();
  const std::int64_t t0 = h.now;
  h.advance_to(t0 + 3500);
  const auto telemetry = h.sent("gateway/telemetry");
  ASSERT_EQ(telemetry.size(), 1u);
  const json body = Harness::body(telemetry[0]);
  ASSERT_TRUE(body["gateway_data"].is_array());
  ASSERT_EQ(body["gateway_data"].size(), 3u);
  EXPECT_EQ(body["gateway_data"][2]["values"]["x"], 2);
  // docs/thingspanel.md#timestamps: milliseconds, one interval apart.
  EXPECT_EQ(body["gateway_data"][1]["ts"].get<std::int64_t>() - body["gateway_data"][0]["ts"].get<std::int64_t>(), 1000);
  EXPECT_TRUE(gateway::parse_gateway_value(gateway::PayloadKind::Telemetry, body).ok());
}

TEST(EmulatorGateway, StopSendsDisconnectClosesAndEnds) {
  Harness h(kScenario);
  h.connect();
  h.gw.stop(h.now, h.sink);
  auto packets = h.take();
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(std::holds_alternative<mqtt::Disconnect>(packets.back()));
  EXPECT_EQ(h.last_flags & (kCloseTransport | kEnded), kCloseTransport | kEnded);
  EXPECT_FALSE(h.gw.next_deadline().has_value());
  EXPECT_EQ(h.metrics.counters.connected, 0);
}

TEST(EmulatorGateway, SizeOfOneGatewayOfTheDefaultScenario) {
  // Per-gateway memory budget note: the object itself, its own containers, and the
  // session/role state. Printed for the record; bounded loosely so growth is noticed.
  Harness h(default_scenario_json());
  h.connect();
  h.advance_to(h.now + 5000);
  std::printf("[ size ] sizeof(VirtualGateway) = %zu, own heap = %zu bytes, slots = %zu x %zu bytes\n",
              sizeof(VirtualGateway), h.gw.state_heap_bytes(), h.scenario->topology.slots.size(), sizeof(Slot));
  EXPECT_LE(sizeof(VirtualGateway), 4096u);
  EXPECT_LE(h.gw.state_heap_bytes(), 4096u);
}

}  // namespace
}  // namespace tpgate::emulator::test
