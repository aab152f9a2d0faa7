#include "gateway/gateway_role.hpp"

#include <utility>

#include "gateway/payload_body.hpp"

namespace tpgate::gateway {
namespace {

// A set key telling "gw_1 the sub-gateway" from "gw_1 the sub-device", which
// Target::to_string writes alike. The separators are control characters no real address
// holds; were one to, a collision could only make a target look known, never unknown.
std::string target_key(const Target& target) {
  std::string key;
  for (const auto& gw : target.sub_gateways) {
    key += gw;
    key += '\x1f';
  }
  key += target.sub_device ? '\x1e' + *target.sub_device : std::string("\x1d");
  return key;
}

mqtt::Error input_error(std::string message) {
  return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, std::move(message));
}

std::optional<PayloadKind> payload_kind_of(DownlinkKind kind) {
  switch (kind) {
    case DownlinkKind::Control: return PayloadKind::Control;
    case DownlinkKind::AttributeSet: return PayloadKind::AttributeSet;
    case DownlinkKind::AttributeGet: return PayloadKind::AttributeGet;
    case DownlinkKind::Command: return PayloadKind::Command;
  }
  return std::nullopt;
}

// The topic answering a downlink; nullopt for control and attribute get, which the
// spec answers with no response (a get is answered by an attribute report instead).
std::optional<mqtt::Result<std::string>> response_topic_for(DownlinkKind kind, const std::string& message_id) {
  if (kind == DownlinkKind::Command) return command_response_topic(message_id);
  if (kind == DownlinkKind::AttributeSet) return attribute_set_response_topic(message_id);
  return std::nullopt;
}

}  // namespace

std::string_view downlink_kind_name(DownlinkKind kind) {
  switch (kind) {
    case DownlinkKind::Control: return "control";
    case DownlinkKind::AttributeSet: return "attribute set";
    case DownlinkKind::AttributeGet: return "attribute get";
    case DownlinkKind::Command: return "command";
  }
  return "downlink";
}

GatewayRole::GatewayRole(GatewayRoleOptions options)
    : options_(std::move(options)), message_ids_(options_.message_id) {
  options_.limits.max_sub_gateway_depth = options_.max_depth;
}

mqtt::Result<std::vector<std::string>> GatewayRole::subscriptions() const {
  // gateway_subscriptions gives one filter per entry (docs/thingspanel.md#one-filter-per-subscribe)
  // and both ack families (docs/thingspanel.md#ack-topics).
  return gateway_subscriptions(options_.device_number);
}

void GatewayRole::set_known_targets(std::vector<Target> targets) {
  known_.emplace();
  for (const auto& t : targets) known_->insert(target_key(t));
}

void GatewayRole::clear_known_targets() { known_.reset(); }

bool GatewayRole::is_known(const Target& target) const {
  if (!known_) return true;
  if (target.sub_gateways.empty() && !target.sub_device) return true;  // the gateway itself
  return known_->count(target_key(target)) != 0;
}

GatewayOutput GatewayRole::receive(std::string_view topic, std::string_view payload, std::int64_t now_ms) {
  GatewayOutput out;
  auto info = parse_topic(topic, TopicDirection::Downlink);
  if (!info) {
    out.events.push_back(ErrorEvent{info.error(), std::string(topic)});
    return out;
  }
  if (has_device_number(info->kind) && info->device_number != options_.device_number) {
    out.events.push_back(ErrorEvent{
        mqtt::make_error(mqtt::ReasonCode::TopicNameInvalid,
                         "device_number '" + info->device_number + "' is not this gateway's ('" +
                             options_.device_number + "')"),
        std::string(topic)});
    return out;
  }
  switch (info->kind) {
    case TopicKind::AttributeAck:
    case TopicKind::EventAck: handle_ack(*info, payload, now_ms, out); break;
    case TopicKind::Control: handle_request(*info, DownlinkKind::Control, topic, payload, now_ms, out); break;
    case TopicKind::AttributeSet: handle_request(*info, DownlinkKind::AttributeSet, topic, payload, now_ms, out); break;
    case TopicKind::AttributeGet: handle_request(*info, DownlinkKind::AttributeGet, topic, payload, now_ms, out); break;
    case TopicKind::Command: handle_request(*info, DownlinkKind::Command, topic, payload, now_ms, out); break;
    default:
      out.events.push_back(ErrorEvent{
          mqtt::make_error(mqtt::ReasonCode::TopicNameInvalid,
                           std::string(topic_kind_name(info->kind)) + " is not a gateway downlink"),
          std::string(topic)});
  }
  return out;
}

