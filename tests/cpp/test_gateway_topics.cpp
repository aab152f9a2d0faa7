// ThingsPanel gateway topics (docs/thingspanel.md#topics): every topic built and
// parsed back, precise parse errors, and the subscription lists
// (docs/thingspanel.md#one-filter-per-subscribe, docs/thingspanel.md#ack-topics,
// docs/thingspanel.md#online-status, docs/thingspanel.md#message-id).
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "gateway/topics.hpp"
#include "mqtt/topic.hpp"

namespace tpgate::gateway {
namespace {

// ------------------------------------------------------- build + parse golden

struct TopicCase {
  const char* why;
  TopicInfo info;
  const char* topic;
};

void PrintTo(const TopicCase& c, std::ostream* os) { *os << c.why; }

TopicInfo topic_info(TopicKind kind, std::string dn = {}, std::string mid = {}, AckFamily family = AckFamily::Gateway) {
  TopicInfo i;
  i.kind = kind;
  i.device_number = std::move(dn);
  i.message_id = std::move(mid);
  i.ack_family = family;
  return i;
}

TopicInfo status(std::string device_id) {
  TopicInfo i;
  i.kind = TopicKind::DeviceStatus;
  i.device_id = std::move(device_id);
  return i;
}

class TopicGoldenTest : public ::testing::TestWithParam<TopicCase> {};

TEST_P(TopicGoldenTest, Builds) {
  const TopicCase& c = GetParam();
  mqtt::Result<std::string> built = build_topic(c.info);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(*built, c.topic);
  EXPECT_TRUE(mqtt::validate_topic_name(*built).ok());
}

TEST_P(TopicGoldenTest, ParsesBack) {
  const TopicCase& c = GetParam();
  mqtt::Result<TopicInfo> parsed = parse_topic(c.topic);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, c.info);
}

INSTANTIATE_TEST_SUITE_P(
    EveryTopic, TopicGoldenTest,
    ::testing::Values(
        TopicCase{"telemetry", topic_info(TopicKind::Telemetry), "gateway/telemetry"},
        TopicCase{"attribute report", topic_info(TopicKind::AttributeReport, "", "1234567"), "gateway/attributes/1234567"},
        TopicCase{"event report", topic_info(TopicKind::EventReport, "", "0000042"), "gateway/event/0000042"},
        TopicCase{"command response", topic_info(TopicKind::CommandResponse, "", "m1"), "gateway/command/response/m1"},
        TopicCase{"attribute set response", topic_info(TopicKind::AttributeSetResponse, "", "m2"),
                  "gateway/attributes/set/response/m2"},
        TopicCase{"control", topic_info(TopicKind::Control, "gw-1"), "gateway/telemetry/control/gw-1"},
        TopicCase{"attribute set", topic_info(TopicKind::AttributeSet, "gw-1", "m3"), "gateway/attributes/set/gw-1/m3"},
        TopicCase{"attribute get", topic_info(TopicKind::AttributeGet, "gw-1"), "gateway/attributes/get/gw-1"},
        TopicCase{"command", topic_info(TopicKind::Command, "gw-1", "m4"), "gateway/command/gw-1/m4"},
        TopicCase{"attribute ack, spec family", topic_info(TopicKind::AttributeAck, "gw-1", "m5"),
                  "gateway/attributes/response/gw-1/m5"},
        TopicCase{"event ack, spec family", topic_info(TopicKind::EventAck, "gw-1", "m6"), "gateway/event/response/gw-1/m6"},
        // docs/thingspanel.md#ack-topics: the backend's ack family.
        TopicCase{"docs/thingspanel.md#ack-topics: attribute ack, devices family",
                  topic_info(TopicKind::AttributeAck, "gw-1", "m5", AckFamily::Devices),
                  "devices/attributes/response/gw-1/m5"},
        TopicCase{"docs/thingspanel.md#ack-topics: event ack, devices family", topic_info(TopicKind::EventAck, "gw-1", "m6", AckFamily::Devices),
                  "devices/event/response/gw-1/m6"},
        // docs/thingspanel.md#online-status: the broker's online status topic.
        TopicCase{"docs/thingspanel.md#online-status: device status", status("3f1c-uuid"), "devices/status/3f1c-uuid"}));

TEST(TopicBuilders, ConvenienceBuildersMatchBuildTopic) {
  EXPECT_EQ(telemetry_topic(), "gateway/telemetry");
  EXPECT_EQ(*attribute_report_topic("1"), "gateway/attributes/1");
  EXPECT_EQ(*event_report_topic("2"), "gateway/event/2");
  EXPECT_EQ(*command_response_topic("3"), "gateway/command/response/3");
  EXPECT_EQ(*attribute_set_response_topic("4"), "gateway/attributes/set/response/4");
  EXPECT_EQ(*control_topic("dn"), "gateway/telemetry/control/dn");
  EXPECT_EQ(*attribute_set_topic("dn", "5"), "gateway/attributes/set/dn/5");
  EXPECT_EQ(*attribute_get_topic("dn"), "gateway/attributes/get/dn");
  EXPECT_EQ(*command_topic("dn", "6"), "gateway/command/dn/6");
  EXPECT_EQ(*attribute_ack_topic("dn", "7"), "gateway/attributes/response/dn/7");
  EXPECT_EQ(*attribute_ack_topic("dn", "7", AckFamily::Devices), "devices/attributes/response/dn/7");
  EXPECT_EQ(*event_ack_topic("dn", "8"), "gateway/event/response/dn/8");
  EXPECT_EQ(*event_ack_topic("dn", "8", AckFamily::Devices), "devices/event/response/dn/8");
  EXPECT_EQ(*device_status_topic("id"), "devices/status/id");
}

// ------------------------------------------------------------ build errors

struct BuildErrorCase {
  const char* why;
  TopicInfo info;
  const char* message;
};

void PrintTo(const BuildErrorCase& c, std::ostream* os) { *os << c.why; }

class TopicBuildErrorTest : public ::testing::TestWithParam<BuildErrorCase> {};

TEST_P(TopicBuildErrorTest, RejectsWithPreciseMessage) {
  const BuildErrorCase& c = GetParam();
  mqtt::Result<std::string> built = build_topic(c.info);
  ASSERT_FALSE(built.ok()) << *built;
  EXPECT_EQ(built.error().reason, mqtt::ReasonCode::TopicNameInvalid);
  EXPECT_EQ(built.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TopicBuildErrorTest,
    ::testing::Values(
        // docs/thingspanel.md#message-id: message_id non-empty, no '/', '+', '#'.
        BuildErrorCase{"docs/thingspanel.md#message-id: empty message_id", topic_info(TopicKind::EventReport),
                       "gateway/event/{message_id}: message_id is empty"},
        BuildErrorCase{"docs/thingspanel.md#message-id: message_id with '/'", topic_info(TopicKind::AttributeReport, "", "a/b"),
                       "gateway/attributes/{message_id}: message_id contains '/'"},
        BuildErrorCase{"docs/thingspanel.md#message-id: message_id with '+'", topic_info(TopicKind::Command, "gw", "+"),
                       "gateway/command/{device_number}/{message_id}: message_id contains '+'"},
        BuildErrorCase{"docs/thingspanel.md#message-id: message_id with '#'", topic_info(TopicKind::AttributeSet, "gw", "1#"),
                       "gateway/attributes/set/{device_number}/{message_id}: message_id contains '#'"},
        BuildErrorCase{"empty device_number", topic_info(TopicKind::Control),
                       "gateway/telemetry/control/{device_number}: device_number is empty"},
        BuildErrorCase{"device_number with '/'", topic_info(TopicKind::AttributeGet, "a/b"),
                       "gateway/attributes/get/{device_number}: device_number contains '/'"},
        BuildErrorCase{"device_number with '+'", topic_info(TopicKind::EventAck, "+", "1", AckFamily::Devices),
                       "devices/event/response/{device_number}/{message_id}: device_number contains '+'"},
        BuildErrorCase{"empty device_id", status(""), "devices/status/{device_id}: device_id is empty"}));

// ------------------------------------------------------------ parse errors

struct ParseErrorCase {
  const char* why;
  const char* topic;
  TopicDirection direction;
  const char* message;
};

void PrintTo(const ParseErrorCase& c, std::ostream* os) { *os << c.why; }

class TopicParseErrorTest : public ::testing::TestWithParam<ParseErrorCase> {};

TEST_P(TopicParseErrorTest, RejectsWithPreciseMessage) {
  const ParseErrorCase& c = GetParam();
  mqtt::Result<TopicInfo> parsed = parse_topic(c.topic, c.direction);
  ASSERT_FALSE(parsed.ok()) << topic_kind_name(parsed->kind);
  EXPECT_EQ(parsed.error().reason, mqtt::ReasonCode::TopicNameInvalid);
  EXPECT_EQ(parsed.error().message, c.message);
}

constexpr TopicDirection kAny = TopicDirection::Any;

INSTANTIATE_TEST_SUITE_P(
    Table, TopicParseErrorTest,
    ::testing::Values(
        ParseErrorCase{"docs/thingspanel.md#message-id: empty message_id in a report", "gateway/attributes/", kAny,
                       "gateway/attributes/{message_id}: message_id is empty"},
        ParseErrorCase{"docs/thingspanel.md#message-id: empty message_id in a command", "gateway/command/gw/", kAny,
                       "gateway/command/{device_number}/{message_id}: message_id is empty"},
        ParseErrorCase{"docs/thingspanel.md#message-id: empty message_id in a devices-family ack", "devices/event/response/gw/", kAny,
                       "devices/event/response/{device_number}/{message_id}: message_id is empty"},
        ParseErrorCase{"docs/thingspanel.md#message-id: '/' in a message_id is one level too many", "gateway/event/12/34", kAny,
                       "gateway/event/{message_id}: message_id contains '/'"},
        ParseErrorCase{"docs/thingspanel.md#message-id: '/' in an attribute set message_id", "gateway/attributes/set/gw/1/2",
                       TopicDirection::Downlink,
                       "gateway/attributes/set/{device_number}/{message_id}: message_id contains '/'"},
        ParseErrorCase{"docs/thingspanel.md#message-id: '+' in a message_id", "gateway/command/response/a+b", kAny,
                       "gateway/command/response/{message_id}: message_id contains '+'"},
        ParseErrorCase{"docs/thingspanel.md#message-id: '#' in a message_id", "gateway/attributes/x#", kAny,
                       "gateway/attributes/{message_id}: message_id contains '#'"},
        ParseErrorCase{"empty device_number", "gateway/attributes/get/", kAny,
                       "gateway/attributes/get/{device_number}: device_number is empty"},
        ParseErrorCase{"empty device_number before a message_id", "gateway/attributes/response//1", kAny,
                       "gateway/attributes/response/{device_number}/{message_id}: device_number is empty"},
        ParseErrorCase{"'/' in a control device_number", "gateway/telemetry/control/a/b", kAny,
                       "gateway/telemetry/control/{device_number}: device_number contains '/'"},
        ParseErrorCase{"empty device_id in a status topic", "devices/status/", kAny,
                       "devices/status/{device_id}: device_id is empty"},
        ParseErrorCase{"unknown prefix", "foo/bar", kAny, "unknown topic 'foo/bar'"},
        ParseErrorCase{"empty topic", "", kAny, "unknown topic ''"},
        ParseErrorCase{"telemetry with an extra level", "gateway/telemetry/x", kAny,
                       "unknown topic 'gateway/telemetry/x'"},
        ParseErrorCase{"a very deep topic", "gateway/a/b/c/d/e/f/g/h/i", kAny,
                       "unknown topic 'gateway/a/b/c/d/e/f/g/h/i'"},
        ParseErrorCase{"a downlink where an uplink is expected", "gateway/telemetry/control/gw",
                       TopicDirection::Uplink, "unknown topic 'gateway/telemetry/control/gw' (not a gateway uplink)"},
        ParseErrorCase{"an uplink where a downlink is expected", "gateway/telemetry", TopicDirection::Downlink,
                       "unknown topic 'gateway/telemetry' (not a gateway downlink)"},
        ParseErrorCase{"docs/thingspanel.md#online-status: status is not a gateway downlink", "devices/status/x", TopicDirection::Downlink,
                       "unknown topic 'devices/status/x' (not a gateway downlink)"}));

// The two shapes that collide: a session says which side it is on.
TEST(TopicParse, CommandResponseVersusCommandForDeviceNumberResponse) {
  mqtt::Result<TopicInfo> any = parse_topic("gateway/command/response/77");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->kind, TopicKind::CommandResponse);
  EXPECT_EQ(any->message_id, "77");

  mqtt::Result<TopicInfo> down = parse_topic("gateway/command/response/77", TopicDirection::Downlink);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->kind, TopicKind::Command);
  EXPECT_EQ(down->device_number, "response");
  EXPECT_EQ(down->message_id, "77");
}

