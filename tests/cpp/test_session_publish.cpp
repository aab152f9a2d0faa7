// Session: outbound QoS 0/1/2, packet identifiers, the server's Receive
// Maximum, the bounded queue; inbound QoS 0/1/2 (exactly once), our Receive
// Maximum; malformed input; disconnect().
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

TEST(SessionPublish, QoS0CompletesWhenWritten) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.now = 7;
  Token token = c.publish(message("t", "x", QoS::AtMostOnce));
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0x30, 0x05,             // PUBLISH QoS 0, remaining length 5
                                 0x00, 0x01, 't',        // topic "t"
                                 0x00,                   // no properties
                                 'x'}));                 // payload
  ASSERT_EQ(event_names(out), "PublishComplete");
  const auto* done = event_at<PublishCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, token);
  EXPECT_EQ(done->qos, QoS::AtMostOnce);
  EXPECT_EQ(c.session.inflight_count(), 0u);
  EXPECT_EQ(c.session.next_deadline(), 7 + 60'000);  // sending restarts the keep-alive period
}

TEST(SessionPublish, QoS1CompletesOnPubAck) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.publish(message("t", "x", QoS::AtLeastOnce));
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x07,             // PUBLISH QoS 1, remaining length 7
                                 0x00, 0x01, 't',        // topic
                                 0x00, 0x01,             // packet id 1
                                 0x00,                   // no properties
                                 'x'}));
  EXPECT_EQ(event_names(out), "");
  EXPECT_EQ(c.session.inflight_count(), 1u);

  out = c.receive({0x40, 0x03, 0x00, 0x01, 0x10});  // PUBACK id 1: No matching subscribers
  EXPECT_TRUE(out.bytes.empty());
  ASSERT_EQ(event_names(out), "PublishComplete");
  const auto* done = event_at<PublishCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, token);
  EXPECT_EQ(done->qos, QoS::AtLeastOnce);
  EXPECT_EQ(done->packet_id, 1);
  EXPECT_EQ(done->reason_code, 0x10);
  EXPECT_EQ(c.session.inflight_count(), 0u);
}

TEST(SessionPublish, V311QoS1) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  Token token = c.publish(message("t", "x", QoS::AtLeastOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x32, 0x06,        // PUBLISH QoS 1, remaining length 6
                                      0x00, 0x01, 't',   // topic
                                      0x00, 0x01,        // packet id 1
                                      'x'}));            // no properties in 3.1.1
  Output out = c.receive({0x40, 0x02, 0x00, 0x01});  // PUBACK id 1
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, token);
}

TEST(SessionPublish, QoS2PubRecPubRelPubComp) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.publish(message("t", "x", QoS::ExactlyOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x34, 0x07,        // PUBLISH QoS 2, remaining length 7
                                      0x00, 0x01, 't',   // topic
                                      0x00, 0x01,        // packet id 1
                                      0x00,              // no properties
                                      'x'}));
  Output out = c.receive({0x50, 0x02, 0x00, 0x01});  // PUBREC id 1
  EXPECT_EQ(hex(out.bytes), hex({0x62, 0x02, 0x00, 0x01}));  // PUBREL id 1
  EXPECT_EQ(event_names(out), "");
  // A repeated PUBREC gets the PUBREL again.
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x01}).bytes), hex({0x62, 0x02, 0x00, 0x01}));

  out = c.receive({0x70, 0x02, 0x00, 0x01});  // PUBCOMP id 1
  EXPECT_TRUE(out.bytes.empty());
  ASSERT_EQ(event_names(out), "PublishComplete");
  const auto* done = event_at<PublishCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, token);
  EXPECT_EQ(done->qos, QoS::ExactlyOnce);
  EXPECT_EQ(done->reason_code, 0);
  EXPECT_EQ(c.session.inflight_count(), 0u);
}

TEST(SessionPublish, QoS2RefusedByPubRecEndsWithoutPubRel) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.publish(message("t", "x", QoS::ExactlyOnce));
  c.take();
  Output out = c.receive({0x50, 0x03, 0x00, 0x01, 0x97});  // PUBREC id 1: Quota exceeded
  EXPECT_TRUE(out.bytes.empty());                            // no PUBREL [MQTT-4.4.0-2]
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, token);
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->reason_code, 0x97);
  EXPECT_EQ(c.session.inflight_count(), 0u);
}

TEST(SessionPublish, AcksForUnknownIdsAreReportedAndIgnored) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x40, 0x02, 0x00, 0x09});  // PUBACK id 9, never sent
  ASSERT_EQ(event_names(out), "Error");
  EXPECT_EQ(event_at<ErrorEvent>(out, 0)->error.reason, ReasonCode::PacketIdentifierNotFound);
  EXPECT_FALSE(out.close_transport);

  out = c.receive({0x70, 0x02, 0x00, 0x09});  // PUBCOMP id 9
  EXPECT_EQ(event_names(out), "Error");
  out = c.receive({0x50, 0x02, 0x00, 0x09});  // PUBREC id 9
  EXPECT_EQ(event_names(out), "Error");
  EXPECT_EQ(hex(out.bytes), hex({0x62, 0x03, 0x00, 0x09, 0x92}));  // PUBREL id 9: Packet Identifier not found
  EXPECT_EQ(c.session.state(), SessionState::Connected);

  // A QoS 1 PUBLISH answered with PUBCOMP: the wrong acknowledgement.
  c.publish(message("t", "x", QoS::AtLeastOnce));
  c.take();
  EXPECT_EQ(event_names(c.receive({0x70, 0x02, 0x00, 0x01})), "Error");
  EXPECT_EQ(c.session.inflight_count(), 1u);
}

