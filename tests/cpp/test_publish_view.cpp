// The PUBLISH path without a Packet (PublishView, encode_publish,
// plan_publish + write_publish, ClientSession::publish(topic, payload, ...)),
// checked against the general path it stands in for: the same bytes, the same
// errors, the same events, for many generated inputs.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

// Topics the session and the encoder must agree on, the bad ones included.
const std::vector<std::string> kTopics = {
    "v1/gateway/telemetry", "a", "x/y/z", "", "a/+/b", "#", "caf\xC3\xA9", "bad\xC3", std::string("nul\0byte", 8),
    "$SYS/broker", std::string(300, 't'), "\xEF\xBB\xBF" "bom", "/", "sp ace"};

Bytes payload_of(std::size_t size, std::uint32_t seed) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>((i * 31 + seed) & 0xFF);
  return bytes;
}

// Sizes around the Remaining Length's 1-, 2- and 3-byte boundaries.
const std::vector<std::size_t> kPayloadSizes = {0, 1, 99, 100, 103, 104, 105, 120, 127, 128, 16'000, 16'383, 16'384, 20'000};

Properties properties_of(std::uint32_t pick) {
  Properties p;
  switch (pick % 7) {
    case 0: break;
    case 1: p.topic_alias = 3; break;
    case 2: p.topic_alias = 0; break;  // invalid
    case 3:
      p.content_type = "application/json";
      p.user_properties = {{"k", "v"}, {"k", "w"}};
      break;
    case 4:
      p.payload_format_indicator = 1;
      p.message_expiry_interval = 60;
      p.response_topic = "reply/here";
      p.correlation_data = Bytes{1, 2, 3};
      p.topic_alias = 65'535;
      break;
    case 5: p.response_topic = "reply/+"; break;  // invalid: a wildcard in a topic name
    case 6: p.session_expiry_interval = 10; break;  // not allowed in PUBLISH
  }
  return p;
}

std::string outcome(const Status& status, const Bytes& out) {
  if (!status) {
    return "error " + std::to_string(static_cast<int>(status.error().reason)) + ": " + status.error().message;
  }
  return hex(out);
}

