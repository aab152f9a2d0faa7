// Session: reconnect schedule (exponential backoff, full jitter, seeded),
// resend after reconnect with and without a session on the server,
// resubscribe, Clean Start on reconnects, the server's DISCONNECT.
#include <algorithm>

#include "mqtt/backoff.hpp"
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

TEST(SessionBackoff, DelaysStayWithinTheGrowingBound) {
  JitterSource jitter(42);
  for (std::uint32_t attempt = 0; attempt < 40; ++attempt) {
    const std::uint64_t bound = std::min<std::uint64_t>(30'000, 500ULL << std::min(attempt, 40U));
    for (int draw = 0; draw < 50; ++draw) {
      const std::uint32_t d = reconnect_delay_ms(500, 30'000, attempt, jitter.next());
      ASSERT_GE(d, 500u) << attempt;
      ASSERT_LE(d, bound) << attempt;
    }
  }
  EXPECT_EQ(reconnect_delay_ms(500, 30'000, 0, 123456789), 500u);  // attempt 0: [min, min]
  EXPECT_EQ(reconnect_delay_ms(500, 100, 3, 987654321), 500u);      // a maximum below the minimum
  EXPECT_EQ(reconnect_delay_ms(500, 30'000, 100, 0), 500u);         // no overflow far out
  EXPECT_EQ(reconnect_delay_ms(500, 30'000, 100, 29'500), 30'000u);
}

TEST(SessionBackoff, SameSeedSameDelaysOtherSeedOtherDelays) {
  JitterSource a(7), b(7), other(8);
  int differences = 0;
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    if (x != other.next()) ++differences;
  }
  EXPECT_GT(differences, 15);
}

// Attempt delays of a session whose transport never opens.
std::vector<std::int64_t> failed_attempt_delays(std::uint64_t seed, int attempts) {
  SessionOptions o = options_v5();
  o.random_seed = seed;
  Conversation c(o);
  c.start();
  std::vector<std::int64_t> delays;
  for (int i = 0; i < attempts; ++i) {
    Output out = c.closed("ECONNREFUSED");
    const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
    if (disconnected == nullptr || !disconnected->reconnect_at) return {};
    delays.push_back(*disconnected->reconnect_at - c.now);
    c.at(*disconnected->reconnect_at);
  }
  return delays;
}

TEST(SessionBackoff, SessionDelaysGrowWithFullJitter) {
  // options_v5(): min 1000 ms, max 8000 ms.
  const std::int64_t bounds[] = {1000, 2000, 4000, 8000, 8000, 8000};
  std::vector<double> mean(6, 0.0);
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::vector<std::int64_t> delays = failed_attempt_delays(seed, 6);
    ASSERT_EQ(delays.size(), 6u);
    for (int i = 0; i < 6; ++i) {
      ASSERT_GE(delays[i], 1000) << "seed " << seed << " attempt " << i;
      ASSERT_LE(delays[i], bounds[i]) << "seed " << seed << " attempt " << i;
      mean[i] += static_cast<double>(delays[i]) / 200.0;
    }
  }
  // Uniform in [1000, bound]: means near 1000, 1500, 2500, 4500.
  EXPECT_EQ(mean[0], 1000.0);
  EXPECT_GT(mean[1], 1300.0);
  EXPECT_GT(mean[2], mean[1] + 500.0);
  EXPECT_GT(mean[3], mean[2] + 1000.0);
  // The seed fixes the schedule.
  EXPECT_EQ(failed_attempt_delays(99, 6), failed_attempt_delays(99, 6));
  EXPECT_NE(failed_attempt_delays(99, 6), failed_attempt_delays(100, 6));
}

TEST(SessionReconnect, AttemptCounterResetsOnConnAck) {
  Conversation c(options_v5());
  c.start();
  c.closed();
  c.at(1000);
  Output out = c.closed();  // attempt 1: [1000, 2000]
  c.at(*event_at<DisconnectedEvent>(out, 0)->reconnect_at);
  c.open();
  c.receive(kConnAckV5);
  out = c.closed();
  EXPECT_EQ(*event_at<DisconnectedEvent>(out, 0)->reconnect_at, c.now + 1000);  // attempt 0 again
}

TEST(SessionReconnect, DisabledReconnectClosesTheSession) {
  SessionOptions o = options_v5();
  o.reconnect.enabled = false;
  Conversation c(o);
  c.connect(kConnAckV5);
  Token t = c.publish(message("a", "1", QoS::AtLeastOnce));
  c.take();
  Output out = c.closed();
  ASSERT_EQ(event_names(out), "Disconnected OperationFailed");
  EXPECT_FALSE(event_at<DisconnectedEvent>(out, 0)->reconnect_at);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->token, t);
  EXPECT_EQ(c.session.state(), SessionState::Closed);
  EXPECT_FALSE(c.session.next_deadline());
}

// Connected; a (QoS 1, id 1) and b (QoS 2, id 2) unacknowledged, c (QoS 2,
// id 3) has its PUBREC and PUBREL; then the connection drops and d (QoS 1) is
// published offline. Returns the tokens a, b, c, d.
std::vector<Token> lose_connection_mid_flight(Conversation& c) {
  c.connect(kConnAckV5);
  std::vector<Token> tokens;
  tokens.push_back(c.publish(message("a", "1", QoS::AtLeastOnce)));
  tokens.push_back(c.publish(message("b", "2", QoS::ExactlyOnce)));
  tokens.push_back(c.publish(message("c", "3", QoS::ExactlyOnce)));
  c.take();
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x03}).bytes), hex({0x62, 0x02, 0x00, 0x03}));  // PUBREC 3 -> PUBREL 3
  c.now = 10;
  Output out = c.closed();
  EXPECT_EQ(event_names(out), "Disconnected");
  EXPECT_FALSE(out.close_transport);
  tokens.push_back(c.publish(message("d", "4", QoS::AtLeastOnce)));
  EXPECT_EQ(c.session.inflight_count(), 3u);
  EXPECT_EQ(c.session.queued_count(), 1u);
  EXPECT_TRUE(c.at(1010).open_transport);
  // v5 reconnects ask to resume the session.
  EXPECT_EQ(hex(c.open().bytes), hex(connect_v5(false)));
  return tokens;
}