TEST(TopicParse, AttributeSetResponseVersusAttributeSetForDeviceNumberResponse) {
  mqtt::Result<TopicInfo> up = parse_topic("gateway/attributes/set/response/9", TopicDirection::Uplink);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->kind, TopicKind::AttributeSetResponse);

  mqtt::Result<TopicInfo> down = parse_topic("gateway/attributes/set/response/9", TopicDirection::Downlink);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->kind, TopicKind::AttributeSet);
  EXPECT_EQ(down->device_number, "response");
}

TEST(TopicParse, ThreeLevelAttributeTopicIsAlwaysAReport) {
  // `gateway/attributes/set` and `.../get` have too few levels to be a set/get.
  mqtt::Result<TopicInfo> parsed = parse_topic("gateway/attributes/set");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, TopicKind::AttributeReport);
  EXPECT_EQ(parsed->message_id, "set");
}

TEST(TopicKinds, MessageIdAndDeviceNumberLevels) {
  EXPECT_FALSE(has_message_id(TopicKind::Telemetry));
  EXPECT_TRUE(has_message_id(TopicKind::AttributeReport));
  EXPECT_TRUE(has_message_id(TopicKind::EventAck));
  EXPECT_FALSE(has_message_id(TopicKind::AttributeGet));
  EXPECT_TRUE(has_device_number(TopicKind::Control));
  EXPECT_FALSE(has_device_number(TopicKind::CommandResponse));
  EXPECT_FALSE(has_device_number(TopicKind::DeviceStatus));
}

