#include "gateway/topics.hpp"

#include <array>
#include <cstddef>

#include "gateway/message_id.hpp"
#include "mqtt/topic.hpp"

namespace tpgate::gateway {
namespace {

using mqtt::ReasonCode;

// Who receives a topic: Uplink topics are received by the platform (including
// the broker's status topic), Downlink topics by the gateway.
struct TopicPattern {
  TopicKind kind;
  AckFamily family;
  TopicDirection received_by;
  std::string_view pattern;  // levels; {dn}, {mid}, {id} are placeholders
};

// docs/thingspanel.md#topics. Order matters for TopicDirection::Any: the uplink
// responses come before the command and attribute-set downlinks they collide with.
constexpr std::array<TopicPattern, 14> kPatterns{{
    {TopicKind::Telemetry, AckFamily::Gateway, TopicDirection::Uplink, "gateway/telemetry"},
    {TopicKind::AttributeReport, AckFamily::Gateway, TopicDirection::Uplink, "gateway/attributes/{mid}"},
    {TopicKind::EventReport, AckFamily::Gateway, TopicDirection::Uplink, "gateway/event/{mid}"},
    {TopicKind::CommandResponse, AckFamily::Gateway, TopicDirection::Uplink, "gateway/command/response/{mid}"},
    {TopicKind::AttributeSetResponse, AckFamily::Gateway, TopicDirection::Uplink,
     "gateway/attributes/set/response/{mid}"},
    // docs/thingspanel.md#online-status: published by the broker, received by the platform.
    {TopicKind::DeviceStatus, AckFamily::Gateway, TopicDirection::Uplink, "devices/status/{id}"},
    {TopicKind::Control, AckFamily::Gateway, TopicDirection::Downlink, "gateway/telemetry/control/{dn}"},
    {TopicKind::AttributeSet, AckFamily::Gateway, TopicDirection::Downlink, "gateway/attributes/set/{dn}/{mid}"},
    {TopicKind::AttributeGet, AckFamily::Gateway, TopicDirection::Downlink, "gateway/attributes/get/{dn}"},
    {TopicKind::Command, AckFamily::Gateway, TopicDirection::Downlink, "gateway/command/{dn}/{mid}"},
    // docs/thingspanel.md#ack-topics: the spec's ack family, then the one the backend really uses.
    {TopicKind::AttributeAck, AckFamily::Gateway, TopicDirection::Downlink, "gateway/attributes/response/{dn}/{mid}"},
    {TopicKind::EventAck, AckFamily::Gateway, TopicDirection::Downlink, "gateway/event/response/{dn}/{mid}"},
    {TopicKind::AttributeAck, AckFamily::Devices, TopicDirection::Downlink, "devices/attributes/response/{dn}/{mid}"},
    {TopicKind::EventAck, AckFamily::Devices, TopicDirection::Downlink, "devices/event/response/{dn}/{mid}"},
}};

constexpr std::size_t kMaxLevels = 6;

// Splits on '/'; returns false when there are more than kMaxLevels + 1 levels
// (no pattern is that long; the extra one lets "one level too many" be seen).
struct Levels {
  std::array<std::string_view, kMaxLevels + 1> at{};
  std::size_t count = 0;
  bool overflow = false;
};

Levels split(std::string_view s) {
  Levels out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = s.find('/', start);
    const std::string_view level = s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (out.count == out.at.size()) {
      out.overflow = true;
      return out;
    }
    out.at[out.count++] = level;
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool is_placeholder(std::string_view level) { return !level.empty() && level.front() == '{'; }

std::string_view placeholder_field(std::string_view placeholder) {
  if (placeholder == "{dn}") return "device_number";
  if (placeholder == "{mid}") return "message_id";
  return "device_id";
}

// Literals of `p` equal the first p.count levels of `t`.
bool literals_match(const Levels& p, const Levels& t) {
  if (t.count < p.count) return false;
  for (std::size_t i = 0; i < p.count; ++i) {
    if (!is_placeholder(p.at[i]) && p.at[i] != t.at[i]) return false;
  }
  return true;
}

std::size_t literal_count(const Levels& p) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.count; ++i) n += is_placeholder(p.at[i]) ? 0 : 1;
  return n;
}

bool direction_allows(TopicDirection wanted, TopicDirection received_by) {
  return wanted == TopicDirection::Any || wanted == received_by;
}

mqtt::Status validate_field(std::string_view placeholder, std::string_view value) {
  if (placeholder == "{mid}") return validate_message_id(value);
  return validate_topic_level(value, placeholder_field(placeholder));
}

mqtt::Error in_pattern(std::string_view pattern, const mqtt::Error& e) {
  std::string where(pattern);
  // Show the field by name in the pattern ("gateway/event/{message_id}: ...").
  for (std::string_view from : {std::string_view("{dn}"), std::string_view("{mid}"), std::string_view("{id}")}) {
    const std::size_t at = where.find(from);
    if (at != std::string::npos) where.replace(at, from.size(), "{" + std::string(placeholder_field(from)) + "}");
  }
  return mqtt::make_error(e.reason, where + ": " + e.message);
}

const TopicPattern* pattern_for(TopicKind kind, AckFamily family) {
  const bool is_ack = kind == TopicKind::AttributeAck || kind == TopicKind::EventAck;
  for (const TopicPattern& p : kPatterns) {
    if (p.kind == kind && (!is_ack || p.family == family)) return &p;
  }
  return nullptr;
}

}  // namespace