TEST(PublishView, EncodesWhatTheGeneralEncoderEncodes) {
  std::mt19937 random(7);
  int compared = 0;
  for (const ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    for (const std::string& topic : kTopics) {
      for (const std::size_t size : kPayloadSizes) {
        for (int round = 0; round < 6; ++round) {
          Publish p;
          p.topic = topic;
          p.payload = payload_of(size, random());
          p.qos = static_cast<QoS>(random() % 4);  // 3 is invalid
          p.dup = random() % 4 == 0;
          p.retain = random() % 2 == 0;
          p.packet_id = static_cast<std::uint16_t>(random() % 3 == 0 ? 0 : random() % 65'536);
          p.properties = properties_of(random());
          const std::uint32_t limits[] = {0, 40, 130, 16'400, 20'030};
          const EncodeOptions options{version, limits[random() % 5]};

          Bytes general = {0xAA};  // both append after what is there
          const Status a = encode(p, options, general);
          Bytes viewed = {0xAA};
          PublishView view{p.topic, p.payload, p.qos, p.retain, p.dup, p.packet_id, &p.properties, 0};
          const Status b = encode_publish(view, options, viewed);
          ASSERT_EQ(outcome(a, general), outcome(b, viewed)) << "topic '" << topic << "' size " << size;

          // Without a Properties object: none, or the alias alone.
          if (p.properties.empty() || (p.properties.topic_alias && *p.properties.topic_alias != 0 &&
                                       p.properties == Properties{.topic_alias = p.properties.topic_alias})) {
            PublishView bare = view;
            bare.properties = nullptr;
            bare.topic_alias = p.properties.topic_alias.value_or(0);
            Bytes plain = {0xAA};
            const Status c = encode_publish(bare, options, plain);
            ASSERT_EQ(outcome(a, general), outcome(c, plain)) << "topic '" << topic << "' size " << size;
            // The planned form measures and writes the same, given valid fields.
            if (a) {
              Result<PublishPlan> plan = plan_publish(bare, options);
              ASSERT_TRUE(plan.ok());
              Bytes planned = {0xAA};
              write_publish(bare, *plan, version, planned);
              EXPECT_EQ(hex(general), hex(planned));
              EXPECT_EQ(plan->total + 1, planned.size());
            }
          }
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

TEST(PublishView, PlanRefusesWhatTheEncoderRefusesForSize) {
  const Bytes payload(200, 'p');
  for (const ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    for (std::uint32_t limit = 200; limit < 240; ++limit) {
      for (const std::uint16_t alias : {std::uint16_t{0}, std::uint16_t{9}}) {
        if (version == ProtocolVersion::v311 && alias != 0) continue;
        Publish p = message("size/check", "", QoS::AtLeastOnce);
        p.payload = payload;
        p.packet_id = 1;
        if (alias != 0) p.properties.topic_alias = alias;
        Bytes general;
        const Status a = encode(p, EncodeOptions{version, limit}, general);
        PublishView view{p.topic, p.payload, p.qos, false, false, 1, nullptr, alias};
        Result<PublishPlan> plan = plan_publish(view, EncodeOptions{version, limit});
        ASSERT_EQ(a.ok(), plan.ok()) << limit;
        if (!a) {
          EXPECT_EQ(a.error().message, plan.error().message);
          EXPECT_EQ(a.error().reason, plan.error().reason);
        } else {
          EXPECT_EQ(general.size(), plan->total);
        }
      }
    }
  }
}

// --- the session's publish(topic, payload, ...) against publish(Publish) -----

std::string describe(const Result<Token>& r) {
  if (r) return "token " + std::to_string(r.value());
  return "error " + std::to_string(static_cast<int>(r.error().reason)) + ": " + r.error().message;
}

std::string describe(const Output& out) {
  std::string text = "bytes [" + hex(out.bytes) + "] events [";
  for (const Event& e : out.events) {
    text += event_name(e);
    if (const auto* c = std::get_if<PublishCompleteEvent>(&e)) {
      text += "(" + std::to_string(c->token) + "," + std::to_string(static_cast<int>(c->qos)) + "," +
              std::to_string(c->packet_id) + "," + std::to_string(c->reason_code) + ")";
    } else if (const auto* f = std::get_if<OperationFailedEvent>(&e)) {
      text += "(" + std::to_string(f->token) + "," + f->error.message + ")";
    }
    text += ' ';
  }
  text += "] open " + std::to_string(out.open_transport) + " close " + std::to_string(out.close_transport);
  return text;
}

// Two sessions driven alike, one publishing through each entry point.
struct Pair {
  explicit Pair(SessionOptions options) : general(options), viewed(options) {}

  void both(const std::function<void(Conversation&)>& step) {
    step(general);
    step(viewed);
    same();
  }
  void publish(const std::string& topic, const Bytes& payload, QoS qos, bool retain = false) {
    Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    p.retain = retain;
    const Result<Token> a = general.session.publish(std::move(p), general.now);
    const Result<Token> b = viewed.session.publish(topic, payload, qos, retain, viewed.now);
    ASSERT_EQ(describe(a), describe(b)) << "topic '" << topic << "'";
    same();
  }
  void same() {
    ASSERT_EQ(describe(general.take()), describe(viewed.take()));
    ASSERT_EQ(general.session.inflight_count(), viewed.session.inflight_count());
    ASSERT_EQ(general.session.queued_count(), viewed.session.queued_count());
  }

  Conversation general;
  Conversation viewed;
};

// CONNACK v5 with Topic Alias Maximum 2, Receive Maximum 2, Maximum QoS 1,
// Retain Available 0 and Maximum Packet Size 64.
const Bytes kConnAckLimits = {0x20, 0x12, 0x00, 0x00, 0x0F,  //
                              0x22, 0x00, 0x02,              // topic alias maximum 2
                              0x21, 0x00, 0x02,              // receive maximum 2
                              0x24, 0x01,                    // maximum QoS 1
                              0x25, 0x00,                    // retain not available
                              0x27, 0x00, 0x00, 0x00, 0x40};  // maximum packet size 64
// CONNACK v5 with Topic Alias Maximum 3 only.
const Bytes kConnAckAliases = {0x20, 0x06, 0x00, 0x00, 0x03, 0x22, 0x00, 0x03};

void run_script(SessionOptions options, const Bytes& connack, std::uint32_t seed) {
  Pair pair(options);
  std::mt19937 random(seed);
  const std::vector<std::string> topics = {"a", "bb", "v1/gateway/telemetry", "x/+", "", "c", "d/e"};
  auto publish_some = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const std::string& topic = topics[random() % topics.size()];
      const std::size_t sizes[] = {0, 1, 10, 30, 40, 45, 50, 55, 60, 100};
      pair.publish(topic, payload_of(sizes[random() % 10], random()), static_cast<QoS>(random() % 4),
                   random() % 5 == 0);
      if (testing::Test::HasFatalFailure()) return;
    }
  };
  // Offline: everything that is accepted is queued.
  publish_some(6);
  pair.both([](Conversation& c) { c.start(); });
  pair.both([](Conversation& c) { c.open(); });
  pair.both([&](Conversation& c) { c.receive(connack); });
  publish_some(30);
  // Acknowledge what is in flight (QoS 1 identifiers from 1), then more.
  for (std::uint8_t id = 1; id < 12; ++id) {
    pair.both([&](Conversation& c) { c.receive({0x40, 0x02, 0x00, id}); });
    pair.both([&](Conversation& c) { c.receive({0x50, 0x02, 0x00, id}); });
  }
  publish_some(30);
  // A new connection: aliases start over, in-flight messages are resent.
  pair.both([](Conversation& c) { c.closed(); });
  pair.both([](Conversation& c) { c.at(10'000); });
  pair.both([](Conversation& c) { c.open(); });
  pair.both([&](Conversation& c) { c.receive(connack); });
  publish_some(20);
  pair.both([](Conversation& c) { c.session.disconnect(c.now); });
  pair.both([](Conversation&) {});
  publish_some(3);  // closed
}

TEST(PublishView, SessionPublishesAsThroughAPublish) {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run_script(options_v5(), kConnAckV5, seed);
    run_script(options_v5(), kConnAckLimits, seed);
    run_script(options_v5(), kConnAckAliases, seed);
    run_script(options_311(), kConnAck311, seed);
    SessionOptions no_alias = options_v5();
    no_alias.auto_topic_alias = false;
    run_script(no_alias, kConnAckAliases, seed);
    SessionOptions small_queue = options_v5();
    small_queue.max_queued = 3;
    run_script(small_queue, kConnAckLimits, seed);
    if (HasFatalFailure()) return;
  }
}

TEST(PublishView, QoS0IsWrittenAtOnceWithItsAlias) {
  Conversation c(options_v5());
  c.connect(kConnAckAliases);
  const Bytes x = text_bytes("x");
  Result<Token> first = c.session.publish("a", x, QoS::AtMostOnce, false, c.now);
  ASSERT_TRUE(first.ok());
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0x30, 0x08, 0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x01, 'x'}));
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, first.value());
  ASSERT_TRUE(c.session.publish("a", x, QoS::AtMostOnce, false, c.now).ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'x'}));
}