// ----------------------------------------------------------- subscriptions

// docs/thingspanel.md#one-filter-per-subscribe: one filter per entry (the caller sends
// one SUBSCRIBE each); docs/thingspanel.md#ack-topics: both ack families.
TEST(GatewaySubscriptions, OneFilterPerSubscribeBothAckTopics) {
  mqtt::Result<std::vector<std::string>> subs = gateway_subscriptions("gw-1");
  ASSERT_TRUE(subs.ok());
  const std::vector<std::string> expected{
      "gateway/telemetry/control/gw-1",     "gateway/attributes/set/gw-1/+",
      "gateway/attributes/get/gw-1",        "gateway/command/gw-1/+",
      "gateway/attributes/response/gw-1/+", "gateway/event/response/gw-1/+",
      "devices/attributes/response/gw-1/+", "devices/event/response/gw-1/+",
  };
  EXPECT_EQ(*subs, expected);
  for (const std::string& filter : *subs) {
    // Each entry is exactly one valid filter, never a list.
    EXPECT_TRUE(mqtt::validate_topic_filter(filter).ok()) << filter;
  }
}

// Every downlink the platform builds for this gateway matches one of its filters,
// and acks of both families do (docs/thingspanel.md#ack-topics).
TEST(GatewaySubscriptions, AckTopicsEveryDownlinkIsCovered) {
  const std::vector<std::string> subs = *gateway_subscriptions("gw-1");
  const std::vector<std::string> downlinks{
      *control_topic("gw-1"),          *attribute_set_topic("gw-1", "1"),
      *attribute_get_topic("gw-1"),    *command_topic("gw-1", "2"),
      *attribute_ack_topic("gw-1", "3"), *attribute_ack_topic("gw-1", "3", AckFamily::Devices),
      *event_ack_topic("gw-1", "4"),   *event_ack_topic("gw-1", "4", AckFamily::Devices),
  };
  for (const std::string& topic : downlinks) {
    int matches = 0;
    for (const std::string& f : subs) matches += mqtt::topic_matches(f, topic) ? 1 : 0;
    EXPECT_EQ(matches, 1) << topic;
  }
  // Nothing aimed at another gateway.
  for (const std::string& f : subs) EXPECT_FALSE(mqtt::topic_matches(f, *command_topic("gw-2", "1"))) << f;
}

