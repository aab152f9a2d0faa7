// Session: CONNECT from the options, CONNACK success and its properties,
// refusals (permanent or not), connect timeout, transport failures.
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

TEST(SessionConnect, V5StartOpenConnAck) {
  Conversation c(options_v5());
  EXPECT_EQ(c.session.state(), SessionState::Idle);
  EXPECT_FALSE(c.session.next_deadline());

  Output out = c.start();
  EXPECT_TRUE(out.open_transport);
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_EQ(c.session.state(), SessionState::Connecting);

  c.now = 5;
  out = c.open();
  EXPECT_EQ(hex(out.bytes), hex(connect_v5()));
  EXPECT_FALSE(out.open_transport);
  EXPECT_EQ(c.session.state(), SessionState::AwaitingConnAck);
  EXPECT_EQ(c.session.next_deadline(), 5 + 30'000);  // connect timeout

  c.now = 20;
  out = c.receive(kConnAckV5);
  EXPECT_TRUE(out.bytes.empty());
  ASSERT_EQ(event_names(out), "Connected");
  const auto* connected = event_at<ConnectedEvent>(out, 0);
  EXPECT_FALSE(connected->session_present);
  EXPECT_EQ(connected->connack.reason_code, 0);
  EXPECT_EQ(c.session.state(), SessionState::Connected);
  // Keep alive counts from the CONNECT, the last packet sent.
  EXPECT_EQ(c.session.next_deadline(), 5 + 60'000);
}

TEST(SessionConnect, V311ConnectAndConnAck) {
  Conversation c(options_311());
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex(connect_311()));
  Output out = c.receive(kConnAck311);
  ASSERT_EQ(event_names(out), "Connected");
  EXPECT_EQ(c.session.state(), SessionState::Connected);
}

TEST(SessionConnect, ConnAckSplitAcrossReads) {
  Conversation c(options_v5());
  c.start();
  c.open();
  EXPECT_EQ(event_names(c.receive({0x20, 0x03})), "");  // fixed header only
  EXPECT_EQ(event_names(c.receive({0x00})), "");
  EXPECT_EQ(event_names(c.receive({0x00, 0x00})), "Connected");
}

TEST(SessionConnect, V5WillCredentialsAndConnectProperties) {
  SessionOptions o = options_v5();
  o.username = "u";
  o.password = text_bytes("p");
  o.connect_properties.session_expiry_interval = 3600;
  o.connect_properties.receive_maximum = 10;
  Will will;
  will.topic = "w";
  will.payload = text_bytes("bye");
  will.qos = QoS::AtLeastOnce;
  will.retain = true;
  will.properties.will_delay_interval = 10;
  o.will = will;
  Conversation c(o);
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({
                                     0x10, 0x2B,                      // CONNECT, remaining length 43
                                     0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                                     0x05,                            // version 5
                                     0xEE,  // user name, password, will retain, will QoS 1, will, clean start
                                     0x00, 0x3C,                      // keep alive 60
                                     0x08,                            // properties: 8 bytes
                                     0x11, 0x00, 0x00, 0x0E, 0x10,    //   session expiry interval 3600
                                     0x21, 0x00, 0x0A,                //   receive maximum 10
                                     0x00, 0x02, 'c', '1',            // client identifier
                                     0x05,                            // will properties: 5 bytes
                                     0x18, 0x00, 0x00, 0x00, 0x0A,    //   will delay interval 10
                                     0x00, 0x01, 'w',                 // will topic
                                     0x00, 0x03, 'b', 'y', 'e',       // will payload
                                     0x00, 0x01, 'u',                 // user name
                                     0x00, 0x01, 'p',                 // password
                                 }));
}

TEST(SessionConnect, V311WillAndCredentials) {
  SessionOptions o = options_311();
  o.username = "u";
  o.password = text_bytes("p");
  o.will = Will{"w", text_bytes("bye"), QoS::AtMostOnce, false, {}};
  Conversation c(o);
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({
                                     0x10, 0x1C,                      // CONNECT, remaining length 28
                                     0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                                     0x04,                            // level 4
                                     0xC6,  // user name, password, will QoS 0, will, clean session
                                     0x00, 0x3C,                      // keep alive 60
                                     0x00, 0x02, 'c', '1',            // client identifier
                                     0x00, 0x01, 'w',                 // will topic
                                     0x00, 0x03, 'b', 'y', 'e',       // will message
                                     0x00, 0x01, 'u',                 // user name
                                     0x00, 0x01, 'p',                 // password
                                 }));
}