TEST(SessionPublish, InvalidTopicIsRefusedAtOnce) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Result<Token> wildcard = c.session.publish(message("a/+", "x", QoS::AtMostOnce), c.now);
  ASSERT_FALSE(wildcard.ok());
  EXPECT_EQ(wildcard.error().reason, ReasonCode::TopicNameInvalid);
  Result<Token> empty = c.session.publish(message("", "x", QoS::AtMostOnce), c.now);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().reason, ReasonCode::TopicNameInvalid);
  EXPECT_TRUE(c.take().bytes.empty());
}

TEST(SessionPublish, PacketIdsSkipIdsInFlightAcrossWrapAround) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  // Id 1 stays unacknowledged while the counter goes round.
  c.publish(message("t", "x", QoS::AtLeastOnce));
  c.take();
  for (std::uint32_t id = 2; id <= 65'535; ++id) {
    c.publish(message("t", "x", QoS::AtLeastOnce));
    c.take();
    Output ack = c.receive({0x40, 0x02, std::uint8_t(id >> 8), std::uint8_t(id)});  // PUBACK id
    ASSERT_EQ(event_names(ack), "PublishComplete") << id;
    ASSERT_EQ(event_at<PublishCompleteEvent>(ack, 0)->packet_id, id);
  }
  c.publish(message("t", "x", QoS::AtLeastOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x32, 0x07, 0x00, 0x01, 't',
                                      0x00, 0x02,  // id 2: 65535 wrapped past 1, which is in flight
                                      0x00, 'x'}));
  EXPECT_EQ(c.session.inflight_count(), 2u);
}

// CONNACK v5 with Receive Maximum 2.
const Bytes kConnAckReceiveMaximum2 = {0x20, 0x06, 0x00, 0x00,
                                       0x03, 0x21, 0x00, 0x02};  // properties: receive maximum 2

TEST(SessionPublish, ServerReceiveMaximumQueuesTheRest) {
  Conversation c(options_v5());
  c.connect(kConnAckReceiveMaximum2);
  Token t1 = c.publish(message("a", "1", QoS::AtLeastOnce));
  Token t2 = c.publish(message("b", "2", QoS::ExactlyOnce));
  Token t3 = c.publish(message("c", "3", QoS::AtLeastOnce));
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex(concat({{0x32, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 0x00, '1'},     // PUBLISH a id 1
                                         {0x34, 0x07, 0x00, 0x01, 'b', 0x00, 0x02, 0x00, '2'}})));  // PUBLISH b id 2
  EXPECT_EQ(c.session.inflight_count(), 2u);
  EXPECT_EQ(c.session.queued_count(), 1u);

  // QoS 0 is not limited by the quota (4.9) and does not wait behind it.
  c.publish(message("z", "0", QoS::AtMostOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x05, 0x00, 0x01, 'z', 0x00, '0'}));

  // A PUBREC does not free the quota, the PUBCOMP does.
  out = c.receive({0x50, 0x02, 0x00, 0x02});  // PUBREC id 2
  EXPECT_EQ(hex(out.bytes), hex({0x62, 0x02, 0x00, 0x02}));  // PUBREL id 2 only
  EXPECT_EQ(c.session.queued_count(), 1u);

  out = c.receive({0x40, 0x02, 0x00, 0x01});  // PUBACK id 1
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, t1);
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x07, 0x00, 0x01, 'c', 0x00, 0x03, 0x00, '3'}));  // PUBLISH c id 3
  EXPECT_EQ(c.session.queued_count(), 0u);

  out = c.receive({0x70, 0x02, 0x00, 0x02});  // PUBCOMP id 2
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, t2);
  out = c.receive({0x40, 0x02, 0x00, 0x03});  // PUBACK id 3
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, t3);
}

TEST(SessionPublish, OfflineQueueIsBoundedAndReportsOverflow) {
  SessionOptions o = options_v5();
  o.max_queued = 2;
  Conversation c(o);
  Token t1 = c.publish(message("a", "1", QoS::AtLeastOnce));
  Token t2 = c.publish(message("b", "2", QoS::AtMostOnce));
  Result<Token> third = c.session.publish(message("c", "3", QoS::AtLeastOnce), c.now);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().reason, ReasonCode::QuotaExceeded);
  EXPECT_EQ(third.error().message.rfind("offline queue full (2 messages)", 0), 0u) << third.error().message;
  Result<Token> subscribe = c.session.subscribe({Subscription{"s", QoS::AtMostOnce}}, {}, c.now);
  EXPECT_FALSE(subscribe.ok());
  EXPECT_EQ(c.session.queued_count(), 2u);

  // Queued messages go out after CONNACK, in the order of the calls.
  c.start();
  c.open();
  Output out = c.receive(kConnAckV5);
  EXPECT_EQ(hex(out.bytes), hex(concat({{0x32, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 0x00, '1'},  // PUBLISH a id 1
                                         {0x30, 0x05, 0x00, 0x01, 'b', 0x00, '2'}})));           // PUBLISH b QoS 0
  ASSERT_EQ(event_names(out), "Connected PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 1)->token, t2);
  EXPECT_EQ(c.session.queued_count(), 0u);
  EXPECT_NE(t1, t2);
}