std::string_view topic_kind_name(TopicKind kind) {
  switch (kind) {
    case TopicKind::Telemetry: return "telemetry";
    case TopicKind::AttributeReport: return "attribute report";
    case TopicKind::EventReport: return "event report";
    case TopicKind::CommandResponse: return "command response";
    case TopicKind::AttributeSetResponse: return "attribute set response";
    case TopicKind::Control: return "control";
    case TopicKind::AttributeSet: return "attribute set";
    case TopicKind::AttributeGet: return "attribute get";
    case TopicKind::Command: return "command";
    case TopicKind::AttributeAck: return "attribute ack";
    case TopicKind::EventAck: return "event ack";
    case TopicKind::DeviceStatus: return "device status";
  }
  return "unknown";
}

bool has_message_id(TopicKind kind) {
  const TopicPattern* p = pattern_for(kind, AckFamily::Gateway);
  return p != nullptr && p->pattern.find("{mid}") != std::string_view::npos;
}

bool has_device_number(TopicKind kind) {
  const TopicPattern* p = pattern_for(kind, AckFamily::Gateway);
  return p != nullptr && p->pattern.find("{dn}") != std::string_view::npos;
}

mqtt::Status validate_topic_level(std::string_view value, std::string_view field) {
  const auto fail = [&](std::string_view what) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, std::string(field) + std::string(what));
  };
  if (value.empty()) return fail(" is empty");
  if (value.find('/') != std::string_view::npos) return fail(" contains '/'");
  // [MQTT-3.3.2-2] no wildcards in a topic name.
  if (value.find('+') != std::string_view::npos) return fail(" contains '+'");
  if (value.find('#') != std::string_view::npos) return fail(" contains '#'");
  mqtt::Status utf8 = mqtt::validate_utf8_string(value);
  if (!utf8.ok()) return fail(": " + utf8.error().message);
  return mqtt::ok_status();
}

mqtt::Result<std::string> build_topic(const TopicInfo& info) {
  const TopicPattern* p = pattern_for(info.kind, info.ack_family);
  if (p == nullptr) return mqtt::make_error(ReasonCode::ImplementationSpecificError, "no topic for this kind");
  std::string out;
  const Levels levels = split(p->pattern);
  for (std::size_t i = 0; i < levels.count; ++i) {
    if (i != 0) out += '/';
    const std::string_view level = levels.at[i];
    if (!is_placeholder(level)) {
      out += level;
      continue;
    }
    const std::string& value = level == "{dn}" ? info.device_number : level == "{mid}" ? info.message_id : info.device_id;
    mqtt::Status valid = validate_field(level, value);
    if (!valid.ok()) return in_pattern(p->pattern, valid.error());
    out += value;
  }
  return out;
}

std::string telemetry_topic() { return "gateway/telemetry"; }

namespace {
mqtt::Result<std::string> with_mid(TopicKind kind, std::string_view mid) {
  TopicInfo info;
  info.kind = kind;
  info.message_id = std::string(mid);
  return build_topic(info);
}
mqtt::Result<std::string> with_dn(TopicKind kind, std::string_view dn, std::string_view mid = {},
                                  AckFamily family = AckFamily::Gateway) {
  TopicInfo info;
  info.kind = kind;
  info.device_number = std::string(dn);
  info.message_id = std::string(mid);
  info.ack_family = family;
  return build_topic(info);
}
}  // namespace

