// Session: SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK in both versions, checks
// made before sending, queueing while offline.
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

TEST(SessionSubscribe, V5SubscribeAndSubAck) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Token token = c.subscribe({Subscription{"a/b", QoS::AtLeastOnce}});
  EXPECT_EQ(hex(c.take().bytes), hex({0x82, 0x09,                // SUBSCRIBE, remaining length 9
                                      0x00, 0x01,                // packet id 1
                                      0x00,                      // no properties
                                      0x00, 0x03, 'a', '/', 'b', // filter
                                      0x01}));                   // options: QoS 1
  EXPECT_EQ(c.session.inflight_count(), 1u);
  Output out = c.receive({0x90, 0x04, 0x00, 0x01, 0x00, 0x01});  // SUBACK id 1, no properties, granted QoS 1
  ASSERT_EQ(event_names(out), "SubscribeComplete");
  const auto* done = event_at<SubscribeCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, token);
  EXPECT_EQ(done->suback.reason_codes, (std::vector<std::uint8_t>{0x01}));
  EXPECT_EQ(c.session.inflight_count(), 0u);
}

TEST(SessionSubscribe, V5SubscriptionOptionsAndIdentifier) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Properties properties;
  properties.subscription_identifiers = {7};
  Subscription s{"a/b", QoS::AtLeastOnce, true, true, 2};
  c.subscribe({s}, properties);
  EXPECT_EQ(hex(c.take().bytes), hex({0x82, 0x0B,                // SUBSCRIBE, remaining length 11
                                      0x00, 0x01,                // packet id 1
                                      0x02, 0x0B, 0x07,          // properties: subscription identifier 7
                                      0x00, 0x03, 'a', '/', 'b', // filter
                                      0x2D}));  // retain handling 2, retain as published, no local, QoS 1
}

TEST(SessionSubscribe, V311SubscribeAndUnsubscribe) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  Token sub = c.subscribe({Subscription{"a/b", QoS::AtLeastOnce}});
  EXPECT_EQ(hex(c.take().bytes), hex({0x82, 0x08, 0x00, 0x01,              // SUBSCRIBE id 1
                                      0x00, 0x03, 'a', '/', 'b', 0x01}));   // filter, QoS 1
  Output out = c.receive({0x90, 0x03, 0x00, 0x01, 0x80});  // SUBACK id 1: failure
  ASSERT_EQ(event_names(out), "SubscribeComplete");
  EXPECT_EQ(event_at<SubscribeCompleteEvent>(out, 0)->token, sub);
  EXPECT_EQ(event_at<SubscribeCompleteEvent>(out, 0)->suback.reason_codes, (std::vector<std::uint8_t>{0x80}));

  Result<Token> unsub = c.session.unsubscribe({"a/b"}, {}, c.now);
  ASSERT_TRUE(unsub.ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0xA2, 0x07, 0x00, 0x02,               // UNSUBSCRIBE id 2
                                      0x00, 0x03, 'a', '/', 'b'}));
  out = c.receive({0xB0, 0x02, 0x00, 0x02});  // UNSUBACK id 2
  ASSERT_EQ(event_names(out), "UnsubscribeComplete");
  EXPECT_EQ(event_at<UnsubscribeCompleteEvent>(out, 0)->token, unsub.value());
}

TEST(SessionSubscribe, V5Unsubscribe) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Result<Token> unsub = c.session.unsubscribe({"a/b"}, {}, c.now);
  ASSERT_TRUE(unsub.ok());
  EXPECT_EQ(hex(c.take().bytes), hex({0xA2, 0x08, 0x00, 0x01,  // UNSUBSCRIBE id 1
                                      0x00,                    // no properties
                                      0x00, 0x03, 'a', '/', 'b'}));
  Output out = c.receive({0xB0, 0x04, 0x00, 0x01, 0x00, 0x11});  // UNSUBACK id 1: No subscription existed
  ASSERT_EQ(event_names(out), "UnsubscribeComplete");
  const auto* done = event_at<UnsubscribeCompleteEvent>(out, 0);
  EXPECT_EQ(done->token, unsub.value());
  EXPECT_EQ(done->unsuback.reason_codes, (std::vector<std::uint8_t>{0x11}));
}

TEST(SessionSubscribe, InvalidFiltersAreRefusedAtOnce) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Result<Token> bad = c.session.subscribe({Subscription{"a/#/b", QoS::AtMostOnce}}, {}, c.now);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, ReasonCode::TopicFilterInvalid);
  EXPECT_FALSE(c.session.subscribe({}, {}, c.now).ok());
  Result<Token> bad_unsub = c.session.unsubscribe({"a+"}, {}, c.now);
  ASSERT_FALSE(bad_unsub.ok());
  EXPECT_EQ(bad_unsub.error().reason, ReasonCode::TopicFilterInvalid);
  EXPECT_FALSE(c.session.unsubscribe({}, {}, c.now).ok());
  EXPECT_TRUE(c.take().bytes.empty());
}