// max_queued_bytes bounds the same queue by memory (about the heap bytes its
// operations hold), on both publish paths; the bytes come back as operations leave it
// (sent after CONNACK, one by one under Receive Maximum, or failed by disconnect()).
TEST(SessionPublish, OfflineQueueIsBoundedInBytes) {
  SessionOptions o = options_v5();
  o.max_queued_bytes = 8192;
  Conversation c(o);
  const Bytes payload(500, 'x');
  std::size_t accepted = 0;
  for (int i = 0; i < 100; ++i) {
    Result<Token> r = c.session.publish("t", payload, QoS::AtLeastOnce, false, c.now);
    if (!r.ok()) {
      EXPECT_EQ(r.error().reason, ReasonCode::QuotaExceeded);
      EXPECT_NE(r.error().message.find("bytes); wait for completions or raise max_queued_bytes"), std::string::npos)
          << r.error().message;
      break;
    }
    ++accepted;
    EXPECT_LE(c.session.queued_bytes(), o.max_queued_bytes);
  }
  EXPECT_GE(accepted, 5u);   // 500 bytes of payload and the operation's own
  EXPECT_LT(accepted, 17u);  // far below max_queued (10,000)
  EXPECT_EQ(c.session.queued_count(), accepted);
  const std::size_t full = c.session.queued_bytes();
  EXPECT_GE(full, accepted * payload.size());
  Result<Token> owned = c.session.publish(message("t", std::string(500, 'x'), QoS::AtMostOnce), c.now);
  ASSERT_FALSE(owned.ok());
  EXPECT_EQ(owned.error().reason, ReasonCode::QuotaExceeded);

  // CONNACK with Receive Maximum 1: one in flight, each PUBACK takes one more out of the queue.
  c.start();
  c.open();
  c.receive({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});
  EXPECT_EQ(c.session.queued_count(), accepted - 1);
  std::size_t before = c.session.queued_bytes();
  EXPECT_LT(before, full);
  for (std::uint16_t id = 1; c.session.queued_count() > 0; ++id) {
    c.receive({0x40, 0x02, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id & 0xFF)});  // PUBACK
    EXPECT_LT(c.session.queued_bytes(), before);
    before = c.session.queued_bytes();
    ASSERT_LT(id, 100);
  }
  EXPECT_EQ(c.session.queued_bytes(), 0u);

  // Full again while Receive Maximum holds them, then disconnect() fails them all.
  while (c.session.publish("t", payload, QoS::AtLeastOnce, false, c.now).ok()) {
  }
  EXPECT_GT(c.session.queued_bytes(), 0u);
  c.session.disconnect(c.now);
  EXPECT_EQ(c.session.queued_count(), 0u);
  EXPECT_EQ(c.session.queued_bytes(), 0u);
}

// An empty queue takes one operation of any size: a limit below one message must not
// refuse what would go out at once.
TEST(SessionPublish, QueueByteLimitBelowOneMessageStillTakesOne) {
  SessionOptions o = options_v5();
  o.max_queued_bytes = 64;
  Conversation c(o);
  const Bytes big(1000, 'x');
  EXPECT_TRUE(c.session.publish("t", big, QoS::AtMostOnce, false, c.now).ok());
  EXPECT_FALSE(c.session.publish("t", big, QoS::AtMostOnce, false, c.now).ok());
  c.connect(kConnAckV5);
  EXPECT_EQ(c.session.queued_bytes(), 0u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.session.publish("t", big, QoS::AtMostOnce, false, c.now).ok());
  EXPECT_EQ(c.session.queued_count(), 0u);
}

// In flight QoS 1 uplinks that a reconnect without a session puts back in the queue
// count there again, and leave it with the resend.
TEST(SessionPublish, QueueBytesFollowARestartedSession) {
  SessionOptions o = options_v5();
  o.max_queued_bytes = 1 << 20;
  Conversation c(o);
  c.connect(kConnAckV5);
  c.publish(message("a", "1", QoS::AtLeastOnce));
  c.publish(message("b", "2", QoS::AtLeastOnce));
  EXPECT_EQ(c.session.queued_bytes(), 0u);  // sent at once
  c.closed();
  c.publish(message("c", "3", QoS::AtLeastOnce));
  const std::size_t one = c.session.queued_bytes();
  EXPECT_GT(one, 0u);
  c.at(c.session.next_deadline().value());
  c.open();
  c.receive(kConnAckV5);  // no session: a, b and c go again in a fresh flow
  EXPECT_EQ(c.session.inflight_count(), 3u);
  EXPECT_EQ(c.session.queued_count(), 0u);
  EXPECT_EQ(c.session.queued_bytes(), 0u);
}

TEST(SessionPublish, QueueFullWhileWaitingForReceiveMaximum) {
  SessionOptions o = options_v5();
  o.max_queued = 1;
  Conversation c(o);
  c.connect({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});  // CONNACK: receive maximum 1
  c.publish(message("a", "1", QoS::AtLeastOnce));  // in flight
  c.publish(message("b", "2", QoS::AtLeastOnce));  // queued
  Result<Token> third = c.session.publish(message("c", "3", QoS::AtLeastOnce), c.now);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().reason, ReasonCode::QuotaExceeded);
}