TEST(SessionReconnect, SessionPresentResendsWithDupAndPubRelInOrder) {
  Conversation c(options_v5());
  std::vector<Token> t = lose_connection_mid_flight(c);
  Output out = c.receive(kConnAckV5Present);
  ASSERT_EQ(event_names(out), "Connected");
  EXPECT_TRUE(event_at<ConnectedEvent>(out, 0)->session_present);
  EXPECT_EQ(hex(out.bytes),
            hex(concat({{0x3A, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 0x00, '1'},     // PUBLISH a, DUP, QoS 1, id 1
                        {0x3C, 0x07, 0x00, 0x01, 'b', 0x00, 0x02, 0x00, '2'},     // PUBLISH b, DUP, QoS 2, id 2
                        {0x62, 0x02, 0x00, 0x03},                                 // PUBREL id 3
                        {0x32, 0x07, 0x00, 0x01, 'd', 0x00, 0x04, 0x00, '4'}})));  // new PUBLISH d, id 4
  EXPECT_EQ(c.session.inflight_count(), 4u);

  // The acknowledgements complete the original calls.
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x40, 0x02, 0x00, 0x01}), 0)->token, t[0]);  // PUBACK 1
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x70, 0x02, 0x00, 0x03}), 0)->token, t[2]);  // PUBCOMP 3
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x02}).bytes), hex({0x62, 0x02, 0x00, 0x02}));       // PUBREC 2
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x70, 0x02, 0x00, 0x02}), 0)->token, t[1]);  // PUBCOMP 2
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x40, 0x02, 0x00, 0x04}), 0)->token, t[3]);  // PUBACK 4
}

