// Session: MQTT 5 topic aliases. Outbound LRU within the server's Topic Alias
// Maximum, reset per connection; inbound resolution and its errors.
#include "mqtt/topic_alias.hpp"
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

// CONNACK v5 with Topic Alias Maximum 2.
const Bytes kConnAckAliasMaximum2 = {0x20, 0x06, 0x00, 0x00,
                                     0x03, 0x22, 0x00, 0x02};  // properties: topic alias maximum 2

// A QoS 0 PUBLISH of payload "x" that maps `alias` to the one-letter `topic`.
Bytes publish_mapping(char topic, std::uint8_t alias) {
  return {0x30, 0x08,                     // PUBLISH QoS 0, remaining length 8
          0x00, 0x01, std::uint8_t(topic),  // topic
          0x03, 0x23, 0x00, alias,        // properties: topic alias
          'x'};
}
// The same, using the mapping: empty topic.
Bytes publish_alias(std::uint8_t alias) {
  return {0x30, 0x07,               // PUBLISH QoS 0, remaining length 7
          0x00, 0x00,               // empty topic
          0x03, 0x23, 0x00, alias,  // properties: topic alias
          'x'};
}

std::string sent(Conversation& c, const char* topic) {
  c.publish(message(topic, "x", QoS::AtMostOnce));
  return hex(c.take().bytes);
}

TEST(SessionAlias, OutboundAliasesEvictLeastRecentlyUsed) {
  Conversation c(options_v5());
  c.connect(kConnAckAliasMaximum2);
  EXPECT_EQ(sent(c, "a"), hex(publish_mapping('a', 1)));
  EXPECT_EQ(sent(c, "a"), hex(publish_alias(1)));
  EXPECT_EQ(sent(c, "b"), hex(publish_mapping('b', 2)));
  EXPECT_EQ(sent(c, "a"), hex(publish_alias(1)));        // a is now the most recent
  EXPECT_EQ(sent(c, "c"), hex(publish_mapping('c', 2)));  // b was the least recent: 2 is re-mapped
  EXPECT_EQ(sent(c, "b"), hex(publish_mapping('b', 1)));  // then a
  EXPECT_EQ(sent(c, "c"), hex(publish_alias(2)));
  EXPECT_EQ(sent(c, "b"), hex(publish_alias(1)));
}