TEST(GatewaySubscriptions, RejectsDeviceNumberThatIsNotOneLevel) {
  for (const char* dn : {"", "a/b", "+", "#"}) {
    mqtt::Result<std::vector<std::string>> subs = gateway_subscriptions(dn);
    ASSERT_FALSE(subs.ok()) << dn;
    EXPECT_EQ(subs.error().message.rfind("device_number", 0), 0u) << subs.error().message;
  }
}

TEST(PlatformSubscriptions, EveryUplinkAndStatus) {
  mqtt::Result<std::vector<std::string>> subs = platform_subscriptions();
  ASSERT_TRUE(subs.ok());
  const std::vector<std::string> expected{
      "gateway/telemetry",          "gateway/attributes/+",
      "gateway/event/+",            "gateway/command/response/+",
      "gateway/attributes/set/response/+", "devices/status/+",
  };
  EXPECT_EQ(*subs, expected);
  const std::vector<std::string> uplinks{
      telemetry_topic(), *attribute_report_topic("1"), *event_report_topic("2"), *command_response_topic("3"),
      *attribute_set_response_topic("4"), *device_status_topic("uuid"),
  };
  for (const std::string& topic : uplinks) {
    int matches = 0;
    for (const std::string& f : *subs) matches += mqtt::topic_matches(f, topic) ? 1 : 0;
    EXPECT_EQ(matches, 1) << topic;
  }
}

TEST(PlatformSubscriptions, SharedGroupPrefixesEveryFilter) {
  mqtt::Result<std::vector<std::string>> subs = platform_subscriptions("tp");
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 6u);
  EXPECT_EQ(subs->front(), "$share/tp/gateway/telemetry");
  for (const std::string& f : *subs) {
    EXPECT_TRUE(mqtt::validate_topic_filter(f).ok()) << f;
    auto shared = mqtt::parse_shared_subscription(f);
    ASSERT_TRUE(shared.has_value()) << f;
    EXPECT_EQ(shared->group, "tp");
  }
  EXPECT_TRUE(mqtt::topic_matches((*subs)[1], "gateway/attributes/1234567"));
}

TEST(PlatformSubscriptions, RejectsBadShareGroup) {
  for (const char* group : {"a/b", "+", "#"}) {
    mqtt::Result<std::vector<std::string>> subs = platform_subscriptions(group);
    ASSERT_FALSE(subs.ok()) << group;
    EXPECT_EQ(subs.error().message.rfind("share group", 0), 0u) << subs.error().message;
  }
}

}  // namespace
}  // namespace tpgate::gateway