// MQTT 5.0 3.7.2.1: PUBCOMP "Packet Identifier not found" is not an error
// during recovery. The server completed the exchange before the connection
// dropped; the resent PUBREL finds nothing. The message was delivered.
TEST(SessionReconnect, PubcompPacketIdNotFoundAfterResendIsSuccess) {
  Conversation c(options_v5());
  std::vector<Token> t = lose_connection_mid_flight(c);
  c.receive(kConnAckV5Present);  // resends PUBREL 3
  Output out = c.receive({0x70, 0x04, 0x00, 0x03, 0x92, 0x00});  // PUBCOMP 3, 0x92 Packet Identifier not found
  ASSERT_EQ(event_names(out), "PublishComplete");
  const auto* done = event_at<PublishCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, t[2]);
  EXPECT_EQ(done->reason_code, 0) << "a delivered message must not be reported as failed";
  EXPECT_EQ(c.session.inflight_count(), 3u);
}

// The same code on a connection that saw the PUBREC is the server losing the
// exchange: it stays a failure, and the mismatch is reported.
TEST(SessionReconnect, PubcompPacketIdNotFoundWithoutRecoveryIsAnError) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  const Token token = c.publish(message("b", "2", QoS::ExactlyOnce));
  c.take();
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x01}).bytes), hex({0x62, 0x02, 0x00, 0x01}));  // PUBREC 1 -> PUBREL 1
  Output out = c.receive({0x70, 0x04, 0x00, 0x01, 0x92, 0x00});  // PUBCOMP 1, 0x92
  ASSERT_EQ(event_names(out), "Error PublishComplete");
  EXPECT_NE(event_at<ErrorEvent>(out, 0)->error.message.find("Packet Identifier not found"), std::string::npos);
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 1)->token, token);
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 1)->reason_code, 0x92);
}

TEST(SessionReconnect, NoSessionRestartsUnackedPublishesAsNew) {
  Conversation c(options_v5());
  std::vector<Token> t = lose_connection_mid_flight(c);
  Output out = c.receive(kConnAckV5);
  // c got its PUBREC: the server owns it, done. The others start over with
  // DUP 0 and fresh identifiers, before d, in call order.
  ASSERT_EQ(event_names(out), "Connected PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 1)->token, t[2]);
  EXPECT_EQ(hex(out.bytes),
            hex(concat({{0x32, 0x07, 0x00, 0x01, 'a', 0x00, 0x04, 0x00, '1'},     // PUBLISH a, QoS 1, id 4
                        {0x34, 0x07, 0x00, 0x01, 'b', 0x00, 0x05, 0x00, '2'},     // PUBLISH b, QoS 2, id 5
                        {0x32, 0x07, 0x00, 0x01, 'd', 0x00, 0x06, 0x00, '4'}})));  // PUBLISH d, QoS 1, id 6
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x40, 0x02, 0x00, 0x04}), 0)->token, t[0]);  // PUBACK 4
}

TEST(SessionReconnect, NoSessionRespectsTheNewReceiveMaximum) {
  Conversation c(options_v5());
  lose_connection_mid_flight(c);
  Output out = c.receive({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});  // CONNACK: receive maximum 1
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x07, 0x00, 0x01, 'a', 0x00, 0x04, 0x00, '1'}));  // only a
  EXPECT_EQ(c.session.queued_count(), 2u);
}

TEST(SessionReconnect, V311KeepsCleanSessionAsConfigured) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  c.publish(message("a", "1", QoS::AtLeastOnce));
  c.take();
  c.closed();
  c.at(1000);
  EXPECT_EQ(hex(c.open().bytes), hex(connect_311(true)));
  Output out = c.receive(kConnAck311);
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x06, 0x00, 0x01, 'a', 0x00, 0x02, '1'}));  // fresh flow, id 2

  SessionOptions o = options_311();
  o.clean_start = false;
  Conversation persistent(o);
  persistent.start();
  EXPECT_EQ(hex(persistent.open().bytes), hex(connect_311(false)));
  persistent.receive(kConnAck311);
  persistent.publish(message("a", "1", QoS::AtLeastOnce));
  persistent.take();
  persistent.closed();
  persistent.at(1000);
  EXPECT_EQ(hex(persistent.open().bytes), hex(connect_311(false)));
  out = persistent.receive(kConnAck311Present);
  EXPECT_EQ(hex(out.bytes), hex({0x3A, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, '1'}));  // DUP, same id 1
}