mqtt::Result<std::string> attribute_report_topic(std::string_view message_id) {
  return with_mid(TopicKind::AttributeReport, message_id);
}
mqtt::Result<std::string> event_report_topic(std::string_view message_id) {
  return with_mid(TopicKind::EventReport, message_id);
}
mqtt::Result<std::string> command_response_topic(std::string_view message_id) {
  return with_mid(TopicKind::CommandResponse, message_id);
}
mqtt::Result<std::string> attribute_set_response_topic(std::string_view message_id) {
  return with_mid(TopicKind::AttributeSetResponse, message_id);
}
mqtt::Result<std::string> control_topic(std::string_view device_number) {
  return with_dn(TopicKind::Control, device_number);
}
mqtt::Result<std::string> attribute_set_topic(std::string_view device_number, std::string_view message_id) {
  return with_dn(TopicKind::AttributeSet, device_number, message_id);
}
mqtt::Result<std::string> attribute_get_topic(std::string_view device_number) {
  return with_dn(TopicKind::AttributeGet, device_number);
}
mqtt::Result<std::string> command_topic(std::string_view device_number, std::string_view message_id) {
  return with_dn(TopicKind::Command, device_number, message_id);
}
mqtt::Result<std::string> attribute_ack_topic(std::string_view device_number, std::string_view message_id,
                                              AckFamily family) {
  return with_dn(TopicKind::AttributeAck, device_number, message_id, family);
}
mqtt::Result<std::string> event_ack_topic(std::string_view device_number, std::string_view message_id,
                                          AckFamily family) {
  return with_dn(TopicKind::EventAck, device_number, message_id, family);
}
mqtt::Result<std::string> device_status_topic(std::string_view device_id) {
  TopicInfo info;
  info.kind = TopicKind::DeviceStatus;
  info.device_id = std::string(device_id);
  return build_topic(info);
}

mqtt::Result<TopicInfo> parse_topic(std::string_view topic, TopicDirection direction) {
  const Levels t = split(topic);
  // Exact shape first: same number of levels, literals equal.
  for (const TopicPattern& p : kPatterns) {
    if (!direction_allows(direction, p.received_by)) continue;
    const Levels pl = split(p.pattern);
    if (t.overflow || pl.count != t.count || !literals_match(pl, t)) continue;
    TopicInfo info;
    info.kind = p.kind;
    info.ack_family = p.family;
    for (std::size_t i = 0; i < pl.count; ++i) {
      if (!is_placeholder(pl.at[i])) continue;
      mqtt::Status valid = validate_field(pl.at[i], t.at[i]);
      if (!valid.ok()) return in_pattern(p.pattern, valid.error());
      std::string& field = pl.at[i] == "{dn}" ? info.device_number : pl.at[i] == "{mid}" ? info.message_id : info.device_id;
      field = std::string(t.at[i]);
    }
    return info;
  }
  // A known prefix followed by more levels than the pattern has: the last
  // field held a '/'. Name the pattern with the longest literal prefix.
  const TopicPattern* best = nullptr;
  std::size_t best_literals = 0;
  for (const TopicPattern& p : kPatterns) {
    if (!direction_allows(direction, p.received_by)) continue;
    const Levels pl = split(p.pattern);
    if (t.count <= pl.count || !is_placeholder(pl.at[pl.count - 1]) || !literals_match(pl, t)) continue;
    const std::size_t n = literal_count(pl);
    if (best == nullptr || n > best_literals) {
      best = &p;
      best_literals = n;
    }
  }
  if (best != nullptr) {
    const Levels pl = split(best->pattern);
    return in_pattern(best->pattern, mqtt::make_error(ReasonCode::TopicNameInvalid,
                                                      std::string(placeholder_field(pl.at[pl.count - 1])) +
                                                          " contains '/'"));
  }
  std::string message = "unknown topic '" + std::string(topic) + "'";
  if (direction == TopicDirection::Uplink) message += " (not a gateway uplink)";
  if (direction == TopicDirection::Downlink) message += " (not a gateway downlink)";
  return mqtt::make_error(ReasonCode::TopicNameInvalid, std::move(message));
}

mqtt::Result<std::vector<std::string>> gateway_subscriptions(std::string_view device_number) {
  mqtt::Status valid = validate_topic_level(device_number, "device_number");
  if (!valid.ok()) return valid.error();
  const std::string dn(device_number);
  // "+" stands for the message_id level (spec: "`+` is `message_id` placeholder").
  return std::vector<std::string>{
      "gateway/telemetry/control/" + dn,
      "gateway/attributes/set/" + dn + "/+",
      "gateway/attributes/get/" + dn,
      "gateway/command/" + dn + "/+",
      "gateway/attributes/response/" + dn + "/+",
      "gateway/event/response/" + dn + "/+",
      "devices/attributes/response/" + dn + "/+",  // docs/thingspanel.md#ack-topics
      "devices/event/response/" + dn + "/+",       // docs/thingspanel.md#ack-topics
  };
}

mqtt::Result<std::vector<std::string>> platform_subscriptions(std::string_view share_group) {
  std::string prefix;
  if (!share_group.empty()) {
    // [MQTT-4.8.2-1] a ShareName has no '/', '+' or '#'.
    mqtt::Status valid = validate_topic_level(share_group, "share group");
    if (!valid.ok()) return valid.error();
    prefix = "$share/" + std::string(share_group) + "/";
  }
  std::vector<std::string> filters{
      "gateway/telemetry",
      "gateway/attributes/+",
      "gateway/event/+",
      "gateway/command/response/+",
      "gateway/attributes/set/response/+",
      "devices/status/+",  // docs/thingspanel.md#online-status
  };
  for (std::string& f : filters) f = prefix + f;
  return filters;
}

}  // namespace tpgate::gateway
