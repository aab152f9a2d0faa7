// Session: limits that change between a call and its send (a new
// connection's CONNACK), configuration the encoder refuses, moving a session.
#include <utility>

#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

TEST(SessionLimits, QueuedPublishesCheckedAgainstTheNewConnAck) {
  Conversation c(options_v5());
  Token qos2 = c.publish(message("a", "1", QoS::ExactlyOnce));
  Token big = c.publish(message("b", std::string(40, 'x'), QoS::AtMostOnce));
  Token fits = c.publish(message("c", "3", QoS::AtLeastOnce));
  c.start();
  c.open();
  Output out = c.receive({0x20, 0x0A, 0x00, 0x00,
                          0x07,                          // properties: 7 bytes
                          0x24, 0x01,                    //   maximum QoS 1
                          0x27, 0x00, 0x00, 0x00, 0x20});  //   maximum packet size 32
  ASSERT_EQ(event_names(out), "Connected OperationFailed OperationFailed");
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->token, qos2);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->error.reason, ReasonCode::QoSNotSupported);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 2)->token, big);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 2)->error.reason, ReasonCode::PacketTooLarge);
  EXPECT_EQ(hex(out.bytes), hex({0x32, 0x07, 0x00, 0x01, 'c', 0x00, 0x01, 0x00, '3'}));  // only c, id 1
  EXPECT_NE(fits, 0u);
  EXPECT_EQ(c.session.queued_count(), 0u);
}

TEST(SessionLimits, AliasOfAnUnsentPublishIsNotUsedLater) {
  Conversation c(options_v5());
  c.publish(message("a", std::string(40, 'x'), QoS::AtMostOnce));  // too large once connected
  c.start();
  c.open();
  Output out = c.receive({0x20, 0x0B, 0x00, 0x00,
                          0x08,                            // properties: 8 bytes
                          0x22, 0x00, 0x02,                //   topic alias maximum 2
                          0x27, 0x00, 0x00, 0x00, 0x20});  //   maximum packet size 32
  ASSERT_EQ(event_names(out), "Connected OperationFailed");
  // The server never saw alias 1 mapped to "a": it must come with the topic.
  c.publish(message("a", "x", QoS::AtMostOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x08, 0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x01, 'x'}));
}

TEST(SessionLimits, ResendThatNoLongerFitsFails) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token big = c.publish(message("a", std::string(40, 'x'), QoS::AtLeastOnce));
  c.subscribe({Subscription{"s", QoS::AtMostOnce}});
  c.take();
  c.closed();
  c.at(1000);
  c.open();
  Output out = c.receive({0x20, 0x08, 0x01, 0x00,
                          0x05, 0x27, 0x00, 0x00, 0x00, 0x20});  // CONNACK: session present, maximum packet size 32
  ASSERT_EQ(event_names(out), "Connected OperationFailed");
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->token, big);
  // The unacknowledged SUBSCRIBE is repeated with its identifier.
  EXPECT_EQ(hex(out.bytes), hex({0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 's', 0x00}));
  EXPECT_EQ(c.session.inflight_count(), 1u);
}

TEST(SessionLimits, WillTheEncoderRefusesClosesTheSession) {
  SessionOptions o = options_v5();
  o.will = Will{"a/#", text_bytes("x"), QoS::AtMostOnce, false, {}};
  Conversation c(o);
  c.start();
  Output out = c.open();
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_NE(event_at<DisconnectedEvent>(out, 0)->reason.message.find("CONNECT cannot be sent"), std::string::npos);
  EXPECT_EQ(c.session.state(), SessionState::Closed);  // every attempt would fail the same way
}

TEST(SessionLimits, DisconnectDropsPropertiesThatDoNotFit) {
  Conversation c(options_v5());
  c.connect({0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x08});  // CONNACK: maximum packet size 8
  Properties long_reason;
  long_reason.reason_string = "a reason string far longer than eight bytes";
  c.session.disconnect(c.now, ReasonCode::NormalDisconnection, long_reason);
  EXPECT_EQ(hex(c.take().bytes), hex({0xE0, 0x00}));  // DISCONNECT without the reason string
}

TEST(SessionLimits, SubAckWithTooFewCodesIsReported) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.subscribe({Subscription{"a", QoS::AtMostOnce}, Subscription{"b", QoS::AtMostOnce}});
  c.take();
  Output out = c.receive({0x90, 0x04, 0x00, 0x01, 0x00, 0x00});  // SUBACK id 1 with one code for two filters
  ASSERT_EQ(event_names(out), "Error SubscribeComplete");
  EXPECT_EQ(event_at<SubscribeCompleteEvent>(out, 1)->token, token);
}

TEST(SessionLimits, ServerDisconnectBeforeConnAck) {
  Conversation c(options_v5());
  c.start();
  c.open();
  Output out = c.receive({0xE0, 0x01, 0x89});  // DISCONNECT: Server busy
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::ServerBusy);
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
}

TEST(SessionLimits, MovedSessionCarriesOn) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.publish(message("t", "x", QoS::AtLeastOnce));
  c.take();

  ClientSession moved(std::move(c.session));
  EXPECT_EQ(moved.state(), SessionState::Connected);
  EXPECT_EQ(moved.options().client_id, "c1");
  const std::uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};  // PUBACK id 1
  moved.receive(puback, 0);
  EXPECT_TRUE(moved.has_output());
  Output out = moved.take_output();
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, token);
  EXPECT_FALSE(moved.has_output());

  ClientSession assigned(options_311());
  assigned = std::move(moved);
  EXPECT_EQ(assigned.options().version, ProtocolVersion::v5);
  assigned.disconnect(0);
  EXPECT_EQ(assigned.state(), SessionState::Closed);
  EXPECT_EQ(hex(assigned.take_output().bytes), hex({0xE0, 0x00}));  // DISCONNECT v5
}

}  // namespace
}  // namespace tpgate::mqtt::test
