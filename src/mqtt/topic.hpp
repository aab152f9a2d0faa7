// Topic names and filters (MQTT 5.0 4.7, 1.5.4): validation, matching and
// shared subscriptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mqtt/types.hpp"

namespace tpgate::mqtt {

// A well-formed MQTT UTF-8 string (1.5.4): valid UTF-8 (no overlongs, no
// surrogates, nothing past U+10FFFF) [MQTT-1.5.4-1], no U+0000 [MQTT-1.5.4-2],
// at most 65,535 bytes. Error reason: MalformedPacket.
Status validate_utf8_string(std::string_view s);

// A topic name for PUBLISH: non-empty [MQTT-4.7.3-1], no wildcards
// [MQTT-3.3.2-2], well-formed UTF-8. Error reason: TopicNameInvalid.
Status validate_topic_name(std::string_view topic);

// A topic filter for SUBSCRIBE/UNSUBSCRIBE: non-empty, '#' only as the whole
// last level [MQTT-4.7.1-1], '+' only as a whole level [MQTT-4.7.1-2],
// well-formed UTF-8; a $share filter must have a non-empty group name without
// wildcards and a filter after it [MQTT-4.8.2-1, 4.8.2-2]. Error reason:
// TopicFilterInvalid.
Status validate_topic_filter(std::string_view filter);

// Whether `topic` matches `filter` (both assumed valid). Wildcards at the first
// level do not match topic names starting with '$' [MQTT-4.7.2-1]. A $share
// filter matches as its inner filter.
bool topic_matches(std::string_view filter, std::string_view topic);

struct SharedSubscription {
  std::string group;
  std::string filter;
};

// Splits "$share/{group}/{filter}"; nullopt when `filter` is not a shared
// subscription or is malformed.
std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter);

}  // namespace tpgate::mqtt