TEST(SessionAlias, AliasesStartOverOnEveryConnection) {
  Conversation c(options_v5());
  c.connect(kConnAckAliasMaximum2);
  EXPECT_EQ(sent(c, "a"), hex(publish_mapping('a', 1)));
  c.closed();
  c.at(1000);
  c.open();
  c.receive(kConnAckAliasMaximum2);
  EXPECT_EQ(sent(c, "a"), hex(publish_mapping('a', 1)));  // [MQTT-3.3.2-7]
  c.closed();
  c.at(c.session.next_deadline().value());
  c.open();
  c.receive(kConnAckV5);  // no Topic Alias Maximum this time: no aliases [MQTT-3.2.2-18]
  EXPECT_EQ(sent(c, "a"), hex({0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));
}

TEST(SessionAlias, ResentPublishUsesTheNewConnectionsAliases) {
  Conversation c(options_v5());
  c.connect(kConnAckAliasMaximum2);
  c.publish(message("a", "x", QoS::AtMostOnce));
  c.publish(message("a", "1", QoS::AtLeastOnce));  // sent with the alias only
  EXPECT_EQ(hex(c.take().bytes), hex(concat({publish_mapping('a', 1),
                                             {0x32, 0x09, 0x00, 0x00, 0x00, 0x01, 0x03, 0x23, 0x00, 0x01, '1'}})));
  c.closed();
  c.at(1000);
  c.open();
  Output out = c.receive({0x20, 0x06, 0x01, 0x00, 0x03, 0x22, 0x00, 0x02});  // CONNACK: session present, alias max 2
  EXPECT_EQ(hex(out.bytes), hex({0x3A, 0x0A,                 // PUBLISH DUP QoS 1, remaining length 10
                                 0x00, 0x01, 'a',            // the topic again: a new connection
                                 0x00, 0x01,                 // packet id 1
                                 0x03, 0x23, 0x00, 0x01,     // topic alias 1
                                 '1'}));
}

TEST(SessionAlias, AutoAliasOffOrV311SendsTopics) {
  SessionOptions o = options_v5();
  o.auto_topic_alias = false;
  Conversation c(o);
  c.connect(kConnAckAliasMaximum2);
  EXPECT_EQ(sent(c, "a"), hex({0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));
  EXPECT_EQ(sent(c, "a"), hex({0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));

  // A caller's own alias is dropped: the session owns aliases.
  Publish with_alias = message("a", "x", QoS::AtMostOnce);
  with_alias.properties.topic_alias = 9;
  c.publish(with_alias);
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));
}

SessionOptions accepting_aliases(std::uint16_t maximum) {
  SessionOptions o = options_v5();
  o.connect_properties.topic_alias_maximum = maximum;
  return o;
}

TEST(SessionAlias, InboundAliasesAreResolved) {
  Conversation c(accepting_aliases(5));
  c.start();
  EXPECT_EQ(hex(c.open().bytes), hex({0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C,
                                      0x03, 0x22, 0x00, 0x05,  // properties: topic alias maximum 5
                                      0x00, 0x02, 'c', '1'}));
  c.receive(kConnAckV5);
  Output out = c.receive(publish_mapping('t', 3));
  ASSERT_EQ(event_names(out), "Message");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.topic, "t");
  EXPECT_FALSE(event_at<MessageEvent>(out, 0)->publish.properties.topic_alias);
  out = c.receive(publish_alias(3));
  ASSERT_EQ(event_names(out), "Message");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.topic, "t");
  // Re-mapping 3 to another topic.
  c.receive(publish_mapping('u', 3));
  EXPECT_EQ(event_at<MessageEvent>(c.receive(publish_alias(3)), 0)->publish.topic, "u");
}

TEST(SessionAlias, UnknownInboundAliasIsAProtocolError) {
  Conversation c(accepting_aliases(5));
  c.connect(kConnAckV5);
  Output out = c.receive(publish_alias(4));
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error
  EXPECT_TRUE(out.close_transport);
  ASSERT_EQ(event_names(out), "Disconnected");
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::ProtocolError);
}

TEST(SessionAlias, InboundMappingsDoNotSurviveTheConnection) {
  Conversation c(accepting_aliases(5));
  c.connect(kConnAckV5);
  c.receive(publish_mapping('t', 3));
  c.closed();
  c.at(1000);
  c.open();
  c.receive(kConnAckV5);
  EXPECT_EQ(hex(c.receive(publish_alias(3)).bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error
}

TEST(SessionAlias, InboundAliasAboveOurMaximumIsInvalid) {
  Conversation c(accepting_aliases(5));
  c.connect(kConnAckV5);
  Output out = c.receive(publish_mapping('t', 6));
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x94}));  // DISCONNECT: Topic Alias invalid
  EXPECT_TRUE(out.close_transport);
  EXPECT_EQ(event_at<DisconnectedEvent>(out, 0)->reason.reason, ReasonCode::TopicAliasInvalid);

  Conversation none(options_v5());  // announced no aliases at all
  none.connect(kConnAckV5);
  EXPECT_EQ(hex(none.receive(publish_mapping('t', 1)).bytes), hex({0xE0, 0x01, 0x94}));
}