// CONNACK v5 with the properties that limit the client.
const Bytes kConnAckWithLimits = {
    0x20, 0x18,                           // CONNACK, remaining length 24
    0x00,                                 // no session
    0x00,                                 // success
    0x15,                                 // properties: 21 bytes
    0x12, 0x00, 0x03, 's', 'r', 'v',      //   assigned client identifier "srv"
    0x13, 0x00, 0x0A,                     //   server keep alive 10 s
    0x21, 0x00, 0x02,                     //   receive maximum 2
    0x24, 0x01,                           //   maximum QoS 1
    0x25, 0x00,                           //   retain not available
    0x27, 0x00, 0x00, 0x00, 0x40,         //   maximum packet size 64
};

TEST(SessionConnect, ConnAckPropertiesAreApplied) {
  SessionOptions o = options_v5();
  o.client_id = "";
  Conversation c(o);
  c.start();
  c.open();
  Output out = c.receive(kConnAckWithLimits);
  ASSERT_EQ(event_names(out), "Connected");
  const auto* connected = event_at<ConnectedEvent>(out, 0);
  EXPECT_EQ(connected->connack.properties.assigned_client_identifier, "srv");
  EXPECT_EQ(connected->connack.properties.receive_maximum, 2);

  // Server Keep Alive replaces our 60 s [MQTT-3.2.2-21].
  EXPECT_EQ(c.session.next_deadline(), 10'000);

  Result<Token> qos2 = c.session.publish(message("t", "x", QoS::ExactlyOnce), c.now);
  ASSERT_FALSE(qos2.ok());
  EXPECT_EQ(qos2.error().reason, ReasonCode::QoSNotSupported);

  Result<Token> retained = c.session.publish(message("t", "x", QoS::AtMostOnce, true), c.now);
  ASSERT_FALSE(retained.ok());
  EXPECT_EQ(retained.error().reason, ReasonCode::RetainNotSupported);

  Result<Token> large = c.session.publish(message("t", std::string(100, 'x'), QoS::AtMostOnce), c.now);
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().reason, ReasonCode::PacketTooLarge);
  EXPECT_TRUE(c.take().bytes.empty());  // nothing was written for the refused calls

  // The assigned identifier is used from now on, with Clean Start 0.
  c.closed();
  c.at(1000);
  EXPECT_EQ(hex(c.open().bytes), hex({
                                     0x10, 0x10,                      // CONNECT, remaining length 16
                                     0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                                     0x05,                            // version 5
                                     0x00,                            // clean start 0
                                     0x00, 0x3C,                      // keep alive 60
                                     0x00,                            // no properties
                                     0x00, 0x03, 's', 'r', 'v',       // the assigned client identifier
                                 }));
  // A CONNACK without the properties puts the defaults back.
  c.receive(kConnAckV5);
  EXPECT_TRUE(c.session.publish(message("t", "x", QoS::ExactlyOnce, true), c.now).ok());
}

TEST(SessionConnect, V5PermanentRefusalClosesAndFailsPending) {
  Conversation c(options_v5());
  c.start();
  c.open();
  Token pending = c.publish(message("t", "x", QoS::AtLeastOnce));
  c.now = 100;
  Output out = c.receive({
      0x20, 0x0A,                  // CONNACK, remaining length 10
      0x00,                        // no session
      0x86,                        // Bad User Name or Password
      0x07,                        // properties: 7 bytes
      0x1F, 0x00, 0x04, 'n', 'o', 'p', 'e',  // reason string "nope"
  });
  EXPECT_TRUE(out.close_transport);
  EXPECT_TRUE(out.bytes.empty());
  ASSERT_EQ(event_names(out), "Disconnected OperationFailed");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_TRUE(disconnected->by_server);
  EXPECT_EQ(disconnected->reason.reason, ReasonCode::BadUserNameOrPassword);
  EXPECT_NE(disconnected->reason.message.find("nope"), std::string::npos);
  EXPECT_EQ(disconnected->properties.reason_string, "nope");
  EXPECT_FALSE(disconnected->reconnect_at);
  EXPECT_EQ(event_at<OperationFailedEvent>(out, 1)->token, pending);
  EXPECT_EQ(c.session.state(), SessionState::Closed);
  EXPECT_FALSE(c.session.next_deadline());
  EXPECT_EQ(c.session.queued_count(), 0u);
}

// aedes and other 3.1.1-only brokers answer a v5 CONNECT with a two-byte 3.1.1 CONNACK,
// return code 1 (unacceptable protocol version) [MQTT-3.1.2-2]: a refusal, not garbage.
TEST(SessionConnect, V311OnlyServerRefusesV5AsUnsupportedProtocolVersion) {
  Conversation c(options_v5());
  c.start();
  c.open();
  c.now = 100;
  Output out = c.receive({0x20, 0x02, 0x00, 0x01});  // CONNACK 3.1.1: unacceptable protocol version
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_TRUE(disconnected->by_server);
  EXPECT_EQ(disconnected->reason.reason, ReasonCode::UnsupportedProtocolVersion);
  EXPECT_FALSE(disconnected->reconnect_at);
  EXPECT_EQ(c.session.state(), SessionState::Closed);
}

