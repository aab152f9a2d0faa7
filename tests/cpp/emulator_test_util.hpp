// A scripted broker for VirtualGateway tests on a fake clock: collects the gateway's
// output (bytes, open/close requests), decodes what it wrote with the MQTT codec, and
// feeds it packets built with the same codec (CONNACK, SUBACK, PUBACK, PUBLISH).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "emulator/fleet.hpp"
#include "emulator/virtual_gateway.hpp"
#include "mqtt/codec.hpp"

namespace tpgate::emulator::test {

struct Record {
  mqtt::Bytes bytes;
  std::uint8_t flags = 0;
};

class RecordingSink : public OutputSink {
 public:
  void write(std::span<const std::uint8_t> bytes) override {
    records.push_back(Record{mqtt::Bytes(bytes.begin(), bytes.end()), 0});
  }
  void request(std::uint8_t flags) override { records.push_back(Record{{}, flags}); }
  std::vector<Record> records;
};

inline std::shared_ptr<const Scenario> scenario_of(std::string_view text) {
  auto r = parse_scenario(text);
  EXPECT_TRUE(r.ok()) << r.error.message;
  return r.scenario;
}

inline json J(std::string_view text) { return json::parse(text); }

// One virtual gateway and the broker side of its connection.
class Harness {
 public:
  explicit Harness(std::string_view scenario_text, std::uint32_t index = 0)
      : scenario(scenario_of(scenario_text)),
        gw(scenario, gateway_identity(*scenario, index), scenario->seed, GatewayContext{&metrics, &events, index}),
        decoder(mqtt::DecoderOptions{mqtt::ProtocolVersion::v311, mqtt::Role::Server, 0}) {}

  std::shared_ptr<const Scenario> scenario;
  Metrics metrics;
  EventLog events;
  VirtualGateway gw;
  RecordingSink sink;
  mqtt::Decoder decoder;
  std::int64_t now = 1'000'000;
  bool auto_puback = true;  // answer every QoS 1 PUBLISH the gateway sends
  std::uint8_t suback_code = 1;  // the SUBACK's return code for each filter (0x80: refused)
  std::vector<mqtt::Publish> published;  // every PUBLISH the gateway sent, in order
  std::uint8_t last_flags = 0;           // OR of the requests since the last take()

  // Decodes everything the gateway wrote since the last call; returns the packets.
  std::vector<mqtt::Packet> take() {
    std::vector<mqtt::Packet> packets;
    auto records = std::move(sink.records);
    sink.records.clear();
    last_flags = 0;
    for (const auto& r : records) {
      last_flags |= r.flags;
      decoder.feed(r.bytes);
    }
    mqtt::Packet p;
    mqtt::Error e;
    while (decoder.next(p, e) == mqtt::Decoder::Status::Packet) {
      if (auto* pub = std::get_if<mqtt::Publish>(&p)) published.push_back(*pub);
      packets.push_back(p);
    }
    return packets;
  }

  void feed(const mqtt::Packet& packet) {
    mqtt::Bytes bytes;
    EXPECT_TRUE(mqtt::encode(packet, mqtt::EncodeOptions{mqtt::ProtocolVersion::v311, 0}, bytes).ok());
    gw.receive(bytes, now, sink);
    pump();
  }

  // Answers the gateway's SUBSCRIBEs and QoS 1 PUBLISHes until it has nothing more to say.
  void pump() {
    for (int round = 0; round < 50; ++round) {
      auto packets = take();
      std::vector<mqtt::Packet> answers;
      for (const auto& p : packets) {
        if (const auto* s = std::get_if<mqtt::Subscribe>(&p)) {
          answers.push_back(mqtt::SubAck{s->packet_id, {}, std::vector<std::uint8_t>(s->subscriptions.size(), suback_code)});
        } else if (const auto* pub = std::get_if<mqtt::Publish>(&p); pub && auto_puback && pub->qos == mqtt::QoS::AtLeastOnce) {
          answers.push_back(mqtt::PubAck{pub->packet_id, 0, {}});
        }
      }
      if (answers.empty()) return;
      for (const auto& a : answers) {
        mqtt::Bytes bytes;
        EXPECT_TRUE(mqtt::encode(a, mqtt::EncodeOptions{mqtt::ProtocolVersion::v311, 0}, bytes).ok());
        gw.receive(bytes, now, sink);
      }
    }
  }

  // start, open, CONNECT, CONNACK, the subscriptions.
  void connect() {
    gw.start(now, sink);
    take();
    ASSERT_TRUE(last_flags & kOpenTransport);
    open_and_connack();
  }

  void open_and_connack() {
    decoder.reset();
    gw.transport_open(now, sink);
    auto packets = take();
    ASSERT_FALSE(packets.empty());
    ASSERT_TRUE(std::holds_alternative<mqtt::Connect>(packets[0]));
    feed(mqtt::ConnAck{false, 0, {}});
    ASSERT_TRUE(gw.connected());
  }

  void downlink(const std::string& topic, std::string_view payload) {
    mqtt::Publish p;
    p.topic = topic;
    p.payload.assign(payload.begin(), payload.end());
    p.qos = mqtt::QoS::AtMostOnce;
    feed(p);
  }

  // Moves the clock to `t` in steps of the gateway's own deadlines.
  void advance_to(std::int64_t t) {
    for (int guard = 0; guard < 100000; ++guard) {
      auto d = gw.next_deadline();
      if (!d || *d > t) break;
      now = std::max(now, *d);
      gw.tick(now, sink);
      pump();
    }
    now = t;
    gw.tick(now, sink);
    pump();
  }

  // Publishes sent since index `from` whose topic starts with `prefix`.
  std::vector<mqtt::Publish> sent(std::string_view prefix, std::size_t from = 0) const {
    std::vector<mqtt::Publish> out;
    for (std::size_t i = from; i < published.size(); ++i) {
      if (published[i].topic.rfind(prefix, 0) == 0) out.push_back(published[i]);
    }
    return out;
  }

  static json body(const mqtt::Publish& p) {
    return json::parse(std::string(p.payload.begin(), p.payload.end()), nullptr, false);
  }
};

}  // namespace tpgate::emulator::test