TEST(SessionPublish, TooLargeForServerIsRefusedAtOnce) {
  Conversation c(options_v5());
  c.connect({0x20, 0x08, 0x00, 0x00,
             0x05, 0x27, 0x00, 0x00, 0x00, 0x14});  // CONNACK: maximum packet size 20
  Result<Token> big = c.session.publish(message("t", std::string(30, 'x'), QoS::AtLeastOnce), c.now);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().reason, ReasonCode::PacketTooLarge);
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_EQ(c.session.queued_count(), 0u);
  // One that fits still goes.
  EXPECT_TRUE(c.session.publish(message("t", "small", QoS::AtLeastOnce), c.now).ok());
}

TEST(SessionPublish, InboundQoS0AndQoS1) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'});  // PUBLISH QoS 0 "t" "x"
  EXPECT_TRUE(out.bytes.empty());
  ASSERT_EQ(event_names(out), "Message");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.topic, "t");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.payload, text_bytes("x"));

  out = c.receive({0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'y'});  // PUBLISH QoS 1 id 5
  ASSERT_EQ(event_names(out), "Message");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.qos, QoS::AtLeastOnce);
  EXPECT_EQ(hex(out.bytes), hex({0x40, 0x02, 0x00, 0x05}));  // PUBACK id 5
}

TEST(SessionPublish, InboundQoS2IsDeliveredExactlyOnce) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  const Bytes publish = {0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 0x00, 'x'};     // PUBLISH QoS 2 id 7
  const Bytes duplicate = {0x3C, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 0x00, 'x'};   // same, DUP 1
  const Bytes pubrec = {0x50, 0x02, 0x00, 0x07};                                  // PUBREC id 7

  Output out = c.receive(publish);
  EXPECT_EQ(event_names(out), "Message");
  EXPECT_EQ(hex(out.bytes), hex(pubrec));

  out = c.receive(duplicate);
  EXPECT_EQ(event_names(out), "");  // [MQTT-4.3.3-10]: no second delivery
  EXPECT_EQ(hex(out.bytes), hex(pubrec));
  out = c.receive(publish);  // even without DUP
  EXPECT_EQ(event_names(out), "");
  EXPECT_EQ(hex(out.bytes), hex(pubrec));

  out = c.receive({0x62, 0x02, 0x00, 0x07});  // PUBREL id 7
  EXPECT_EQ(hex(out.bytes), hex({0x70, 0x02, 0x00, 0x07}));  // PUBCOMP id 7
  EXPECT_EQ(event_names(out), "");

  // After PUBCOMP the id starts a new message [MQTT-4.3.3-12].
  out = c.receive(publish);
  EXPECT_EQ(event_names(out), "Message");
}

TEST(SessionPublish, PubRelForUnknownIdGetsPubCompNotFound) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x62, 0x02, 0x00, 0x09});  // PUBREL id 9
  EXPECT_EQ(hex(out.bytes), hex({0x70, 0x03, 0x00, 0x09, 0x92}));  // PUBCOMP id 9: Packet Identifier not found
  EXPECT_EQ(event_names(out), "");

  Conversation v311(options_311());
  v311.connect(kConnAck311);
  out = v311.receive({0x62, 0x02, 0x00, 0x09});  // PUBREL id 9
  EXPECT_EQ(hex(out.bytes), hex({0x70, 0x02, 0x00, 0x09}));  // PUBCOMP id 9
}

// Servers that free their send quota on PUBREC (mosquitto 2.0.x) send more
// QoS 2 messages than our Receive Maximum while earlier ones await PUBREL.
// Each was acknowledged at once, so all are delivered and the connection
// stays up (see session_inbound.cpp).
TEST(SessionPublish, QoS2AwaitingPubRelBeyondOurReceiveMaximumIsTolerated) {
  SessionOptions o = options_v5();
  o.connect_properties.receive_maximum = 1;
  Conversation c(o);
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({0x10, 0x12,                      // CONNECT, remaining length 18
                                      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                                      0x05, 0x02, 0x00, 0x3C,          // v5, clean start, keep alive 60
                                      0x03, 0x21, 0x00, 0x01,          // properties: receive maximum 1
                                      0x00, 0x02, 'c', '1'}));
  c.receive(kConnAckV5);
  Output first = c.receive({0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 0x00, 'x'});  // QoS 2 id 1
  EXPECT_EQ(event_names(first), "Message");
  EXPECT_EQ(hex(first.bytes), hex({0x50, 0x02, 0x00, 0x01}));  // PUBREC id 1
  Output second = c.receive({0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 0x00, 'y'});  // QoS 2 id 2, id 1 awaits PUBREL
  EXPECT_EQ(event_names(second), "Message");
  EXPECT_EQ(hex(second.bytes), hex({0x50, 0x02, 0x00, 0x02}));  // PUBREC id 2
  EXPECT_FALSE(second.close_transport);
  EXPECT_EQ(c.session.state(), SessionState::Connected);
  // Both complete normally, in either order.
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x02}).bytes), hex({0x70, 0x02, 0x00, 0x02}));  // PUBREL 2 -> PUBCOMP 2
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x01}).bytes), hex({0x70, 0x02, 0x00, 0x01}));  // PUBREL 1 -> PUBCOMP 1
}