TEST(PublishView, OneByteTopicWhoseAliasWouldNotFitGoesPlain) {
  Conversation c(options_v5());
  // Topic Alias Maximum 1, Maximum Packet Size 7: "a" with payload "x" is 7
  // bytes plain, 10 with a new alias.
  c.connect({0x20, 0x0B, 0x00, 0x00, 0x08, 0x22, 0x00, 0x01, 0x27, 0x00, 0x00, 0x00, 0x07});
  ASSERT_TRUE(c.session.publish("a", text_bytes("x"), QoS::AtMostOnce, false, c.now).ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));
  Result<Token> too_large = c.session.publish("a", text_bytes("xy"), QoS::AtMostOnce, false, c.now);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().reason, ReasonCode::PacketTooLarge);
}

}  // namespace
}  // namespace tpgate::mqtt::test

// --- receiving with an EventSink (PUBLISH read in place) -------------------------

namespace tpgate::mqtt::test {
namespace {

// Collects what a sink is given as the events Output::events would hold.
class CollectingSink : public EventSink {
 public:
  void message(const PublishView& m) override {
    Publish p;
    p.dup = m.dup;
    p.qos = m.qos;
    p.retain = m.retain;
    p.topic.assign(m.topic);
    p.packet_id = m.packet_id;
    p.properties = *m.properties;
    p.payload.assign(m.payload.begin(), m.payload.end());
    events.emplace_back(MessageEvent{std::move(p)});
    ++messages;
  }
  void event(Event&& e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
  int messages = 0;
};

std::string describe_events(const std::vector<Event>& events) {
  std::string text;
  for (const Event& e : events) {
    text += event_name(e);
    if (const auto* m = std::get_if<MessageEvent>(&e)) {
      const Publish& p = m->publish;
      Bytes encoded;
      // The message as a packet: every field and property, in one string.
      Publish copy = p;
      if (copy.qos == QoS::AtMostOnce) copy.packet_id = 0;
      (void)encode(copy, EncodeOptions{ProtocolVersion::v5, 0}, encoded);
      text += "(" + hex(encoded) + " dup " + std::to_string(p.dup) + ")";
    } else if (const auto* c = std::get_if<PublishCompleteEvent>(&e)) {
      text += "(" + std::to_string(c->token) + "," + std::to_string(c->packet_id) + ")";
    } else if (const auto* d = std::get_if<DisconnectedEvent>(&e)) {
      text += "(" + d->reason.message + ")";
    } else if (const auto* r = std::get_if<ErrorEvent>(&e)) {
      text += "(" + r->error.message + ")";
    }
    text += ' ';
  }
  return text;
}

Bytes packet(const Publish& p, ProtocolVersion version) {
  Bytes out;
  const Status s = encode(p, EncodeOptions{version, 0}, out);
  EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
  return out;
}

// Inbound traffic for a session that announced Topic Alias Maximum 3: every
// QoS, DUP, properties, alias mappings and uses, acks, and packets that end
// the connection (an unknown alias, a malformed packet).
std::vector<Bytes> inbound(ProtocolVersion version, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Bytes> packets;
  const bool v5 = version == ProtocolVersion::v5;
  for (int i = 0; i < 40; ++i) {
    Publish p;
    p.topic = std::string("t/") + static_cast<char>('a' + random() % 4);
    p.payload = payload_of(random() % 3 == 0 ? 0 : random() % 300, random());
    p.qos = static_cast<QoS>(random() % 3);
    p.retain = random() % 4 == 0;
    if (p.qos != QoS::AtMostOnce) {
      p.packet_id = static_cast<std::uint16_t>(1 + random() % 6);
      p.dup = random() % 4 == 0;
    }
    if (v5) {
      switch (random() % 6) {
        case 0: p.properties.user_properties = {{"k", std::to_string(i)}}; break;
        case 1: p.properties.content_type = "text/plain"; p.properties.subscription_identifiers = {4, 9}; break;
        case 2: p.properties.topic_alias = static_cast<std::uint16_t>(1 + random() % 3); break;
        case 3:
          p.properties.topic_alias = static_cast<std::uint16_t>(1 + random() % 3);
          p.topic.clear();  // use a mapping (unknown at first: ends the connection)
          break;
        default: break;
      }
    }
    packets.push_back(packet(p, version));
    switch (random() % 8) {
      case 0: packets.push_back({0x62, 0x02, 0x00, static_cast<std::uint8_t>(1 + random() % 6)}); break;  // PUBREL
      case 1: packets.push_back({0xD0, 0x00}); break;  // PINGRESP
      default: break;
    }
  }
  if (random() % 2 == 0) packets.push_back({0x30, 0x03, 0x00, 0x01, '#'});  // wildcard in a topic name: malformed
  return packets;
}

void feed_both(Conversation& plain, Conversation& sunk, CollectingSink& sink, const Bytes& bytes) {
  plain.session.receive(bytes, plain.now);
  sunk.session.receive(bytes, sunk.now);
  Output a = plain.take();
  Output b = sunk.take();
  ASSERT_TRUE(b.events.empty());
  ASSERT_EQ(hex(a.bytes), hex(b.bytes));
  ASSERT_EQ(a.close_transport, b.close_transport);
  ASSERT_EQ(describe_events(a.events), describe_events(sink.events));
  sink.events.clear();
}

TEST(PublishView, SinkReceivesWhatOutputEventsWouldHold) {
  int delivered = 0;
  for (const ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    for (std::uint32_t seed = 1; seed <= 30; ++seed) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " v" + std::to_string(static_cast<int>(version)));
      SessionOptions o = version == ProtocolVersion::v5 ? options_v5() : options_311();
      if (version == ProtocolVersion::v5) o.connect_properties.topic_alias_maximum = 3;
      Conversation plain(o);
      Conversation sunk(o);
      CollectingSink sink;
      sunk.session.set_event_sink(&sink);
      plain.start();
      sunk.start();
      plain.open();
      sunk.open();
      const std::vector<Bytes> packets = inbound(version, seed);
      // A PUBLISH before CONNACK ends the connection either way.
      if (seed % 10 == 0) {
        feed_both(plain, sunk, sink, packets.front());
        continue;
      }
      const Bytes& connack = version == ProtocolVersion::v5 ? kConnAckV5 : kConnAck311;
      Bytes stream;
      for (const Bytes& p : packets) stream.insert(stream.end(), p.begin(), p.end());
      // Chunked three ways: the CONNACK and the stream at once, one packet
      // per call, or in pieces that split packets anywhere.
      switch (seed % 3) {
        case 0: feed_both(plain, sunk, sink, concat({connack, stream})); break;
        case 1:
          feed_both(plain, sunk, sink, connack);
          for (const Bytes& p : packets) {
            feed_both(plain, sunk, sink, p);
            // Our own QoS 0 publishes in between: their completions keep their place.
            const Result<Token> a = plain.session.publish("out", text_bytes("o"), QoS::AtMostOnce, false, plain.now);
            const Result<Token> b = sunk.session.publish("out", text_bytes("o"), QoS::AtMostOnce, false, sunk.now);
            ASSERT_EQ(describe(a), describe(b));
            feed_both(plain, sunk, sink, {});
            if (HasFatalFailure()) return;
          }
          break;
        default: {
          const Bytes all = concat({connack, stream});
          std::mt19937 random(seed);
          for (std::size_t at = 0; at < all.size();) {
            const std::size_t n = std::min<std::size_t>(all.size() - at, 1 + random() % 40);
            feed_both(plain, sunk, sink, Bytes(all.begin() + at, all.begin() + at + n));
            if (HasFatalFailure()) return;
            at += n;
          }
        }
      }
      if (HasFatalFailure()) return;
      delivered += sink.messages;
    }
  }
  EXPECT_GT(delivered, 300);  // the scripts do get past their first messages
}

}  // namespace
}  // namespace tpgate::mqtt::test
