// message_id: the last level of report, request and response topics, which the
// other side echoes to pair a request with its answer (docs/thingspanel.md#message-id).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mqtt/types.hpp"

namespace tpgate::gateway {

// A message_id must be non-empty and one topic level: no '/', '+' or '#'
// (docs/thingspanel.md#message-id), and valid MQTT UTF-8 [MQTT-1.5.4-1, 1.5.4-2]. Error reason:
// TopicNameInvalid, message says which rule failed.
mqtt::Status validate_message_id(std::string_view message_id);

// The spec's default: "last 7 digits of the millisecond timestamp", always
// written with 7 digits ("0001234"). Taken literally it repeats when two
// messages leave in the same millisecond, and when the clock steps back.
//
// Guarantee. The generator keeps a position P: each id takes
//   P = max(now_ms, previous P + 1)
// and is P mod 10,000,000. P strictly increases, so two ids are equal only if
// their positions differ by a multiple of 10^7. Between two ids, P advances by
// at most (how far the largest `now_ms` seen moved past the first id's
// position) + (number of ids issued). Hence: ids issued while that sum stays
// below 10,000,000 are all distinct - at the spec's pace that is 2 h 46 min of
// clock time, and a burst of up to 10^7 ids in one millisecond is distinct too.
// A clock that steps backwards never causes a repeat: P keeps moving forward
// from the last id. When the clock is behind P (after a burst), ids are the
// previous one + 1 until the clock catches up. The window wraps from 9999999
// to 0000000.
class SevenDigitMessageIds {
 public:
  static constexpr std::int64_t kSpace = 10'000'000;

  std::string next(std::int64_t now_ms);

  // The position of the last id issued; -1 before the first.
  std::int64_t position() const { return position_; }

 private:
  std::int64_t position_ = -1;
};

// A user-supplied generator: given the session's `now`, returns an id.
using MessageIdFunction = std::function<std::string(std::int64_t now_ms)>;

// The session's message_id source: the seven-digit default, or a custom
// function whose every id is validated before use (a bad id is an error, not
// a malformed topic on the wire).
class MessageIds {
 public:
  MessageIds() = default;
  explicit MessageIds(MessageIdFunction custom) : custom_(std::move(custom)) {}

  mqtt::Result<std::string> next(std::int64_t now_ms);
  bool is_custom() const { return static_cast<bool>(custom_); }

 private:
  SevenDigitMessageIds default_;
  MessageIdFunction custom_;
};

}  // namespace tpgate::gateway