TEST(SessionConnect, V5TransientRefusalReconnects) {
  Conversation c(options_v5());
  c.start();
  c.open();
  c.now = 100;
  Output out = c.receive({0x20, 0x03, 0x00, 0x88, 0x00});  // CONNACK: Server unavailable, no properties
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_EQ(disconnected->reason.reason, ReasonCode::ServerUnavailable);
  EXPECT_TRUE(disconnected->by_server);
  // First attempt: the delay range is [min, min].
  EXPECT_EQ(disconnected->reconnect_at, 1100);
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
  EXPECT_EQ(c.session.next_deadline(), 1100);
  EXPECT_FALSE(c.at(1099).open_transport);
  EXPECT_TRUE(c.at(1100).open_transport);
  EXPECT_EQ(c.session.state(), SessionState::Connecting);
}

TEST(SessionConnect, V311RefusalCodesMapToReasons) {
  struct Case {
    std::uint8_t return_code;
    ReasonCode reason;
    bool permanent;
  };
  for (const Case& k : {Case{1, ReasonCode::UnsupportedProtocolVersion, true},
                        Case{2, ReasonCode::ClientIdentifierNotValid, true},
                        Case{3, ReasonCode::ServerUnavailable, false},
                        Case{4, ReasonCode::BadUserNameOrPassword, true},
                        Case{5, ReasonCode::NotAuthorized, true}}) {
    SCOPED_TRACE(static_cast<int>(k.return_code));
    Conversation c(options_311());
    c.start();
    c.open();
    Output out = c.receive({0x20, 0x02, 0x00, k.return_code});  // CONNACK 3.1.1 with a refusal
    EXPECT_TRUE(out.close_transport);
    ASSERT_EQ(event_names(out), "Disconnected");
    const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
    EXPECT_EQ(disconnected->reason.reason, k.reason);
    EXPECT_TRUE(disconnected->by_server);
    EXPECT_EQ(disconnected->reconnect_at.has_value(), !k.permanent);
    EXPECT_EQ(c.session.state(), k.permanent ? SessionState::Closed : SessionState::WaitingToReconnect);
  }
}

