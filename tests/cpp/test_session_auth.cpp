// Session: MQTT 5 enhanced authentication (4.12): AUTH before CONNACK,
// re-authentication, and the rules on who may send AUTH.
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

SessionOptions scram_options() {
  SessionOptions o = options_v5();
  o.connect_properties.authentication_method = "SCRAM";
  o.connect_properties.authentication_data = text_bytes("hi");
  return o;
}

TEST(SessionAuth, ExchangeBeforeConnAck) {
  Conversation c(scram_options());
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({0x10, 0x1C,                       // CONNECT, remaining length 28
                                      0x00, 0x04, 'M', 'Q', 'T', 'T',   // protocol name
                                      0x05, 0x02, 0x00, 0x3C,           // v5, clean start, keep alive 60
                                      0x0D,                             // properties: 13 bytes
                                      0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',  // authentication method
                                      0x16, 0x00, 0x02, 'h', 'i',       // authentication data
                                      0x00, 0x02, 'c', '1'}));

  // Publishing now waits for CONNACK [MQTT-3.1.2-30].
  c.publish(message("t", "x", QoS::AtMostOnce));
  EXPECT_TRUE(c.take().bytes.empty());

  Output out = c.receive({0xF0, 0x0E,                                   // AUTH, remaining length 14
                          0x18,                                         // Continue authentication
                          0x0C,                                         // properties: 12 bytes
                          0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',    // authentication method
                          0x16, 0x00, 0x01, 'x'});                      // authentication data "x"
  ASSERT_EQ(event_names(out), "Auth");
  const auto* challenge = event_at<AuthEvent>(out, 0);
  EXPECT_EQ(challenge->auth.reason_code, 0x18);
  EXPECT_EQ(challenge->auth.properties.authentication_data, text_bytes("x"));
  EXPECT_EQ(c.session.state(), SessionState::AwaitingConnAck);

  // The answer; the session fills in the method [MQTT-4.12.0-5].
  Auth answer;
  answer.reason_code = 0x18;
  answer.properties.authentication_data = text_bytes("y");
  ASSERT_TRUE(c.session.auth(answer, c.now).ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0xF0, 0x0E, 0x18, 0x0C,
                                      0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',
                                      0x16, 0x00, 0x01, 'y'}));

  out = c.receive({0x20, 0x0B, 0x00, 0x00,                              // CONNACK: success
                   0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'});   // authentication method
  ASSERT_EQ(event_names(out), "Connected PublishComplete");
  EXPECT_EQ(hex(out.bytes), hex({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'}));  // the waiting PUBLISH
}

TEST(SessionAuth, ReAuthenticationAfterConnAck) {
  Conversation c(scram_options());
  c.connect(kConnAckV5);
  Auth again;
  again.reason_code = 0x19;  // Re-authenticate
  ASSERT_TRUE(c.session.auth(again, c.now).ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0xF0, 0x0A,                       // AUTH, remaining length 10
                                      0x19,                             // Re-authenticate
                                      0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'}));
  Output out = c.receive({0xF0, 0x0A, 0x00,                             // AUTH: Success
                          0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'});
  ASSERT_EQ(event_names(out), "Auth");
  EXPECT_EQ(event_at<AuthEvent>(out, 0)->auth.reason_code, 0x00);
  EXPECT_EQ(c.session.state(), SessionState::Connected);
}

TEST(SessionAuth, AuthIsRefusedWhereItDoesNotExist) {
  Conversation v311(options_311());
  v311.connect(kConnAck311);
  Status in_311 = v311.session.auth(Auth{0x19, {}}, v311.now);
  ASSERT_FALSE(in_311.ok());
  EXPECT_TRUE(v311.take().bytes.empty());

  Conversation no_method(options_v5());
  no_method.connect(kConnAckV5);
  Status without_method = no_method.session.auth(Auth{0x19, {}}, no_method.now);
  ASSERT_FALSE(without_method.ok());
  EXPECT_EQ(without_method.error().reason, ReasonCode::ProtocolError);  // [MQTT-4.12.0-7]

  Conversation offline(scram_options());
  EXPECT_FALSE(offline.session.auth(Auth{0x19, {}}, offline.now).ok());
}

TEST(SessionAuth, ServerAuthWithoutOurMethodIsAProtocolError) {
  Conversation c(options_v5());
  c.start();
  c.open();
  Output out = c.receive({0xF0, 0x0A, 0x18, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'});  // AUTH
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error [MQTT-4.12.0-6]
  EXPECT_TRUE(out.close_transport);
}

TEST(SessionAuth, RefusedAuthenticationIsPermanent) {
  Conversation c(scram_options());
  c.start();
  c.open();
  Output out = c.receive({0x20, 0x03, 0x00, 0x8C, 0x00});  // CONNACK: Bad authentication method
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::BadAuthenticationMethod);
  EXPECT_EQ(c.session.state(), SessionState::Closed);
}

// An AUTH with reserved fixed header bits set is malformed: DISCONNECT 0x81, close.
TEST(SessionAuth, AuthWithReservedFlagsIsMalformed) {
  Conversation c(scram_options());
  c.connect(kConnAckV5);
  Output out = c.receive({0xF1, 0x00});                // AUTH, flags 0001
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x81}));  // DISCONNECT: Malformed Packet
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::MalformedPacket);
}

// AUTH is written only when it is valid: an Authenticate Reason Code, and no
// Reason String or User Property that would take it past the server's
// Maximum Packet Size. Refused, nothing is written and the connection stays.
TEST(SessionAuth, AuthTheEncoderRefusesIsNotSent) {
  Conversation c(scram_options());
  c.connect({0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x20});  // CONNACK: maximum packet size 32
  EXPECT_FALSE(c.session.auth(Auth{0x04, {}}, c.now).ok());  // 0x04 is not an Authenticate Reason Code
  Auth long_reason{0x19, {}};
  long_reason.properties.reason_string = std::string(40, 'r');
  EXPECT_FALSE(c.session.auth(long_reason, c.now).ok());
  Auth long_user_property{0x19, {}};
  long_user_property.properties.user_properties = {{"k", std::string(40, 'v')}};
  EXPECT_FALSE(c.session.auth(long_user_property, c.now).ok());
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_EQ(c.session.state(), SessionState::Connected);
  ASSERT_TRUE(c.session.auth(Auth{0x19, {}}, c.now).ok());  // without them it goes
  EXPECT_EQ(hex(c.take().bytes), hex({0xF0, 0x0A, 0x19,      // AUTH: Re-authenticate
                                      0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'}));
}

// A failed re-authentication ends the connection: the server's DISCONNECT
// closes it, and so does the client's own when it finds the exchange wrong.
TEST(SessionAuth, FailedReAuthenticationClosesTheConnection) {
  Conversation c(scram_options());
  c.connect(kConnAckV5);
  ASSERT_TRUE(c.session.auth(Auth{0x19, {}}, c.now).ok());
  c.take();
  Output out = c.receive({0xE0, 0x01, 0x87});  // DISCONNECT: Not authorized
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::NotAuthorized);

  Conversation d(scram_options());
  d.connect(kConnAckV5);
  ASSERT_TRUE(d.session.auth(Auth{0x19, {}}, d.now).ok());
  d.take();
  EXPECT_EQ(event_names(d.receive({0xF0, 0x0A, 0x18,  // AUTH: Continue authentication
                                   0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'})),
            "Auth");
  d.session.disconnect(d.now, ReasonCode::NotAuthorized);  // the host rejects the server's data
  out = d.take();
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x87}));  // DISCONNECT: Not authorized
  EXPECT_TRUE(out.close_transport);
  EXPECT_EQ(d.session.state(), SessionState::Closed);
}

// With an Authentication Method in CONNECT nothing but AUTH or DISCONNECT
// goes out before CONNACK: no PUBLISH, SUBSCRIBE, UNSUBSCRIBE, not even PINGREQ.
TEST(SessionAuth, OnlyAuthOrDisconnectBeforeConnAck) {
  SessionOptions o = scram_options();
  o.connect_timeout_ms = 0;  // wait for CONNACK as long as it takes
  Conversation c(o);
  c.start();
  c.open();
  c.publish(message("t", "x", QoS::AtLeastOnce));
  c.subscribe({Subscription{"s", QoS::AtMostOnce}});
  ASSERT_TRUE(c.session.unsubscribe({"u"}, {}, c.now).ok());
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_TRUE(c.at(10 * 60'000).bytes.empty());  // ten keep-alive periods
  EXPECT_EQ(c.session.queued_count(), 3u);
  c.session.disconnect(c.now);
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x00}));  // DISCONNECT may go
  EXPECT_TRUE(out.close_transport);
}



// [MQTT-4.12.0-3] [MQTT-4.12.1-1]: the client's AUTH is 0x18 (answering the
// server) or, once connected, 0x19 (starting a re-authentication); anything
// else is refused at the call and nothing is written.
TEST(SessionAuth, ClientAuthReasonCodesAreChecked) {
  Conversation c(scram_options());
  c.start();
  c.open();
  c.receive({0xF0, 0x0A, 0x18, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'});  // AUTH: Continue
  Status early = c.session.auth(Auth{0x19, {}}, c.now);  // re-authenticate before CONNACK
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message.find("MQTT-4.12.0-3"), std::string::npos) << early.error().message;
  EXPECT_FALSE(c.session.auth(Auth{0x00, {}}, c.now).ok());  // Success is the server's to send
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_EQ(c.session.state(), SessionState::AwaitingConnAck);
  EXPECT_TRUE(c.session.auth(Auth{0x18, {}}, c.now).ok());

  c.receive({0x20, 0x03, 0x00, 0x00, 0x00});  // CONNACK
  c.take();
  Status after = c.session.auth(Auth{0x00, {}}, c.now);
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("MQTT-4.12.1-1"), std::string::npos) << after.error().message;
  EXPECT_TRUE(c.take().bytes.empty());
  EXPECT_TRUE(c.session.auth(Auth{0x19, {}}, c.now).ok());
}

// [MQTT-4.12.0-5]: every AUTH carries the method of the CONNECT; another one
// given by the host is refused, not sent.
TEST(SessionAuth, AuthWithAnotherMethodIsRefused) {
  Conversation c(scram_options());
  c.connect(kConnAckV5);
  Auth other{0x19, {}};
  other.properties.authentication_method = "PLAIN";
  Status refused = c.session.auth(other, c.now);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, ReasonCode::ProtocolError);
  EXPECT_NE(refused.error().message.find("MQTT-4.12.0-5"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(c.take().bytes.empty());
  Auth same{0x19, {}};
  same.properties.authentication_method = "SCRAM";
  EXPECT_TRUE(c.session.auth(same, c.now).ok());
}

}  // namespace
}  // namespace tpgate::mqtt::test