TEST(SessionPublish, MalformedInputV5SendsDisconnectWithTheReason) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x42, 0x02, 0x00, 0x01,             // PUBACK with reserved flag bits set
                          0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'});  // never read
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x81}));  // DISCONNECT: Malformed Packet
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
  EXPECT_TRUE(event_at<DisconnectedEvent>(out, 0)->reconnect_at.has_value());
  // Bytes arriving after the failure are ignored.
  EXPECT_EQ(event_names(c.receive({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'})), "");
}

TEST(SessionPublish, MalformedInputV311JustCloses) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  Output out = c.receive({0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01});  // PUBLISH with QoS 3
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
}

TEST(SessionPublish, DisconnectFailsEverythingPending) {
  Conversation c(options_v5());
  c.connect({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});  // CONNACK: receive maximum 1
  Token t1 = c.publish(message("a", "1", QoS::AtLeastOnce));  // in flight
  Token t2 = c.publish(message("b", "2", QoS::AtLeastOnce));  // queued
  c.take();
  c.session.disconnect(c.now);
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x00}));  // DISCONNECT: normal disconnection
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected OperationFailed OperationFailed");
  EXPECT_FALSE(event_at<DisconnectedEvent>(out, 0)->by_server);
  EXPECT_FALSE(event_at<DisconnectedEvent>(out, 0)->reconnect_at);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->token, t1);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 2)->token, t2);
  EXPECT_EQ(c.session.state(), SessionState::Closed);
  EXPECT_FALSE(c.session.next_deadline());
  EXPECT_EQ(c.session.inflight_count() + c.session.queued_count(), 0u);

  EXPECT_FALSE(c.session.publish(message("a", "1", QoS::AtMostOnce), c.now).ok());
  EXPECT_EQ(event_names(c.closed()), "");  // the host's close confirmation changes nothing
}

TEST(SessionPublish, DisconnectWithReasonAndV311) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.session.disconnect(c.now, ReasonCode::DisconnectWithWillMessage);
  EXPECT_EQ(hex(c.take().bytes), hex({0xE0, 0x01, 0x04}));  // DISCONNECT: with will message

  Conversation v311(options_311());
  v311.connect(kConnAck311);
  v311.session.disconnect(v311.now, ReasonCode::DisconnectWithWillMessage);
  EXPECT_EQ(hex(v311.take().bytes), hex({0xE0, 0x00}));  // DISCONNECT 3.1.1 has no reason code
}

// mosquitto 2.0.x, restarted from its persistence file, resends QoS 2
// messages it had already completed. The resend (same id, topic, payload, DUP)
// is acknowledged through the whole flow but delivered only once.
TEST(SessionPublish, BrokerResendOfCompletedQoS2IsNotDeliveredTwice) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  const Bytes publish = {0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'};      // QoS 2 id 5 "x"
  const Bytes resend = {0x3C, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'};       // the same, DUP
  const Bytes other = {0x3C, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'y'};        // DUP, id 5, other payload
  EXPECT_EQ(event_names(c.receive(publish)), "Message");
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x05}).bytes), hex({0x70, 0x02, 0x00, 0x05}));  // PUBREL -> PUBCOMP
  c.closed();
  c.at(c.session.next_deadline().value());
  c.open();
  c.receive({0x20, 0x03, 0x01, 0x00, 0x00});  // CONNACK, session present
  Output again = c.receive(resend);
  EXPECT_EQ(event_names(again), "");                                  // not delivered again
  EXPECT_EQ(hex(again.bytes), hex({0x50, 0x02, 0x00, 0x05}));         // but PUBREC
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x05}).bytes), hex({0x70, 0x02, 0x00, 0x05}));  // and PUBCOMP
  // A DUP message with a reused id but other content is a different message.
  EXPECT_EQ(event_names(c.receive(other)), "Message");
}