void GatewayRole::handle_ack(const TopicInfo& info, std::string_view payload, std::int64_t now_ms,
                             GatewayOutput& out) {
  // docs/thingspanel.md#flat-responses: parse_response never fails; a non-JSON ack or a string result
  // comes back as a failure with `problem` set.
  ParsedResponse parsed = parse_response(payload);
  Resolution res = correlator_.resolve(info, now_ms);  // either family (docs/thingspanel.md#ack-topics)
  if (!res.matched()) {
    out.events.push_back(Warning{res.problem});
    return;
  }
  reports_.erase(res.resolved->token);
  ReportAcked acked;
  acked.token = res.resolved->token;
  acked.rtt_ms = res.resolved->rtt_ms;
  acked.success = parsed.response.success && parsed.problem.empty();
  acked.result = std::move(parsed.response);
  acked.problem = std::move(parsed.problem);
  acked.family = info.ack_family;
  out.events.push_back(std::move(acked));
}

void GatewayRole::fail_message(DownlinkKind kind, const std::string& message_id, const mqtt::Error& error,
                               std::int64_t now_ms, GatewayOutput& out) {
  auto topic = response_topic_for(kind, message_id);
  if (!topic || !*topic) return;  // control / get: the platform expects no response
  // The method is left out: the message could not be read, so which one it named is unknown.
  Response r = failure_response(std::string(kErrcodeInvalidParam), error.message, now_ms);
  out.publications.push_back(Publication{**topic, build_response(r), options_.qos, false});
}

void GatewayRole::handle_request(const TopicInfo& info, DownlinkKind kind, std::string_view topic,
                                 std::string_view payload, std::int64_t now_ms, GatewayOutput& out) {
  const bool answered = kind == DownlinkKind::Command || kind == DownlinkKind::AttributeSet;
  if (answered) {
    // A second request with a message_id still open: answering it would give the
    // platform two responses for one message_id, so it is refused without a response.
    for (const auto& [id, g] : groups_) {
      if (g.kind == kind && g.message_id == info.message_id) {
        out.events.push_back(ErrorEvent{
            mqtt::make_error(mqtt::ReasonCode::PacketIdentifierInUse,
                             std::string(downlink_kind_name(kind)) + " message_id " + info.message_id +
                                 " is still being answered"),
            std::string(topic)});
        return;
      }
    }
  }
  auto parsed = parse_gateway_payload(*payload_kind_of(kind), payload, options_.limits);
  if (!parsed) {
    out.events.push_back(ErrorEvent{parsed.error(), std::string(topic)});
    fail_message(kind, info.message_id, parsed.error(), now_ms, out);
    return;
  }
  for (auto& w : parsed->warnings) out.events.push_back(Warning{std::move(w)});

  const std::uint64_t group_id = next_group_++;
  Group group;
  group.kind = kind;
  if (answered) group.message_id = info.message_id;
  // docs/thingspanel.md#one-target-per-downlink: every target the message carries, at any depth.
  std::vector<Routed> routed = route(parsed->root);
  for (auto& r : routed) {
    if (kind == DownlinkKind::Command && !group.method) group.method = command_call(r.body).method;
    if (!is_known(r.target)) {
      const std::string name = r.target.to_string();
      out.events.push_back(ErrorEvent{
          mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid,
                           std::string(downlink_kind_name(kind)) + " for unknown device " + name),
          std::string(topic)});
      if (group.failures.empty()) group.errcode = std::string(kErrcodeUnknownDevice);
      group.failures.push_back(name + ": unknown device");
      continue;
    }
    Request req;
    req.id = next_request_++;
    req.kind = kind;
    req.message_id = group.message_id;
    req.target = r.target;
    OpenRequest open{group_id, r.target, {}};
    switch (kind) {
      case DownlinkKind::Command: req.body = command_body(command_call(r.body)); break;
      case DownlinkKind::AttributeGet:
        open.keys = attribute_keys(r.body);
        req.body = json{{"keys", open.keys}};
        break;
      default: req.body = std::move(r.body);
    }
    requests_.emplace(req.id, std::move(open));
    ++group.outstanding;
    out.events.push_back(std::move(req));
  }
  groups_.emplace(group_id, std::move(group));
  if (groups_[group_id].outstanding == 0) finish(group_id, now_ms, out);
}

