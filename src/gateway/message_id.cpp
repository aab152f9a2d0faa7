#include "gateway/message_id.hpp"

#include <utility>

#include "mqtt/topic.hpp"

namespace tpgate::gateway {

mqtt::Status validate_message_id(std::string_view message_id) {
  using mqtt::ReasonCode;
  // docs/thingspanel.md#message-id: the id is the last topic level, so it must be a whole,
  // literal level; an empty level would make `gateway/event/` match nothing the
  // platform subscribed to with `+` meaningfully.
  if (message_id.empty()) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, "message_id is empty");
  }
  if (message_id.find('/') != std::string_view::npos) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, "message_id contains '/'");
  }
  // Wildcards are not allowed in a topic name [MQTT-3.3.2-2].
  if (message_id.find('+') != std::string_view::npos) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, "message_id contains '+'");
  }
  if (message_id.find('#') != std::string_view::npos) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, "message_id contains '#'");
  }
  mqtt::Status utf8 = mqtt::validate_utf8_string(message_id);
  if (!utf8.ok()) {
    return mqtt::make_error(ReasonCode::TopicNameInvalid, "message_id: " + utf8.error().message);
  }
  return mqtt::ok_status();
}

std::string SevenDigitMessageIds::next(std::int64_t now_ms) {
  // P = max(now, P + 1): strictly increasing, see the guarantee in the header.
  const std::int64_t clock = now_ms < 0 ? 0 : now_ms;
  position_ = clock > position_ ? clock : position_ + 1;
  auto digits = static_cast<std::uint32_t>(position_ % kSpace);
  std::string id(7, '0');
  for (std::size_t i = 7; i-- > 0 && digits != 0;) {
    id[i] = static_cast<char>('0' + digits % 10);
    digits /= 10;
  }
  return id;
}

mqtt::Result<std::string> MessageIds::next(std::int64_t now_ms) {
  if (!custom_) return default_.next(now_ms);
  std::string id = custom_(now_ms);
  mqtt::Status valid = validate_message_id(id);
  if (!valid.ok()) {
    return mqtt::make_error(valid.error().reason, "custom message_id generator: " + valid.error().message);
  }
  return id;
}

}  // namespace tpgate::gateway