TEST(SessionPublish, QoS2ResendWindowCanBeTurnedOff) {
  SessionOptions o = options_v5();
  o.inbound_qos2_window = 0;
  Conversation c(o);
  c.connect(kConnAckV5);
  EXPECT_EQ(event_names(c.receive({0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'})), "Message");
  c.receive({0x62, 0x02, 0x00, 0x05});
  EXPECT_EQ(event_names(c.receive({0x3C, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'})), "Message");
}

// MQTT 3.1.1 outbound: QoS 0 without a packet identifier and with DUP 0,
// QoS 2 through PUBREC, PUBREL (flags 0010) and PUBCOMP on one identifier,
// and topics the protocol forbids refused before anything is written.
TEST(SessionPublish, V311OutboundQoS0AndQoS2) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  c.publish(message("t", "x", QoS::AtMostOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x04,        // PUBLISH QoS 0, DUP 0, remaining length 4
                                      0x00, 0x01, 't',   // topic, then no packet identifier [MQTT-2.3.1-5]
                                      'x'}));
  Token token = c.publish(message("t", "y", QoS::ExactlyOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x34, 0x06,        // PUBLISH QoS 2, DUP 0, remaining length 6
                                      0x00, 0x01, 't',   // topic
                                      0x00, 0x01,        // packet id 1
                                      'y'}));
  Output out = c.receive({0x50, 0x02, 0x00, 0x01});            // PUBREC id 1
  EXPECT_EQ(hex(out.bytes), hex({0x62, 0x02, 0x00, 0x01}));    // PUBREL, flags 0010, id 1
  EXPECT_EQ(event_names(out), "");
  out = c.receive({0x70, 0x02, 0x00, 0x01});                   // PUBCOMP id 1
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, token);
  // Wildcards and empty topic names never reach the wire [MQTT-3.3.2-2] [MQTT-4.7.3-1].
  for (const char* topic : {"a/#", "+", "a/+/b", ""}) {
    EXPECT_FALSE(c.session.publish(message(topic, "x", QoS::AtMostOnce), c.now).ok()) << topic;
  }
  EXPECT_TRUE(c.take().bytes.empty());
}

// MQTT 3.1.1 inbound: PUBACK and PUBREC carry the PUBLISH's identifier; a
// QoS 1 identifier already acknowledged starts a new message, a QoS 2 one
// awaiting PUBREL does not, until PUBCOMP.
TEST(SessionPublish, V311InboundQoS1AndQoS2) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  Output out = c.receive({0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x05, 'x'});  // PUBLISH QoS 1 id 5
  EXPECT_EQ(event_names(out), "Message");
  EXPECT_EQ(hex(out.bytes), hex({0x40, 0x02, 0x00, 0x05}));               // PUBACK id 5
  out = c.receive({0x3A, 0x06, 0x00, 0x01, 't', 0x00, 0x05, 'x'});        // the same with DUP 1
  EXPECT_EQ(event_names(out), "Message");                                  // a new message
  EXPECT_EQ(hex(out.bytes), hex({0x40, 0x02, 0x00, 0x05}));

  const Bytes qos2 = {0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x07, 'y'};        // PUBLISH QoS 2 id 7
  out = c.receive(qos2);
  EXPECT_EQ(event_names(out), "Message");
  EXPECT_EQ(hex(out.bytes), hex({0x50, 0x02, 0x00, 0x07}));               // PUBREC id 7
  out = c.receive({0x3C, 0x06, 0x00, 0x01, 't', 0x00, 0x07, 'y'});        // resent, DUP 1, before PUBREL
  EXPECT_EQ(event_names(out), "");                                         // not delivered twice
  EXPECT_EQ(hex(out.bytes), hex({0x50, 0x02, 0x00, 0x07}));               // PUBREC again
  out = c.receive({0x62, 0x02, 0x00, 0x07});                               // PUBREL id 7
  EXPECT_EQ(hex(out.bytes), hex({0x70, 0x02, 0x00, 0x07}));               // PUBCOMP id 7
  EXPECT_EQ(event_names(c.receive(qos2)), "Message");                      // after PUBCOMP: a new message
}

// One read holding several PUBLISH packets is answered in the order they
// arrived, whatever their identifiers and QoS, in both versions.
TEST(SessionPublish, AcksGoOutInTheOrderPublishesArrived) {
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    const bool v5 = version == ProtocolVersion::v5;
    Conversation c(v5 ? options_v5() : options_311());
    c.connect(v5 ? kConnAckV5 : kConnAck311);
    // PUBLISH of topic "t", payload "x", QoS 1 or 2, identifier `id`.
    auto publish = [v5](std::uint8_t qos, std::uint8_t id) {
      Bytes p = {std::uint8_t(0x30 | (qos << 1)), std::uint8_t(v5 ? 0x07 : 0x06), 0x00, 0x01, 't', 0x00, id};
      if (v5) p.push_back(0x00);  // no properties
      p.push_back('x');
      return p;
    };
    Output out = c.receive(concat({publish(1, 9), publish(2, 4), publish(1, 2), publish(2, 8), publish(1, 6)}));
    EXPECT_EQ(event_names(out), "Message Message Message Message Message");
    EXPECT_EQ(hex(out.bytes), hex(concat({{0x40, 0x02, 0x00, 0x09},      // PUBACK 9
                                           {0x50, 0x02, 0x00, 0x04},      // PUBREC 4
                                           {0x40, 0x02, 0x00, 0x02},      // PUBACK 2
                                           {0x50, 0x02, 0x00, 0x08},      // PUBREC 8
                                           {0x40, 0x02, 0x00, 0x06}})));  // PUBACK 6
  }
}

// PUBREL follows the order of the PUBRECs, not the order of the PUBLISHes.
TEST(SessionPublish, PubRelsGoOutInTheOrderPubRecsArrived) {
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    const bool v5 = version == ProtocolVersion::v5;
    Conversation c(v5 ? options_v5() : options_311());
    c.connect(v5 ? kConnAckV5 : kConnAck311);
    c.publish(message("a", "1", QoS::ExactlyOnce));  // id 1
    c.publish(message("b", "2", QoS::ExactlyOnce));  // id 2
    c.publish(message("c", "3", QoS::ExactlyOnce));  // id 3
    c.take();
    Output out = c.receive(concat({{0x50, 0x02, 0x00, 0x03},     // PUBREC 3
                                   {0x50, 0x02, 0x00, 0x01},     // PUBREC 1
                                   {0x50, 0x02, 0x00, 0x02}}));  // PUBREC 2
    EXPECT_EQ(hex(out.bytes), hex(concat({{0x62, 0x02, 0x00, 0x03},      // PUBREL 3
                                           {0x62, 0x02, 0x00, 0x01},      // PUBREL 1
                                           {0x62, 0x02, 0x00, 0x02}})));  // PUBREL 2
  }
}

// A string that is not well-formed UTF-8, or holds U+0000, is a Malformed
// Packet: the connection closes, after a DISCONNECT 0x81 in MQTT 5 (4.13)
// and without one in 3.1.1.
TEST(SessionPublish, IllFormedUtf8OrNulFromTheServerClosesTheConnection) {
  const Bytes bad_topics[] = {{0xED, 0xA0, 0x80},   // U+D800, a surrogate
                              {'a', 0x00, 'b'},     // U+0000
                              {'a', 0xC0, 0xAF}};   // an overlong '/'
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    const bool v5 = version == ProtocolVersion::v5;
    for (const Bytes& topic : bad_topics) {
      SCOPED_TRACE(hex(topic) + (v5 ? " v5" : " v3.1.1"));
      Conversation c(v5 ? options_v5() : options_311());
      c.connect(v5 ? kConnAckV5 : kConnAck311);
      Bytes publish = {0x30, std::uint8_t(v5 ? 0x07 : 0x06), 0x00, 0x03};  // PUBLISH QoS 0, topic of 3 bytes
      publish.insert(publish.end(), topic.begin(), topic.end());
      if (v5) publish.push_back(0x00);  // no properties
      publish.push_back('x');
      Output out = c.receive(publish);
      ASSERT_EQ(event_names(out), "Disconnected");
      EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
      EXPECT_TRUE(out.close_transport);
      EXPECT_EQ(hex(out.bytes), v5 ? hex({0xE0, 0x01, 0x81}) : "");  // DISCONNECT: Malformed Packet (v5 only)
    }
  }
}