TEST(SessionReconnect, ResubscribesWhenTheServerHasNoSession) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.subscribe({Subscription{"s", QoS::AtLeastOnce}});
  c.receive({0x90, 0x04, 0x00, 0x01, 0x00, 0x01});  // SUBACK id 1: QoS 1
  Properties with_id;
  with_id.subscription_identifiers = {5};
  c.subscribe({Subscription{"x/#", QoS::AtMostOnce}, Subscription{"refused", QoS::AtMostOnce}}, with_id);
  c.receive({0x90, 0x05, 0x00, 0x02, 0x00, 0x00, 0x87});  // SUBACK id 2: QoS 0, Not authorized
  c.take();

  c.closed();
  c.at(1000);
  c.open();
  Output out = c.receive(kConnAckV5);
  ASSERT_EQ(event_names(out), "Connected");
  EXPECT_EQ(hex(out.bytes),
            hex(concat({{0x82, 0x07, 0x00, 0x03, 0x00,                    // SUBSCRIBE id 3, no properties
                         0x00, 0x01, 's', 0x01},                           //   "s" QoS 1
                        {0x82, 0x0B, 0x00, 0x04, 0x02, 0x0B, 0x05,         // SUBSCRIBE id 4, subscription id 5
                         0x00, 0x03, 'x', '/', '#', 0x00}})));             //   "x/#" QoS 0 (not "refused")
  // The session's own SUBACKs raise no completion; a refusal is reported.
  EXPECT_EQ(event_names(c.receive({0x90, 0x04, 0x00, 0x03, 0x00, 0x01})), "");
  out = c.receive({0x90, 0x04, 0x00, 0x04, 0x00, 0x87});  // SUBACK id 4: Not authorized
  ASSERT_EQ(event_names(out), "Error");
  EXPECT_EQ(event_at<ErrorEvent>(out, 0)->error.reason, ReasonCode::NotAuthorized);

  // Unsubscribed filters are not made again; with a session nothing is resent.
  Result<Token> unsub = c.session.unsubscribe({"s"}, {}, c.now);
  ASSERT_TRUE(unsub.ok());
  c.receive({0xB0, 0x04, 0x00, 0x05, 0x00, 0x00});  // UNSUBACK id 5
  c.closed();
  c.at(c.session.next_deadline().value());
  c.open();
  EXPECT_TRUE(c.receive(kConnAckV5Present).bytes.empty());
  c.closed();
  c.at(c.session.next_deadline().value());
  c.open();
  EXPECT_EQ(hex(c.receive(kConnAckV5).bytes),
            hex({0x82, 0x0B, 0x00, 0x06, 0x02, 0x0B, 0x05, 0x00, 0x03, 'x', '/', '#', 0x00}));  // only "x/#"
}

TEST(SessionReconnect, ResubscribeCanBeTurnedOff) {
  SessionOptions o = options_v5();
  o.resubscribe = false;
  Conversation c(o);
  c.connect(kConnAckV5);
  c.subscribe({Subscription{"s", QoS::AtLeastOnce}});
  c.receive({0x90, 0x04, 0x00, 0x01, 0x00, 0x01});  // SUBACK id 1
  c.closed();
  c.at(1000);
  c.open();
  EXPECT_TRUE(c.receive(kConnAckV5).bytes.empty());
}

TEST(SessionReconnect, PendingSubscribeIsSentAgain) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.subscribe({Subscription{"s", QoS::AtMostOnce}});
  c.take();
  c.closed();
  c.at(1000);
  c.open();
  Output out = c.receive(kConnAckV5);
  EXPECT_EQ(hex(out.bytes), hex({0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 's', 0x00}));  // SUBSCRIBE again, id 2
  out = c.receive({0x90, 0x04, 0x00, 0x02, 0x00, 0x00});  // SUBACK id 2
  EXPECT_EQ(event_at<SubscribeCompleteEvent>(out, 0)->token, token);
}