TEST(SessionConnect, ConnectTimeoutClosesAndReconnects) {
  Conversation c(options_v5());
  c.start();
  c.open();
  EXPECT_EQ(event_names(c.at(29'999)), "");
  Output out = c.at(30'000);
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_FALSE(disconnected->by_server);
  EXPECT_NE(disconnected->reason.message.find("no CONNACK"), std::string::npos);
  EXPECT_EQ(disconnected->reconnect_at, 31'000);
  // The host confirms the close: nothing more happens.
  EXPECT_EQ(event_names(c.closed()), "");
  EXPECT_TRUE(c.at(31'000).open_transport);
}

TEST(SessionConnect, TransportThatFailsToOpenIsRetried) {
  Conversation c(options_v5());
  c.start();
  Output out = c.closed("ECONNREFUSED");
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.message, "ECONNREFUSED");
  EXPECT_FALSE(out.close_transport);  // nothing to close
  EXPECT_EQ(c.session.next_deadline(), 1000);
  EXPECT_TRUE(c.at(1000).open_transport);
}

TEST(SessionConnect, SessionPresentAfterCleanStartIsAProtocolError) {
  Conversation c(options_v5());
  c.start();
  c.open();
  Output out = c.receive(kConnAckV5Present);
  // [MQTT-3.2.2-4]: we hold no session to resume.
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::ProtocolError);
}

TEST(SessionConnect, PacketBeforeConnAckIsAProtocolError) {
  Conversation c(options_v5());
  c.start();
  c.open();
  Output out = c.receive({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'});  // PUBLISH QoS 0 before CONNACK
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));                 // DISCONNECT: Protocol Error
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
}

TEST(SessionConnect, SecondConnAckIsAProtocolError) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive(kConnAckV5);
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error
  EXPECT_TRUE(out.close_transport);
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
}

TEST(SessionConnect, UnwantedTransportIsClosed) {
  Conversation c(options_v5());
  c.start();
  c.session.disconnect(c.now);
  Output out = c.take();
  EXPECT_TRUE(out.close_transport);  // the host may be opening one
  EXPECT_TRUE(out.bytes.empty());
  // It opens anyway: no CONNECT, close it.
  out = c.open();
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(out.close_transport);
}

TEST(SessionConnect, ClosedSessionCanStartAgain) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.session.disconnect(c.now);
  c.take();
  EXPECT_EQ(c.session.state(), SessionState::Closed);
  EXPECT_TRUE(c.start().open_transport);
  EXPECT_EQ(c.session.state(), SessionState::Connecting);
}

TEST(SessionConnect, StartWhileWaitingReconnectsAtOnce) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.closed();
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
  EXPECT_TRUE(c.start().open_transport);
  EXPECT_EQ(c.session.state(), SessionState::Connecting);
  EXPECT_FALSE(c.start().open_transport);  // already connecting: nothing more
}

TEST(SessionConnect, ZeroConnectTimeoutWaitsForever) {
  SessionOptions o = options_v5();
  o.connect_timeout_ms = 0;
  Conversation c(o);
  c.start();
  c.open();
  EXPECT_FALSE(c.session.next_deadline());
  EXPECT_EQ(event_names(c.at(10'000'000)), "");
  EXPECT_EQ(c.session.state(), SessionState::AwaitingConnAck);
}

// A CONNECT the encoder refuses is never written: a 3.1.1 password without a
// user name, Will QoS 3, a client identifier, user name or will topic that is
// not well-formed UTF-8 or holds U+0000. The session closes for good: every
// attempt would be the same.
TEST(SessionConnect, InvalidConnectIsNeverSent) {
  struct Case {
    std::string why;
    SessionOptions options;
  };
  std::vector<Case> cases;
  SessionOptions password_only = options_311();
  password_only.password = text_bytes("p");
  cases.push_back({"3.1.1 password without user name", password_only});
  for (const SessionOptions& base : {options_311(), options_v5()}) {
    const std::string version = base.version == ProtocolVersion::v5 ? " (v5)" : " (3.1.1)";
    SessionOptions o = base;
    o.client_id = "c\xC3";
    cases.push_back({"client identifier with truncated UTF-8" + version, o});
    o = base;
    o.username = std::string("u\0", 2);
    cases.push_back({"user name with U+0000" + version, o});
    o = base;
    o.will = Will{"w/\xED\xA0\x80", text_bytes("x"), QoS::AtMostOnce, false, {}};
    cases.push_back({"will topic with a surrogate" + version, o});
    o = base;
    o.will = Will{"w", text_bytes("x"), static_cast<QoS>(3), false, {}};
    cases.push_back({"Will QoS 3" + version, o});
  }
  for (const Case& k : cases) {
    SCOPED_TRACE(k.why);
    Conversation c(k.options);
    c.start();
    Output out = c.open();
    EXPECT_TRUE(out.bytes.empty());
    EXPECT_TRUE(out.close_transport);
    ASSERT_EQ(event_names(out), "Disconnected");
    EXPECT_EQ(c.session.state(), SessionState::Closed);
  }
}


}  // namespace
// [MQTT-3.1.3-7]: in 3.1.1 a zero-byte ClientId needs CleanSession 1. The
// session says so at start(), before any transport is opened, and the codec
// refuses to write such a CONNECT. MQTT 5 allows it (the server assigns one).
TEST(SessionConnect, V311EmptyClientIdRequiresCleanSession) {
  SessionOptions o = options_311();
  o.client_id.clear();
  o.clean_start = false;
  Conversation c(o);
  Output out = c.start();
  EXPECT_FALSE(out.open_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* event = event_at<DisconnectedEvent>(out, 0);
  EXPECT_EQ(event->reason.reason, ReasonCode::ClientIdentifierNotValid);
  EXPECT_NE(event->reason.message.find("MQTT-3.1.3-7"), std::string::npos) << event->reason.message;
  EXPECT_FALSE(event->reconnect_at.has_value());
  EXPECT_EQ(c.session.state(), SessionState::Closed);

  Connect connect;
  connect.version = ProtocolVersion::v311;
  connect.clean_start = false;
  Bytes bytes;
  Status encoded = encode(Packet{connect}, EncodeOptions{ProtocolVersion::v311, 0}, bytes);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().reason, ReasonCode::ClientIdentifierNotValid);
  EXPECT_TRUE(bytes.empty());

  connect.clean_start = true;  // allowed: the server assigns an identifier [MQTT-3.1.3-6]
  EXPECT_TRUE(encode(Packet{connect}, EncodeOptions{ProtocolVersion::v311, 0}, bytes).ok());

  SessionOptions v5 = options_v5();
  v5.client_id.clear();
  v5.clean_start = false;
  Conversation c5(v5);
  EXPECT_TRUE(c5.start().open_transport);
  EXPECT_EQ(c5.open().bytes.size(), 15u);  // CONNECT with an empty client identifier, Clean Start 0
}

}  // namespace tpgate::mqtt::test