// EF BB BF is U+FEFF, a character like any other: a received topic keeps it.
TEST(SessionPublish, ByteOrderMarkInATopicIsKept) {
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    const bool v5 = version == ProtocolVersion::v5;
    Conversation c(v5 ? options_v5() : options_311());
    c.connect(v5 ? kConnAckV5 : kConnAck311);
    Bytes publish = {0x30, std::uint8_t(v5 ? 0x08 : 0x07),  // PUBLISH QoS 0
                     0x00, 0x04, 0xEF, 0xBB, 0xBF, 'a'};    // topic: U+FEFF then "a"
    if (v5) publish.push_back(0x00);  // no properties
    publish.push_back('x');
    Output out = c.receive(publish);
    ASSERT_EQ(event_names(out), "Message");
    EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.topic, "\xEF\xBB\xBF" "a");
  }
}

// MQTT 3.1.1: a fixed header with other flags than Table 2.2 lists closes the
// connection (no DISCONNECT: 3.1.1 has no way to say why).
TEST(SessionPublish, V311ReservedFlagsCloseTheConnection) {
  for (const Bytes& frame : {Bytes{0x42, 0x02, 0x00, 0x01},    // PUBACK, flags 0010
                             Bytes{0x60, 0x02, 0x00, 0x01},    // PUBREL, flags 0000
                             Bytes{0x91, 0x03, 0x00, 0x01, 0x00},  // SUBACK, flags 0001
                             Bytes{0xD8, 0x00}}) {             // PINGRESP, flags 1000
    SCOPED_TRACE(hex(frame));
    Conversation c(options_311());
    c.connect(kConnAck311);
    Output out = c.receive(frame);
    EXPECT_TRUE(out.bytes.empty());
    EXPECT_TRUE(out.close_transport);
    ASSERT_EQ(event_names(out), "Disconnected");
    EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
  }
}

// After its DISCONNECT the client closes the connection and writes nothing
// more on it: no publish, no subscribe, no PINGREQ, no acknowledgement.
TEST(SessionPublish, NothingIsSentAfterDisconnect) {
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    const bool v5 = version == ProtocolVersion::v5;
    Conversation c(v5 ? options_v5() : options_311());
    c.connect(v5 ? kConnAckV5 : kConnAck311);
    c.publish(message("t", "x", QoS::AtLeastOnce));
    c.take();
    c.session.disconnect(c.now);
    Output out = c.take();
    EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x00}));  // DISCONNECT, the last packet
    EXPECT_TRUE(out.close_transport);
    EXPECT_FALSE(c.session.publish(message("t", "y", QoS::AtMostOnce), c.now).ok());
    EXPECT_FALSE(c.session.subscribe({Subscription{"s", QoS::AtMostOnce}}, {}, c.now).ok());
    EXPECT_FALSE(c.session.next_deadline());
    EXPECT_TRUE(c.at(10 * 60'000).bytes.empty());  // no PINGREQ, however long
    Bytes late = {0x32, std::uint8_t(v5 ? 0x07 : 0x06), 0x00, 0x01, 't', 0x00, 0x03};  // PUBLISH QoS 1 id 3
    if (v5) late.push_back(0x00);
    late.push_back('z');
    out = c.receive(late);
    EXPECT_TRUE(out.bytes.empty());  // not even a PUBACK
    EXPECT_EQ(event_names(out), "");
  }
}