mqtt::Result<GatewayOutput> GatewayRole::respond(std::uint64_t request_id, const RequestOutcome& outcome,
                                                 std::int64_t now_ms) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) {
    return mqtt::make_error(mqtt::ReasonCode::UnspecifiedError,
                            "request " + std::to_string(request_id) + " is not open (unknown or already answered)");
  }
  Group& group = groups_[it->second.group];
  const Target target = it->second.target;
  if (group.kind == DownlinkKind::AttributeGet && outcome.ok) {
    if (!outcome.values.is_object()) {
      return input_error("values: expected an object of attribute key/values");
    }
    json values = json::object();
    const auto& keys = it->second.keys;
    if (keys.empty()) {
      values = outcome.values;  // [] asked for every attribute (docs/thingspanel.md#attribute-get-shape)
    } else {
      // Only the asked keys go back, as the spec's attribute get asks for them.
      for (const auto& k : keys) {
        if (auto v = outcome.values.find(k); v != outcome.values.end()) values[k] = *v;
      }
    }
    put_body(group.values, target, std::move(values));
  }
  if (!outcome.ok) {
    if (group.failures.empty()) group.errcode = outcome.errcode.empty() ? "ERROR" : outcome.errcode;
    group.failures.push_back(target.to_string() + ": " + outcome.message);
  }
  const std::uint64_t group_id = it->second.group;
  requests_.erase(it);
  GatewayOutput out;
  if (--group.outstanding == 0) finish(group_id, now_ms, out);
  return out;
}

void GatewayRole::finish(std::uint64_t group_id, std::int64_t now_ms, GatewayOutput& out) {
  auto node = groups_.extract(group_id);
  if (node.empty()) return;
  Group& group = node.mapped();
  std::string joined;
  for (const auto& f : group.failures) joined += (joined.empty() ? "" : "; ") + f;

  if (auto topic = response_topic_for(group.kind, group.message_id)) {
    if (!*topic) {
      out.events.push_back(ErrorEvent{topic->error(), {}});
      return;
    }
    // docs/thingspanel.md#flat-responses: a flat response, numeric result, ts in seconds, method
    // for commands.
    std::optional<std::string> method = group.kind == DownlinkKind::Command ? group.method : std::nullopt;
    Response r = group.failures.empty() ? success_response(now_ms, method)
                                        : failure_response(group.errcode, joined, now_ms, method);
    out.publications.push_back(Publication{**topic, build_response(r), options_.qos, false});
    return;
  }
  if (!group.failures.empty()) {
    out.events.push_back(Warning{std::string(downlink_kind_name(group.kind)) + " not carried out for " + joined});
  }
  if (group.kind == DownlinkKind::AttributeGet) {
    if (group.values.empty()) return;  // nothing to report; the Warning says why
    // docs/thingspanel.md#attribute-get-shape: the answer is an ordinary attribute report with a
    // new message_id.
    auto sent = report_attributes(group.values, now_ms);
    if (!sent) {
      out.events.push_back(ErrorEvent{sent.error(), {}});
      return;
    }
    for (auto& w : sent->warnings) out.events.push_back(Warning{std::move(w)});
    out.events.push_back(ReportSent{*sent->token, sent->message_id});
    out.publications.push_back(std::move(sent->publication));
  }
}

}  // namespace tpgate::gateway
