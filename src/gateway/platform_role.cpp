#include "gateway/platform_role.hpp"

#include <algorithm>
#include <utility>

#include "gateway/envelope.hpp"
#include "gateway/telemetry_fast.hpp"

namespace tpgate::gateway::platform {

namespace {

using mqtt::ReasonCode;

// Never throws and never fails on odd UTF-8 from the caller: no exception may cross into JS.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// Where a target's body sits in a message, for error messages:
// "sub_gateway_data.gw_1.sub_device_data.s_1", "gateway_data".
std::string body_path(const Target& target) {
  std::string path;
  for (const auto& gw : target.sub_gateways) {
    if (!path.empty()) path += '.';
    path += "sub_gateway_data." + gw;
  }
  if (!path.empty()) path += '.';
  path += target.sub_device ? "sub_device_data." + *target.sub_device : std::string("gateway_data");
  return path;
}

mqtt::Status validate_target(const Target& target) {
  for (const auto& gw : target.sub_gateways) {
    if (gw.empty()) return mqtt::argument_error("target", "empty sub-gateway address");
  }
  if (target.sub_device && target.sub_device->empty()) {
    return mqtt::argument_error("target", "empty sub_device_address");
  }
  return mqtt::ok_status();
}

PayloadKind payload_kind_of(RequestKind kind) {
  return kind == RequestKind::Command ? PayloadKind::Command : PayloadKind::AttributeSet;
}

mqtt::Error with_topic(const std::string& topic, mqtt::Error error) {
  error.message = topic + ": " + error.message;
  return error;
}

}  // namespace

PlatformRole::PlatformRole(Options options)
    : options_(std::move(options)), ids_(options_.message_id), view_(options_.max_recent_events) {}

mqtt::Result<std::vector<std::string>> PlatformRole::subscriptions() const {
  return platform_subscriptions(options_.share_group);
}

void PlatformRole::map_device(std::string device_id, std::string device_number) {
  device_numbers_[std::move(device_id)] = std::move(device_number);
}

Outputs PlatformRole::receive(std::string_view topic_view, std::string_view payload, std::int64_t now_ms,
                              std::string_view sender, FastOutputs* fast) {
  Outputs out;
  if (fast != nullptr) fast->taken = false;
  topic_.assign(topic_view);
  const std::string& topic = topic_;
  auto info = parse_topic(topic_view, TopicDirection::Uplink);
  if (!info) {
    out.events.push_back(ProtocolError{topic, std::string(sender), with_topic(topic, info.error())});
    return out;
  }
  // The broker publishes status itself, never in an envelope (docs/thingspanel.md#online-status).
  if (info->kind == TopicKind::DeviceStatus) {
    on_status(*info, topic, payload, out);
    return out;
  }

  Sender& from = from_;
  auto envelope = unwrap_envelope(payload, options_.limits, envelope_);
  if (!envelope) {
    // An envelope whose values is not base64: the device's payload is lost.
    out.events.push_back(ProtocolError{topic, std::string(sender), with_topic(topic, envelope.error())});
    return out;
  }
  if (*envelope) {
    // docs/thingspanel.md#broker-envelope: the broker's device_id names the sender.
    from.gateway.assign(envelope_.device_id);
    auto mapped = device_numbers_.find(envelope_.device_id);
    from.dn.assign(mapped != device_numbers_.end() ? mapped->second : envelope_.device_id);
    payload = envelope_.payload;
  } else {
    from.gateway.assign(sender.empty() ? std::string_view(options_.default_gateway) : sender);
    from.dn.assign(from.gateway);
  }

  bool acked = false;
  if (!scripts_.empty() && !run_upload_script(info->kind, topic, *info, from, payload, now_ms, out, acked)) return out;

  switch (info->kind) {
    case TopicKind::Telemetry: on_telemetry(topic, from, payload, now_ms, out, fast); break;
    case TopicKind::AttributeReport:
    case TopicKind::EventReport: on_report(*info, topic, from, payload, now_ms, out, acked); break;
    case TopicKind::CommandResponse:
    case TopicKind::AttributeSetResponse: on_response(*info, topic, from, payload, now_ms, out); break;
    default:
      // parse_topic(Uplink) yields only the kinds above.
      out.events.push_back(ProtocolError{
          topic, from.gateway, mqtt::make_error(ReasonCode::TopicNameInvalid, topic + ": not a gateway uplink")});
      break;
  }
  return out;
}

bool PlatformRole::run_upload_script(TopicKind kind, const std::string& topic, const TopicInfo& info,
                                     const Sender& from, std::string_view& payload, std::int64_t now_ms,
                                     Outputs& out, bool& acked) {
  ScriptType type;
  switch (kind) {
    case TopicKind::Telemetry: type = ScriptType::TelemetryUp; break;
    case TopicKind::AttributeReport: type = ScriptType::AttributesUp; break;
    case TopicKind::EventReport: type = ScriptType::EventUp; break;
    default: return true;  // responses are never scripted
  }
  DataScripts::Found found = scripts_.find(from.gateway, from.dn, type);
  if (found.script == nullptr) return true;
  // The backend acks a report before its script runs.
  if (kind != TopicKind::Telemetry &&
      (kind == TopicKind::EventReport ? options_.auto_ack_events : options_.auto_ack_attributes)) {
    ack(info, topic, from, success_response(now_ms), out);
    acked = true;
  }
  // The backend passes an empty topic in its live pipeline.
  script::Outcome outcome = found.script->run(payload, "");
  if (!outcome.ok) {
    mqtt::Error error = DataScripts::error("gateway " + from.gateway, *found.configuration, type, outcome.failure);
    out.events.push_back(ScriptFailed{topic, from.gateway, *found.configuration, type, std::move(outcome.failure),
                                      with_topic(topic, std::move(error))});
    return false;
  }
  scripted_ = std::move(outcome.output);
  wrap_script_result(scripted_, type);
  payload = scripted_;
  return true;
}

mqtt::Status PlatformRole::run_download_script(ScriptType type, std::string_view dn, std::string& payload) {
  if (scripts_.empty()) return mqtt::ok_status();
  DataScripts::Found found = scripts_.find(dn, {}, type);
  if (found.script == nullptr) return mqtt::ok_status();
  script::Outcome outcome = found.script->run(payload, "");
  if (!outcome.ok) return DataScripts::error("downlink to " + std::string(dn), *found.configuration, type, outcome.failure);
  payload = std::move(outcome.output);
  return mqtt::ok_status();
}

void PlatformRole::on_telemetry(const std::string& topic, const Sender& from, std::string_view payload,
                                std::int64_t now_ms, Outputs& out, FastOutputs* fast) {
  // The common clean message is read straight into its targets
  // (telemetry_fast.hpp); anything else takes the full parser.
  FastTelemetry& read = fast != nullptr ? fast->telemetry : scratch_;
  if (fast_route_telemetry(payload, options_.limits, read)) {
    if (fast != nullptr) {
      fast->taken = true;
      fast->gateway = from.gateway;
      fast->ts_ms = now_ms;
      fast->devices.clear();
      fast->key_ids.resize(read.readings.size());
    } else {
      key_ids_.resize(read.readings.size());
    }
    std::uint32_t* const key_ids = fast != nullptr ? fast->key_ids.data() : key_ids_.data();
    out.events.reserve(out.events.size() + read.targets.size());
    for (const auto& entry : read.targets) {
      const auto readings = read.readings_of(entry);
      const std::uint32_t device = view_.put_telemetry(from.gateway, read.sub_gateways_of(entry), entry.sub_device,
                                                       readings, now_ms, key_ids + entry.first);
      if (fast != nullptr) {
        fast->devices.push_back(device);
      } else {
        out.events.push_back(
            TelemetryReceived{from.gateway, read.target_of(entry), readings_value(readings), now_ms, device});
      }
    }
    return;
  }
  std::optional<std::vector<Routed>> routed;
  {
    auto parsed = parse_gateway_payload(PayloadKind::Telemetry, payload, options_.limits);
    if (!parsed) {
      out.events.push_back(ProtocolError{topic, from.gateway, with_topic(topic, parsed.error())});
      return;
    }
    for (auto& w : parsed->warnings) out.events.push_back(Warning{topic, from.gateway, std::move(w)});
    routed = route(std::move(parsed->root));
  }
  // Every target in the message (docs/thingspanel.md#one-target-per-downlink); one event per
  // historical record (docs/thingspanel.md#historical-mode), its ts in ms whatever unit it was
  // sent in (docs/thingspanel.md#timestamps).
  out.events.reserve(out.events.size() + routed->size());
  for (Routed& r : *routed) {
    std::vector<TelemetryRecord> records = telemetry_records(std::move(r.body));
    for (std::size_t i = 0; i < records.size(); ++i) {
      TelemetryRecord& record = records[i];
      const std::int64_t ts = record.ts_ms.value_or(now_ms);
      const std::uint32_t device = view_.put_telemetry(from.gateway, r.target, record.values, ts);
      Target target = i + 1 == records.size() ? std::move(r.target) : r.target;
      out.events.push_back(TelemetryReceived{from.gateway, std::move(target), std::move(record.values), ts, device});
    }
  }
}

void PlatformRole::on_report(const TopicInfo& info, const std::string& topic, const Sender& from,
                             std::string_view payload, std::int64_t now_ms, Outputs& out, bool acked) {
  const bool is_event = info.kind == TopicKind::EventReport;
  const bool auto_ack = !acked && (is_event ? options_.auto_ack_events : options_.auto_ack_attributes);
  auto parsed = parse_gateway_payload(is_event ? PayloadKind::Event : PayloadKind::Attributes, payload,
                                      options_.limits);
  if (!parsed) {
    out.events.push_back(ProtocolError{topic, from.gateway, with_topic(topic, parsed.error())});
    // Like the backend: a report it cannot use gets its failure ack, errcode "000"
    // (docs/thingspanel.md#flat-responses).
    if (auto_ack) ack(info, topic, from, platform_failure_ack(parsed.error().message, now_ms), out);
    return;
  }
  for (auto& w : parsed->warnings) out.events.push_back(Warning{topic, from.gateway, std::move(w)});
  for (Routed& r : route(parsed->root)) {
    if (is_event) {
      for (EventRecord& e : event_records(r.body)) {
        const std::int64_t ts = e.ts_ms.value_or(now_ms);
        view_.put_event(from.gateway, r.target, EventRecord{ts, e.method, e.params});
        out.events.push_back(
            EventReceived{from.gateway, r.target, std::move(e.method), std::move(e.params), ts, info.message_id});
      }
    } else {
      view_.put_attributes(from.gateway, r.target, r.body, now_ms);
      out.events.push_back(AttributesReceived{from.gateway, r.target, std::move(r.body), now_ms, info.message_id});
    }
  }
  if (auto_ack) ack(info, topic, from, success_response(now_ms), out);
  if (!is_event) complete_gets(from, *parsed, now_ms, out);
}

void PlatformRole::ack(const TopicInfo& info, const std::string& topic, const Sender& from,
                       const Response& response, Outputs& out) {
  if (from.dn.empty()) {
    out.events.push_back(Warning{topic, from.gateway,
                                 "cannot ack message_id " + info.message_id +
                                     ": the sender's device_number is unknown (no envelope, sender or default_gateway)"});
    return;
  }
  const bool is_event = info.kind == TopicKind::EventReport;
  const std::string body = build_response(response);
  // docs/thingspanel.md#ack-topics: the spec's family, the backend's, or both.
  for (AckFamily family : {AckFamily::Gateway, AckFamily::Devices}) {
    if (family == AckFamily::Gateway && options_.ack_topics == AckTopics::Backend) continue;
    if (family == AckFamily::Devices && options_.ack_topics == AckTopics::Spec) continue;
    auto ack_topic = is_event ? event_ack_topic(from.dn, info.message_id, family)
                              : attribute_ack_topic(from.dn, info.message_id, family);
    if (!ack_topic) {
      out.events.push_back(ProtocolError{topic, from.gateway, with_topic(topic, ack_topic.error())});
      return;
    }
    out.publications.push_back(Publication{std::move(*ack_topic), body});
  }
}

void PlatformRole::complete_gets(const Sender& from, const GatewayPayload& report, std::int64_t now_ms,
                                 Outputs& out) {
  if (from.dn.empty()) return;
  std::optional<json> report_json;
  for (auto it = gets_.begin(); it != gets_.end();) {
    const bool answers =
        it->dn == from.dn && std::all_of(it->wanted.begin(), it->wanted.end(), [&](const WantedKeys& w) {
          const json* body = find_body(report.root, w.target);
          if (body == nullptr || !body->is_object()) return false;
          return std::all_of(w.keys.begin(), w.keys.end(), [&](const std::string& k) { return body->contains(k); });
        });
    if (!answers) {
      ++it;
      continue;
    }
    if (!report_json) report_json = to_json(report);
    RequestCompleted done;
    done.token = it->token;
    done.response.response = success_response(now_ms);
    done.response.result = 0;
    done.response.has_ts = true;
    done.rtt_ms = now_ms - it->sent_ms;
    done.report = report_json;
    out.events.push_back(std::move(done));
    it = gets_.erase(it);
  }
}

void PlatformRole::on_response(const TopicInfo& info, const std::string& topic, const Sender& from,
                               std::string_view payload, std::int64_t now_ms, Outputs& out) {
  Resolution r = correlator_.resolve(info, now_ms);
  if (!r.matched()) {
    out.events.push_back(ProtocolError{topic, from.gateway,
                                       mqtt::make_error(ReasonCode::PacketIdentifierNotFound, topic + ": " + r.problem)});
    return;
  }
  requests_.erase(r.resolved->token);
  // docs/thingspanel.md#flat-responses: never fails; a non-JSON payload or string result is a failure.
  out.events.push_back(RequestCompleted{r.resolved->token, parse_response(payload), r.resolved->rtt_ms, std::nullopt});
}

void PlatformRole::on_status(const TopicInfo& info, const std::string& topic, std::string_view payload,
                             Outputs& out) {
  if (payload != "1" && payload != "0") {
    out.events.push_back(ProtocolError{
        topic, info.device_id,
        mqtt::make_error(ReasonCode::PayloadFormatInvalid, topic + ": status payload must be \"1\" or \"0\"")});
    return;
  }
  const bool online = payload == "1";
  view_.put_status(info.device_id, online);
  out.events.push_back(StatusChanged{info.device_id, online});
}

mqtt::Result<Sent> PlatformRole::send_request(RequestKind kind, std::string_view dn, const Target& target,
                                              json body, std::int64_t now_ms) {
  if (auto st = validate_target(target); !st) return st.error();
  if (auto st = validate_body(payload_kind_of(kind), body, body_path(target)); !st) return st.error();
  auto mid = ids_.next(now_ms);
  if (!mid) return mid.error();
  auto topic = kind == RequestKind::Command ? command_topic(dn, *mid) : attribute_set_topic(dn, *mid);
  if (!topic) return topic.error();
  // docs/thingspanel.md#one-target-per-downlink: one path per message, the way the backend sends it.
  std::string payload = dump(to_json(wrap(target, std::move(body))));
  if (auto st = run_download_script(kind == RequestKind::Command ? ScriptType::CommandDown : ScriptType::AttributesDown,
                                    dn, payload);
      !st) {
    return st.error();
  }
  const RequestToken token = next_token_;
  if (auto st = correlator_.add(kind, *mid, token, now_ms, options_.request_timeout_ms); !st) return st.error();
  ++next_token_;
  requests_[token] = PendingRequest{kind, *mid, std::string(dn)};
  return Sent{token, *mid, Publication{std::move(*topic), std::move(payload)}};
}

mqtt::Result<Sent> PlatformRole::send_command(std::string_view dn, const Target& target, std::string_view method,
                                              const json& params, std::int64_t now_ms) {
  return send_request(RequestKind::Command, dn, target, command_body(CommandCall{std::string(method), params}),
                      now_ms);
}

mqtt::Result<Sent> PlatformRole::send_attribute_set(std::string_view dn, const Target& target, const json& values,
                                                    std::int64_t now_ms) {
  return send_request(RequestKind::AttributeSet, dn, target, values, now_ms);
}

mqtt::Result<Sent> PlatformRole::send_attribute_get(std::string_view dn, const Target& target,
                                                    const std::vector<std::string>& keys, AttributeGetShape shape,
                                                    std::int64_t now_ms) {
  if (auto st = validate_target(target); !st) return st.error();
  json body = attribute_keys_body(keys);
  if (auto st = validate_body(PayloadKind::AttributeGet, body, body_path(target)); !st) return st.error();
  auto topic = attribute_get_topic(dn);
  if (!topic) return topic.error();
  json message;
  if (shape == AttributeGetShape::Keys) {
    // docs/thingspanel.md#attribute-get-shape: the backend's {"keys":[...]} has no target; it asks
    // the gateway itself.
    if (!target.is_gateway() || !target.sub_gateways.empty()) {
      return mqtt::argument_error("target", "the {\"keys\":[...]} attribute get can only ask the top-level gateway, not " +
                                                  target.to_string());
    }
    message = json{{"keys", std::move(body)}};
  } else {
    message = to_json(wrap(target, std::move(body)));
  }
  std::string payload = dump(message);
  if (auto st = run_download_script(ScriptType::AttributesDown, dn, payload); !st) return st.error();
  const RequestToken token = next_token_++;
  gets_.push_back(PendingGet{token, std::string(dn), {WantedKeys{target, keys}}, now_ms,
                             now_ms + options_.request_timeout_ms});
  return Sent{token, {}, Publication{std::move(*topic), std::move(payload)}};
}

mqtt::Result<Sent> PlatformRole::send_control(std::string_view dn, const Target& target, const json& values,
                                              std::int64_t now_ms) {
  (void)now_ms;  // control has no message_id and no answer
  if (auto st = validate_target(target); !st) return st.error();
  if (auto st = validate_body(PayloadKind::Control, values, body_path(target)); !st) return st.error();
  auto topic = control_topic(dn);
  if (!topic) return topic.error();
  std::string payload = dump(to_json(wrap(target, values)));
  if (auto st = run_download_script(ScriptType::TelemetryDown, dn, payload); !st) return st.error();
  return Sent{0, {}, Publication{std::move(*topic), std::move(payload)}};
}

Outputs PlatformRole::tick(std::int64_t now_ms) {
  Outputs out;
  for (RequestToken token : correlator_.expire(now_ms)) {
    std::string what = "request";
    auto it = requests_.find(token);
    if (it != requests_.end()) {
      what = std::string(request_kind_name(it->second.kind)) + " " + it->second.message_id + " to " + it->second.dn;
      requests_.erase(it);
    }
    out.events.push_back(RequestTimedOut{
        token, what + " timed out after " + std::to_string(options_.request_timeout_ms) + " ms"});
  }
  for (auto it = gets_.begin(); it != gets_.end();) {
    if (it->deadline_ms > now_ms) {
      ++it;
      continue;
    }
    out.events.push_back(RequestTimedOut{it->token, "attribute get to " + it->dn + " timed out after " +
                                                        std::to_string(options_.request_timeout_ms) +
                                                        " ms (no attribute report carried the keys)"});
    it = gets_.erase(it);
  }
  return out;
}

std::optional<std::int64_t> PlatformRole::next_deadline() const {
  std::optional<std::int64_t> earliest = correlator_.next_deadline();
  for (const PendingGet& g : gets_) {
    if (!earliest || g.deadline_ms < *earliest) earliest = g.deadline_ms;
  }
  return earliest;
}

}  // namespace tpgate::gateway::platform