// With the send quota at zero (Receive Maximum 1, one QoS 1 PUBLISH out),
// only QoS > 0 PUBLISH waits: everything from the server is still answered
// and other packets still go out.
TEST(SessionPublish, QuotaAtZeroStillAnswersEverythingElse) {
  Conversation c(options_v5());
  c.connect({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});  // CONNACK: receive maximum 1
  c.publish(message("a", "1", QoS::AtLeastOnce));  // id 1: the quota is used up
  c.publish(message("b", "2", QoS::AtLeastOnce));  // waits for it
  EXPECT_EQ(hex(c.take().bytes), hex({0x32, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 0x00, '1'}));  // only a
  EXPECT_EQ(hex(c.receive({0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'}).bytes),      // PUBLISH QoS 1 id 5
            hex({0x40, 0x02, 0x00, 0x05}));                                                    // PUBACK 5
  EXPECT_EQ(hex(c.receive({0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x06, 0x00, 'y'}).bytes),      // PUBLISH QoS 2 id 6
            hex({0x50, 0x02, 0x00, 0x06}));                                                    // PUBREC 6
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x06}).bytes), hex({0x70, 0x02, 0x00, 0x06}));  // PUBREL 6 -> PUBCOMP 6
  ASSERT_TRUE(c.session.unsubscribe({"s"}, {}, c.now).ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0xA2, 0x06, 0x00, 0x02, 0x00, 0x00, 0x01, 's'}));  // UNSUBSCRIBE id 2
  EXPECT_EQ(hex(c.at(60'000).bytes), hex({0xC0, 0x00}));                                 // PINGREQ
  EXPECT_EQ(c.session.queued_count(), 1u);
  // The PUBACK gives the quota back, and b goes.
  EXPECT_EQ(hex(c.receive({0x40, 0x02, 0x00, 0x01}).bytes),
            hex({0x32, 0x07, 0x00, 0x01, 'b', 0x00, 0x03, 0x00, '2'}));  // PUBLISH b id 3
}

// Within one connection an unacknowledged PUBLISH is never sent again: the
// only resend is on a new connection that resumes the session (4.4).
TEST(SessionPublish, UnacknowledgedPublishIsNotResentOnTheSameConnection) {
  for (ProtocolVersion version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    const bool v5 = version == ProtocolVersion::v5;
    Conversation c(v5 ? options_v5() : options_311());
    c.connect(v5 ? kConnAckV5 : kConnAck311);
    c.publish(message("a", "1", QoS::AtLeastOnce));
    c.publish(message("b", "2", QoS::ExactlyOnce));
    c.take();
    for (std::int64_t period = 1; period <= 10; ++period) {
      EXPECT_EQ(hex(c.at(period * 60'000).bytes), hex({0xC0, 0x00}));  // PINGREQ only
      EXPECT_TRUE(c.receive({0xD0, 0x00}).bytes.empty());              // PINGRESP
    }
    EXPECT_EQ(c.session.inflight_count(), 2u);
  }
}

// Properties of a PUBLISH are checked before it is queued: a Response Topic
// must be a UTF-8 Topic Name without wildcards, a Content Type and both
// strings of a User Property well-formed UTF-8.
TEST(SessionPublish, InvalidPublishPropertiesAreRefusedAtOnce) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  std::vector<Publish> bad(4, message("t", "x", QoS::AtLeastOnce));
  bad[0].properties.response_topic = "replies/#";                      // a wildcard
  bad[1].properties.response_topic = "replies/\xC3";                   // truncated UTF-8
  bad[2].properties.content_type = std::string("text\0plain", 10);     // U+0000
  bad[3].properties.user_properties = {{"k", "\xED\xA0\x80"}};         // a surrogate in the value
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(c.session.publish(bad[i], c.now).ok()) << i;
  }
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_EQ(c.session.inflight_count() + c.session.queued_count(), 0u);
}

// An incoming QoS 2 message with a Message Expiry Interval is acknowledged
// to the end even when it has expired meanwhile.
TEST(SessionPublish, InboundQoS2WithMessageExpiryCompletesTheExchange) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x34, 0x0C, 0x00, 0x01, 't', 0x00, 0x04,   // PUBLISH QoS 2 id 4
                          0x05, 0x02, 0x00, 0x00, 0x00, 0x01,         // properties: message expiry 1 s
                          'x'});
  EXPECT_EQ(event_names(out), "Message");
  EXPECT_EQ(hex(out.bytes), hex({0x50, 0x02, 0x00, 0x04}));  // PUBREC 4
  c.now = 10'000;                                            // long expired
  EXPECT_EQ(hex(c.receive({0x62, 0x02, 0x00, 0x04}).bytes), hex({0x70, 0x02, 0x00, 0x04}));  // PUBREL -> PUBCOMP
}

// Once its PUBACK is sent, a QoS 1 identifier starts a new message, DUP set
// or not.
TEST(SessionPublish, QoS1IdentifierAlreadyAcknowledgedStartsANewMessage) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  EXPECT_EQ(hex(c.receive({0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'}).bytes),  // PUBLISH QoS 1 id 5
            hex({0x40, 0x02, 0x00, 0x05}));                                                // PUBACK 5
  Output out = c.receive({0x3A, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x'});            // the same, DUP 1
  EXPECT_EQ(event_names(out), "Message");
  EXPECT_EQ(hex(out.bytes), hex({0x40, 0x02, 0x00, 0x05}));
}



// [MQTT-3.3.4-6]: a PUBLISH from a client carries no Subscription Identifier.
// Passing on a received message's properties would add one: refused at the call.
TEST(SessionPublish, SubscriptionIdentifierInAClientPublishIsRefused) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Publish p = message("t", "x", QoS::AtLeastOnce);
  p.properties.subscription_identifiers = {7};
  Result<Token> token = c.session.publish(p, c.now);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().reason, ReasonCode::ProtocolError);
  EXPECT_NE(token.error().message.find("MQTT-3.3.4-6"), std::string::npos) << token.error().message;
  EXPECT_TRUE(c.take().bytes.empty());
  p.properties.subscription_identifiers.clear();
  EXPECT_TRUE(c.session.publish(p, c.now).ok());
}

}  // namespace
}  // namespace tpgate::mqtt::test