TEST(SessionReconnect, InboundQoS2StateFollowsTheSession) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  const Bytes publish = {0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 0x00, 'x'};   // PUBLISH QoS 2 id 7
  const Bytes resent = {0x3C, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 0x00, 'x'};    // the same, DUP
  EXPECT_EQ(event_names(c.receive(publish)), "Message");
  c.closed();
  c.at(1000);
  c.open();
  c.receive(kConnAckV5Present);
  // The server resends it: still the same message [MQTT-4.3.3-10].
  Output out = c.receive(resent);
  EXPECT_EQ(event_names(out), "");
  EXPECT_EQ(hex(out.bytes), hex({0x50, 0x02, 0x00, 0x07}));  // PUBREC id 7

  c.closed();
  c.at(c.session.next_deadline().value());
  c.open();
  c.receive(kConnAckV5);
  // No session: id 7 is a new message.
  EXPECT_EQ(event_names(c.receive(publish)), "Message");
}

TEST(SessionReconnect, ServerDisconnectIsReportedAndReconnects) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.now = 50;
  Output out = c.receive({0xE0, 0x08,                  // DISCONNECT, remaining length 8
                          0x8B,                        // Server shutting down
                          0x06,                        // properties: 6 bytes
                          0x1F, 0x00, 0x03, 'b', 'y', 'e'});  // reason string "bye"
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_TRUE(disconnected->by_server);
  EXPECT_EQ(disconnected->reason.reason, ReasonCode::ServerShuttingDown);
  EXPECT_EQ(disconnected->properties.reason_string, "bye");
  EXPECT_NE(disconnected->reason.message.find("bye"), std::string::npos);
  EXPECT_EQ(disconnected->reconnect_at, 1050);
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
  EXPECT_EQ(event_names(c.closed()), "");
  EXPECT_TRUE(c.at(1050).open_transport);
}

TEST(SessionReconnect, BytesAfterTheConnectionEndedAreIgnored) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.receive({0xE0, 0x01, 0x8B});  // DISCONNECT: Server shutting down
  EXPECT_EQ(event_names(c.receive({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'})), "");
}

// MQTT 3.1.1 with CleanSession 0: the session outlives the connection. On
// the next one (Session Present 1) the client resends its unacknowledged
// PUBLISH packets (DUP 1) and PUBREL with their original identifiers, in the
// order first sent, and still knows the QoS 2 message it is receiving.
TEST(SessionReconnect, V311ResumedSessionResendsInOrder) {
  SessionOptions o = options_311();
  o.clean_start = false;
  Conversation c(o);
  c.connect(kConnAck311);
  std::vector<Token> t;
  t.push_back(c.publish(message("a", "1", QoS::AtLeastOnce)));  // id 1
  t.push_back(c.publish(message("b", "2", QoS::ExactlyOnce)));   // id 2
  t.push_back(c.publish(message("c", "3", QoS::ExactlyOnce)));   // id 3
  t.push_back(c.publish(message("d", "4", QoS::AtLeastOnce)));   // id 4
  c.take();
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x03}).bytes), hex({0x62, 0x02, 0x00, 0x03}));  // PUBREC 3 -> PUBREL 3
  const Bytes incoming = {0x34, 0x06, 0x00, 0x01, 'i', 0x00, 0x09, 'x'};                      // PUBLISH QoS 2 id 9
  EXPECT_EQ(event_names(c.receive(incoming)), "Message");
  c.closed();
  c.at(1000);
  EXPECT_EQ(hex(c.open().bytes), hex(connect_311(false)));  // the same client identifier, CleanSession 0
  Output out = c.receive(kConnAck311Present);
  EXPECT_EQ(hex(out.bytes), hex(concat({{0x3A, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, '1'},     // PUBLISH a, DUP, id 1
                                         {0x3C, 0x06, 0x00, 0x01, 'b', 0x00, 0x02, '2'},     // PUBLISH b, DUP, id 2
                                         {0x62, 0x02, 0x00, 0x03},                           // PUBREL 3, not c again
                                         {0x3A, 0x06, 0x00, 0x01, 'd', 0x00, 0x04, '4'}})));  // PUBLISH d, DUP, id 4
  // The server's resend of id 9 is the message already delivered.
  Output again = c.receive({0x3C, 0x06, 0x00, 0x01, 'i', 0x00, 0x09, 'x'});
  EXPECT_EQ(event_names(again), "");
  EXPECT_EQ(hex(again.bytes), hex({0x50, 0x02, 0x00, 0x09}));  // PUBREC 9
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x40, 0x02, 0x00, 0x01}), 0)->token, t[0]);  // PUBACK 1
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x70, 0x02, 0x00, 0x03}), 0)->token, t[2]);  // PUBCOMP 3
}