TEST(SessionAlias, ForgottenAliasesAreReusedFirst) {
  OutboundTopicAliases aliases;
  aliases.reset(2);
  EXPECT_EQ(aliases.assign("a").alias, 1);
  aliases.forget(1);  // just handed out: the number comes back
  EXPECT_EQ(aliases.size(), 0u);
  EXPECT_EQ(aliases.assign("b").alias, 1);
  EXPECT_EQ(aliases.assign("c").alias, 2);
  OutboundTopicAliases::Assignment d = aliases.assign("d");  // evicts b, re-maps 1
  EXPECT_EQ(d.alias, 1);
  EXPECT_FALSE(d.known);
  aliases.forget(1);  // that re-mapping never reached the server
  EXPECT_FALSE(aliases.assign("c").alias == 1);
  OutboundTopicAliases::Assignment e = aliases.assign("e");  // the forgotten 1 goes first, not c's 2
  EXPECT_EQ(e.alias, 1);
  EXPECT_FALSE(e.known);
  EXPECT_TRUE(aliases.assign("c").known);
  aliases.forget(9);  // unknown: no effect
  EXPECT_EQ(aliases.size(), 2u);
}

TEST(SessionAlias, EmptyTopicWithoutAliasIsRefused) {
  Conversation c(accepting_aliases(5));
  c.connect(kConnAckV5);
  Output out = c.receive({0x30, 0x04, 0x00, 0x00, 0x00, 'x'});  // PUBLISH, empty topic, no properties
  EXPECT_EQ(hex(out.bytes), hex({0xE0, 0x01, 0x82}));  // DISCONNECT: Protocol Error
  EXPECT_TRUE(out.close_transport);
}


// The alias is the client's optimisation: under the server's Maximum Packet
// Size it must never turn a PUBLISH that fits into one that does not.
TEST(SessionAlias, AliasNeverMakesPublishTooLarge) {
  Conversation c(options_v5());
  // CONNACK: topic alias maximum 2, maximum packet size 7
  c.connect({0x20, 0x0B, 0x00, 0x00, 0x08, 0x22, 0x00, 0x02, 0x27, 0x00, 0x00, 0x00, 0x07});
  const Bytes plain = {0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'};  // PUBLISH a "x", no alias: 7 bytes, fits exactly
  const Token token = c.publish(message("a", "x", QoS::AtMostOnce));
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex(plain));  // with a new alias it would be 10 bytes
  ASSERT_EQ(event_names(out), "PublishComplete");
  EXPECT_EQ(event_at<PublishCompleteEvent>(out, 0)->token, token);
  EXPECT_EQ(sent(c, "a"), hex(plain));  // no alias was registered
}

TEST(SessionAlias, KnownAliasThatDoesNotFitSendsTheTopic) {
  Conversation c(options_v5());
  // CONNACK: topic alias maximum 2, maximum packet size 9
  c.connect({0x20, 0x0B, 0x00, 0x00, 0x08, 0x22, 0x00, 0x02, 0x27, 0x00, 0x00, 0x00, 0x09});
  c.publish(message("a", "", QoS::AtMostOnce));
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x07, 0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x01}));  // maps alias 1: 9 bytes
  // Alias alone: 30 08 00 00 03 23 00 01 'x' 'y' = 10 bytes; the topic: 8 bytes.
  c.publish(message("a", "xy", QoS::AtMostOnce));
  Output out = c.take();
  EXPECT_EQ(hex(out.bytes), hex({0x30, 0x06, 0x00, 0x01, 'a', 0x00, 'x', 'y'}));
  EXPECT_EQ(event_names(out), "PublishComplete");
  c.publish(message("a", "", QoS::AtMostOnce));  // the mapping still holds
  EXPECT_EQ(hex(c.take().bytes), hex({0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01}));
}

// Every alias from 1 to the Topic Alias Maximum we announced is accepted.
TEST(SessionAlias, InboundAliasesUpToOurMaximumAreAccepted) {
  Conversation c(accepting_aliases(3));
  c.connect(kConnAckV5);
  for (std::uint8_t alias = 1; alias <= 3; ++alias) {
    Output out = c.receive(publish_mapping(char('a' + alias), alias));
    ASSERT_EQ(event_names(out), "Message") << int(alias);
    EXPECT_FALSE(out.close_transport);
  }
  Output out = c.receive(publish_alias(3));
  ASSERT_EQ(event_names(out), "Message");
  EXPECT_EQ(event_at<MessageEvent>(out, 0)->publish.topic, "d");
}


}  // namespace
}  // namespace tpgate::mqtt::test