TEST(SessionSubscribe, ServerCapabilitiesAreChecked) {
  Conversation c(options_v5());
  c.connect({0x20, 0x09, 0x00, 0x00,
             0x06,          // properties: 6 bytes
             0x28, 0x00,    //   wildcard subscriptions not available
             0x29, 0x00,    //   subscription identifiers not available
             0x2A, 0x00});  //   shared subscriptions not available
  Result<Token> wildcard = c.session.subscribe({Subscription{"a/#", QoS::AtMostOnce}}, {}, c.now);
  ASSERT_FALSE(wildcard.ok());
  EXPECT_EQ(wildcard.error().reason, ReasonCode::WildcardSubscriptionsNotSupported);
  Result<Token> shared = c.session.subscribe({Subscription{"$share/g/a", QoS::AtMostOnce}}, {}, c.now);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().reason, ReasonCode::SharedSubscriptionsNotSupported);
  Properties with_id;
  with_id.subscription_identifiers = {3};
  Result<Token> identified = c.session.subscribe({Subscription{"a", QoS::AtMostOnce}}, with_id, c.now);
  ASSERT_FALSE(identified.ok());
  EXPECT_EQ(identified.error().reason, ReasonCode::SubscriptionIdentifiersNotSupported);
  EXPECT_TRUE(c.session.subscribe({Subscription{"a", QoS::AtMostOnce}}, {}, c.now).ok());
}

TEST(SessionSubscribe, QueuedWhileOfflineThenSent) {
  Conversation c(options_v5());
  Token token = c.subscribe({Subscription{"s", QoS::AtMostOnce}});
  EXPECT_EQ(c.session.queued_count(), 1u);
  c.start();
  c.open();
  Output out = c.receive(kConnAckV5);
  EXPECT_EQ(hex(out.bytes), hex({0x82, 0x07, 0x00, 0x01, 0x00,  // SUBSCRIBE id 1, no properties
                                 0x00, 0x01, 's', 0x00}));      // filter "s", QoS 0
  out = c.receive({0x90, 0x04, 0x00, 0x01, 0x00, 0x00});  // SUBACK id 1: granted QoS 0
  EXPECT_EQ(event_at<SubscribeCompleteEvent>(out, 0)->token, token);
}

TEST(SessionSubscribe, SubscribeIsNotHeldBackByReceiveMaximum) {
  Conversation c(options_v5());
  c.connect({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01});  // CONNACK: receive maximum 1
  c.publish(message("a", "1", QoS::AtLeastOnce));
  c.publish(message("b", "2", QoS::AtLeastOnce));  // waits for the quota
  c.take();
  c.subscribe({Subscription{"s", QoS::AtMostOnce}});
  // [MQTT-3.3.4-8]: only PUBLISH waits.
  EXPECT_EQ(hex(c.take().bytes), hex({0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 's', 0x00}));  // SUBSCRIBE id 2
}

TEST(SessionSubscribe, SubAckForUnknownIdIsReported) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  Output out = c.receive({0x90, 0x04, 0x00, 0x05, 0x00, 0x00});  // SUBACK id 5, never sent
  ASSERT_EQ(event_names(out), "Error");
  EXPECT_FALSE(out.close_transport);
  out = c.receive({0xB0, 0x04, 0x00, 0x05, 0x00, 0x00});  // UNSUBACK id 5
  EXPECT_EQ(event_names(out), "Error");
  EXPECT_EQ(c.session.state(), SessionState::Connected);
}

// Shared subscription filters are checked before sending: "$share/", a
// ShareName of at least one character without '/', '+' or '#', then '/' and
// a Topic Filter; No Local is refused on them.
TEST(SessionSubscribe, SharedSubscriptionFiltersMustBeWellFormed) {
  Conversation c(options_v5());
  c.connect(kConnAckV5);
  for (const char* filter : {"$share//a", "$share/g+/a", "$share/g#/a", "$share/g", "$share/g/"}) {
    Result<Token> bad = c.session.subscribe({Subscription{filter, QoS::AtMostOnce}}, {}, c.now);
    ASSERT_FALSE(bad.ok()) << filter;
    EXPECT_EQ(bad.error().reason, ReasonCode::TopicFilterInvalid) << filter;
  }
  Result<Token> no_local =
      c.session.subscribe({Subscription{"$share/g/a", QoS::AtMostOnce, true, false, 0}}, {}, c.now);
  ASSERT_FALSE(no_local.ok());
  EXPECT_EQ(no_local.error().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(c.take().bytes.empty());
  c.subscribe({Subscription{"$share/g/a/#", QoS::AtLeastOnce}});
  EXPECT_EQ(hex(c.take().bytes), hex({0x82, 0x12, 0x00, 0x01, 0x00,       // SUBSCRIBE id 1, no properties
                                      0x00, 0x0C, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '/', '#',
                                      0x01}));                            // QoS 1
}

// MQTT 3.1.1: topic filters that break 4.7 (empty, '#' not last, '+' not a
// whole level, U+0000, ill-formed UTF-8, over 65,535 bytes) and empty lists
// are refused before anything is written.
TEST(SessionSubscribe, V311InvalidFiltersAreRefusedAtOnce) {
  Conversation c(options_311());
  c.connect(kConnAck311);
  const std::string bad[] = {"",    "a/#/b",      "a#", "a+/b", std::string("a\0b", 3), "a/\xC0\xAF",
                             std::string(65'536, 'a')};
  for (const std::string& filter : bad) {
    EXPECT_FALSE(c.session.subscribe({Subscription{filter, QoS::AtMostOnce}}, {}, c.now).ok()) << filter.size();
    EXPECT_FALSE(c.session.unsubscribe({filter}, {}, c.now).ok()) << filter.size();
  }
  EXPECT_FALSE(c.session.subscribe({}, {}, c.now).ok());
  EXPECT_FALSE(c.session.unsubscribe({}, {}, c.now).ok());
  EXPECT_TRUE(c.take().bytes.empty());
}


}  // namespace
}  // namespace tpgate::mqtt::test