// MQTT 3.1.1 with CleanSession 1: nothing of the previous session is reused.
// The unacknowledged message goes out again as a new one (new identifier,
// DUP 0) and identifier 9 from the server is a new message.
TEST(SessionReconnect, V311CleanSessionStartsAfresh) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  Token a = c.publish(message("a", "1", QoS::AtLeastOnce));  // id 1, never acknowledged
  c.take();
  const Bytes incoming = {0x34, 0x06, 0x00, 0x01, 'i', 0x00, 0x09, 'x'};  // PUBLISH QoS 2 id 9, no PUBREL yet
  EXPECT_EQ(event_names(c.receive(incoming)), "Message");
  c.closed();
  c.at(1000);
  EXPECT_EQ(hex(c.open().bytes), hex(connect_311(true)));
  Output out = c.receive(kConnAck311);
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x06, 0x00, 0x01, 'a', 0x00, 0x02, '1'}));  // PUBLISH a, DUP 0, id 2
  EXPECT_EQ(event_names(c.receive(incoming)), "Message");
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x40, 0x02, 0x00, 0x02}), 0)->token, a);  // PUBACK 2
}

// Message expiry never cuts short an exchange the client has started: long
// after a QoS 2 message expired, a resumed session sends its PUBREL, or the
// PUBLISH again, and both complete.
TEST(SessionReconnect, MessageExpiryDoesNotStopAnExchangeOnceSent) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Publish a = message("a", "1", QoS::ExactlyOnce);
  a.properties.message_expiry_interval = 1;
  Publish b = message("b", "2", QoS::ExactlyOnce);
  b.properties.message_expiry_interval = 1;
  Token ta = c.publish(a);  // id 1
  Token tb = c.publish(b);  // id 2
  c.take();
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x01}).bytes), hex({0x62, 0x02, 0x00, 0x01}));  // PUBREC 1 -> PUBREL 1
  c.now = 500;
  c.closed();
  c.at(10'000);  // both expired nine seconds ago
  c.open();
  Output out = c.receive(kConnAckV5Present);
  EXPECT_EQ(hex(out.bytes), hex(concat({{0x62, 0x02, 0x00, 0x01},                     // PUBREL 1
                                         {0x3C, 0x0C, 0x00, 0x01, 'b', 0x00, 0x02,    // PUBLISH b, DUP, QoS 2, id 2
                                          0x05, 0x02, 0x00, 0x00, 0x00, 0x01,         //   message expiry 1 s
                                          '2'}})));
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x70, 0x02, 0x00, 0x01}), 0)->token, ta);  // PUBCOMP 1
  EXPECT_EQ(hex(c.receive({0x50, 0x02, 0x00, 0x02}).bytes), hex({0x62, 0x02, 0x00, 0x02}));       // PUBREC 2 -> PUBREL 2
  EXPECT_EQ(event_at<PublishCompleteEvent>(c.receive({0x70, 0x02, 0x00, 0x02}), 0)->token, tb);  // PUBCOMP 2
}

// A DISCONNECT from the server with reserved bits set, or with a reason code
// DISCONNECT does not have, is a Malformed Packet: the client says so with
// DISCONNECT 0x81 and closes.
TEST(SessionReconnect, MalformedServerDisconnectGetsDisconnect0x81) {
  for (const Bytes& frame : {Bytes{0xE2, 0x00},          // DISCONNECT, flags 0010
                             Bytes{0xE0, 0x01, 0x01}}) {  // DISCONNECT, reason code 0x01
    SCOPED_TRACE(hex(frame));
    Conversation c(options_v5());
    c.connect(kConnAckV5);
    Output out = c.receive(frame);
    EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x81}));  // DISCONNECT: Malformed Packet
    EXPECT_TRUE(out.close_transport);
    ASSERT_EQ(event_names(out), "Disconnected");
    EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
  }
}


}  // namespace
}  // namespace tpgate::mqtt::test
