// Session: PINGREQ after a keep-alive period without sending, dead
// connection when PINGRESP is overdue, Server Keep Alive, keep alive 0.
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

const Bytes kPingReq = {0xC0, 0x00};   // PINGREQ
const Bytes kPingResp = {0xD0, 0x00};  // PINGRESP

TEST(SessionKeepAlive, PingWhenIdleAndPingRespClearsIt) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);  // CONNECT written at 0
  EXPECT_EQ(c.session.next_deadline(), 60'000);
  EXPECT_TRUE(c.at(59'999).bytes.empty());
  Output out = c.at(60'000);
  EXPECT_EQ(hex(out.bytes), hex(kPingReq));
  EXPECT_EQ(event_names(out), "");
  // Ping timeout by default: min(keep alive, 30 s).
  EXPECT_EQ(c.session.next_deadline(), 90'000);
  // No second PINGREQ while one is out.
  EXPECT_TRUE(c.at(89'999).bytes.empty());

  c.now = 61'000;
  EXPECT_EQ(event_names(c.receive(kPingResp)), "");
  EXPECT_EQ(c.session.next_deadline(), 120'000);  // a keep-alive period after the PINGREQ
  EXPECT_EQ(hex(c.at(120'000).bytes), hex(kPingReq));
}

TEST(SessionKeepAlive, SendingPostponesThePing) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.now = 30'000;
  c.publish(message("t", "x", QoS::AtMostOnce));
  c.take();
  EXPECT_EQ(c.session.next_deadline(), 90'000);
  EXPECT_TRUE(c.at(60'000).bytes.empty());
  EXPECT_EQ(hex(c.at(90'000).bytes), hex(kPingReq));
}

TEST(SessionKeepAlive, OverduePingRespDeclaresTheConnectionDead) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  c.at(60'000);
  Token pending = c.publish(message("t", "x", QoS::AtLeastOnce));
  c.take();
  Output out = c.at(90'000);
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  const auto* disconnected = event_at<DisconnectedEvent>(out, 0);
  EXPECT_EQ(disconnected->reason.reason, ReasonCode::KeepAliveTimeout);
  EXPECT_FALSE(disconnected->by_server);
  EXPECT_EQ(disconnected->reconnect_at, 91'000);
  EXPECT_EQ(c.session.state(), SessionState::WaitingToReconnect);
  EXPECT_EQ(c.session.next_deadline(), 91'000);
  // The host's close confirmation adds nothing; the unacknowledged publish waits.
  EXPECT_EQ(event_names(c.closed()), "");
  EXPECT_EQ(c.session.inflight_count(), 1u);
  EXPECT_NE(pending, 0u);
  // A late PINGRESP on the dead connection is ignored.
  EXPECT_EQ(event_names(c.receive(kPingResp)), "");
  EXPECT_TRUE(c.at(91'000).open_transport);
}

TEST(SessionKeepAlive, ExplicitPingTimeout) {
  SessionOptions o = options_v5();
  o.ping_timeout_ms = 2'000;
  Conversation c(o);
  c.connect(kConnAckV5);
  c.at(60'000);
  EXPECT_EQ(c.session.next_deadline(), 62'000);
  EXPECT_EQ(event_names(c.at(62'000)), "Disconnected");
}

TEST(SessionKeepAlive, ServerKeepAliveOverridesOurs) {
  Conversation c(options_v5());
  c.connect({0x20, 0x06, 0x00, 0x00,
             0x03, 0x13, 0x00, 0x05});  // CONNACK: server keep alive 5 s
  EXPECT_EQ(c.session.next_deadline(), 5'000);
  EXPECT_EQ(hex(c.at(5'000).bytes), hex(kPingReq));
  EXPECT_EQ(c.session.next_deadline(), 10'000);  // ping timeout min(5 s, 30 s)
  EXPECT_EQ(event_names(c.at(10'000)), "Disconnected");
}

TEST(SessionKeepAlive, ZeroMeansNoPings) {
  SessionOptions o = options_v5();
  o.keep_alive_s = 0;
  Conversation c(o);
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                      0x00, 0x00,  // keep alive 0: off
                                      0x00, 0x00, 0x02, 'c', '1'}));
  c.receive(kConnAckV5);
  EXPECT_FALSE(c.session.next_deadline());
  EXPECT_TRUE(c.at(10'000'000).bytes.empty());
}

TEST(SessionKeepAlive, V311PingAndDeath) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  EXPECT_EQ(hex(c.at(60'000).bytes), hex(kPingReq));
  c.now = 60'500;
  c.receive(kPingResp);
  EXPECT_EQ(hex(c.at(120'000).bytes), hex(kPingReq));
  Output out = c.at(150'000);
  EXPECT_TRUE(out.close_transport);
  EXPECT_TRUE(out.bytes.empty());  // no DISCONNECT in 3.1.1 for a dead link
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::KeepAliveTimeout);
}

TEST(SessionKeepAlive, NextDeadlineIsTheEarliestTimer) {
  Conversation c(options_v5());
  EXPECT_FALSE(c.session.next_deadline());  // idle
  c.start();
  EXPECT_FALSE(c.session.next_deadline());  // the host is opening the transport
  c.now = 100;
  c.open();
  EXPECT_EQ(c.session.next_deadline(), 30'100);  // connect timeout
  c.now = 200;
  c.receive(kConnAckV5);
  EXPECT_EQ(c.session.next_deadline(), 60'100);  // keep alive from the CONNECT
  c.now = 300;
  c.closed();
  EXPECT_EQ(c.session.next_deadline(), 1'300);  // reconnect
}

}  // namespace
}  // namespace tpgate::mqtt::test
