// A VirtualGateway's custom format (docs/scenario.md "Custom format"), applied where the
// gateway role meets the session: a report of the role (standard topic and JSON) goes
// out on its custom topic, through its up script; a downlink on a custom topic is put
// back on its standard topic, through its down script, before the role reads it.
// Responses and acks keep their standard topics and are not scripted.
#include <string>

#include "emulator/json_writer.hpp"
#include "emulator/virtual_gateway.hpp"

namespace tpgate::emulator {
namespace {

std::optional<UpKind> up_kind(gateway::TopicKind kind) {
  switch (kind) {
    case gateway::TopicKind::Telemetry: return UpKind::Telemetry;
    case gateway::TopicKind::AttributeReport: return UpKind::Attributes;
    case gateway::TopicKind::EventReport: return UpKind::Event;
    default: return std::nullopt;
  }
}

gateway::TopicKind standard_kind(DownKind kind) {
  switch (kind) {
    case DownKind::Command: return gateway::TopicKind::Command;
    case DownKind::AttributeSet: return gateway::TopicKind::AttributeSet;
    case DownKind::AttributeGet: return gateway::TopicKind::AttributeGet;
    case DownKind::Control: return gateway::TopicKind::Control;
  }
  return gateway::TopicKind::Control;
}

std::optional<DownKind> down_kind(gateway::TopicKind kind) {
  switch (kind) {
    case gateway::TopicKind::Command: return DownKind::Command;
    case gateway::TopicKind::AttributeSet: return DownKind::AttributeSet;
    case gateway::TopicKind::AttributeGet: return DownKind::AttributeGet;
    case gateway::TopicKind::Control: return DownKind::Control;
    default: return std::nullopt;
  }
}

// The down script of a downlink kind; attribute gets have none (as on the platform).
const FormatScript* down_script(const FormatSpec& f, DownKind kind) {
  switch (kind) {
    case DownKind::Command: return &f.down_scripts[static_cast<std::size_t>(DownScript::Command)];
    case DownKind::AttributeSet: return &f.down_scripts[static_cast<std::size_t>(DownScript::Attributes)];
    case DownKind::Control: return &f.down_scripts[static_cast<std::size_t>(DownScript::Telemetry)];
    case DownKind::AttributeGet: return nullptr;
  }
  return nullptr;
}

}  // namespace

void VirtualGateway::publish_custom(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now,
                                    Published pub) {
  const FormatSpec& f = *scenario_->format;
  auto info = gateway::parse_topic(topic, gateway::TopicDirection::Uplink);
  const std::optional<UpKind> kind = info ? up_kind(info->kind) : std::nullopt;
  if (!kind) {
    send(std::move(topic), payload, qos, now, pub);  // responses: standard, unscripted
    return;
  }
  const auto k = static_cast<std::size_t>(*kind);
  if (f.up_topics[k]) topic = expand_topic(*f.up_topics[k], device_number_, info->message_id);
  const FormatScript& up = f.up_scripts[k];
  if (!up) {
    send(std::move(topic), payload, qos, now, pub);
    return;
  }
  script::Outcome outcome = up.compiled->run(payload, topic);
  if (!outcome.ok) {
    script_failed(up_script_name(*kind), outcome.failure, topic, now);
    return;
  }
  send(std::move(topic), outcome.output, qos, now, pub);
}

void VirtualGateway::receive_message(std::string_view topic, std::string_view payload, std::int64_t now) {
  const FormatSpec& f = *scenario_->format;
  std::optional<DownKind> kind;
  std::string standard_topic;
  std::string message_id;
  for (std::size_t k = 0; k < kDownKinds && !kind; ++k) {
    if (f.down_topics[k] && match_downlink(*f.down_topics[k], device_number_, topic, message_id)) {
      kind = static_cast<DownKind>(k);
      gateway::TopicInfo info;
      info.kind = standard_kind(*kind);
      info.device_number = device_number_;
      info.message_id = message_id;
      auto built = gateway::build_topic(info);
      if (!built) {
        format_error("downlink on " + std::string(topic) + ": " + built.error().message, topic, now);
        return;
      }
      standard_topic = std::move(*built);
    }
  }
  if (!kind) {
    // A standard downlink of a kind without a custom topic, or an ack.
    standard_topic.assign(topic);
    if (auto info = gateway::parse_topic(topic, gateway::TopicDirection::Downlink)) kind = down_kind(info->kind);
  }
  const FormatScript* down = kind ? down_script(f, *kind) : nullptr;
  if (down == nullptr || !*down) {
    auto output = role_.receive(standard_topic, payload, now);
    on_role_output(output, now);
    return;
  }
  script::Outcome outcome = down->compiled->run(payload, topic);
  if (!outcome.ok) {
    script_failed(down_script_name(static_cast<DownScript>(down - f.down_scripts.data())), outcome.failure, topic, now);
    return;
  }
  auto output = role_.receive(standard_topic, outcome.output, now);
  on_role_output(output, now);
}

void VirtualGateway::script_failed(std::string_view script, const script::Failure& failure, std::string_view topic,
                                   std::int64_t now) {
  count_error(context_.metrics->counters, ErrorKind::Script);
  std::string record = log_head(now, "error");
  record += ",\"kind\":\"script\",\"script\":";
  append_string(record, script);
  record += ",\"failure\":";
  append_string(record, script::failure_kind_name(failure.kind));
  record += ",\"message\":";
  append_string(record, failure.message);
  record += ",\"topic\":";
  append_string(record, topic);
  log(record + "}");
}

void VirtualGateway::format_error(std::string message, std::string_view topic, std::int64_t now) {
  count_error(context_.metrics->counters, ErrorKind::Protocol);
  std::string record = log_head(now, "error");
  record += ",\"message\":";
  append_string(record, message);
  record += ",\"topic\":";
  append_string(record, topic);
  log(record + "}");
}

}  // namespace tpgate::emulator
