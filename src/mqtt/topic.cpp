// Topic names, topic filters and shared subscriptions (MQTT 5.0 1.5.4, 4.7, 4.8.2).
#include "mqtt/topic.hpp"

#include <cstdint>
#include <cstring>

namespace tpgate::mqtt {

namespace {

// A UTF-8 Encoded String carries its length in two bytes (1.5.4).
constexpr std::size_t kMaxStringBytes = 65'535;

constexpr std::string_view kSharePrefix = "$share/";

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;

Error utf8_error(const char* what, std::size_t offset) {
  return make_error(ReasonCode::MalformedPacket, std::string(what) + " at byte " + std::to_string(offset));
}

bool is_continuation(unsigned char b) { return (b & 0xC0U) == 0x80U; }

// Splits a "$share/{group}/{filter}" without allocating. `ok` is false when the
// prefix is there but the rest is malformed.
struct ShareParts {
  bool is_shared = false;
  bool ok = false;
  std::string_view group;
  std::string_view filter;
};

ShareParts split_shared(std::string_view filter) {
  ShareParts parts;
  if (filter.substr(0, kSharePrefix.size()) != kSharePrefix) return parts;
  parts.is_shared = true;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  // The ShareName is followed by '/' and a Topic Filter [MQTT-4.8.2-2]; without
  // the '/' there is no filter at all.
  if (slash == std::string_view::npos) return parts;
  parts.group = rest.substr(0, slash);
  parts.filter = rest.substr(slash + 1);
  // ShareName: at least one character [MQTT-4.8.2-1], no '/', '+' or '#' [MQTT-4.8.2-2].
  if (parts.group.empty() || parts.group.find_first_of("+#") != std::string_view::npos) return parts;
  if (parts.filter.empty()) return parts;
  parts.ok = true;
  return parts;
}

// Wildcard placement of a plain (non-shared) filter.
Status check_filter_levels(std::string_view filter) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = filter.find('/', start);
    const bool last = end == std::string_view::npos;
    const std::string_view level = filter.substr(start, last ? std::string_view::npos : end - start);
    if (level.find('#') != std::string_view::npos) {
      // '#' must be the whole level and the last one [MQTT-4.7.1-1].
      if (level.size() != 1 || !last) {
        return make_error(ReasonCode::TopicFilterInvalid, "'#' must be the whole last level of a topic filter");
      }
    }
    if (level.find('+') != std::string_view::npos && level.size() != 1) {
      // '+' must occupy an entire level [MQTT-4.7.1-2].
      return make_error(ReasonCode::TopicFilterInvalid, "'+' must occupy a whole level of a topic filter");
    }
    if (last) return ok_status();
    start = end + 1;
  }
}

bool plain_matches(std::string_view filter, std::string_view topic) {
  // Wildcards at the first level do not match topics beginning with '$' [MQTT-4.7.2-1].
  if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;
  std::size_t t = 0;
  bool topic_done = false;
  while (true) {
    const std::size_t f_end_raw = filter.find('/', f);
    const bool f_last = f_end_raw == std::string_view::npos;
    const std::size_t f_end = f_last ? filter.size() : f_end_raw;
    const std::string_view f_level = filter.substr(f, f_end - f);
    // '#' matches the parent level and any number of children (4.7.1.2):
    // "sport/#" matches "sport" as well as "sport/tennis/player1".
    if (f_level == "#") return true;
    if (topic_done) return false;
    const std::size_t t_end_raw = topic.find('/', t);
    const bool t_last = t_end_raw == std::string_view::npos;
    const std::size_t t_end = t_last ? topic.size() : t_end_raw;
    // '+' matches exactly one level, which may be empty (4.7.1.3).
    if (f_level != "+" && f_level != topic.substr(t, t_end - t)) return false;
    if (f_last) return t_last;
    f = f_end + 1;
    if (t_last) {
      topic_done = true;
    } else {
      t = t_end + 1;
    }
  }
}

}  // namespace

Status validate_utf8_string(std::string_view s) {
  if (s.size() > kMaxStringBytes) {
    return make_error(ReasonCode::MalformedPacket,
                      "string of " + std::to_string(s.size()) + " bytes exceeds the 65535-byte limit");
  }
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = begin + s.size();
  const auto* p = begin;
  while (p < end) {
    // ASCII fast path: eight bytes at a time while none has the high bit set
    // and none is zero (the zero-byte test is exact when no high bit is set).
    while (end - p >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, sizeof word);
      if ((word & kHighBits) != 0 || ((word - kLowBits) & ~word & kHighBits) != 0) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char lead = *p;
    if (lead < 0x80U) {
      // U+0000 must not appear in a UTF-8 Encoded String [MQTT-1.5.4-2].
      if (lead == 0) return utf8_error("U+0000 in UTF-8 string", static_cast<std::size_t>(p - begin));
      ++p;
      continue;
    }
    std::size_t extra = 0;
    // Bounds on the second byte exclude overlong forms, the surrogates
    // U+D800..U+DFFF [MQTT-1.5.4-1] and code points past U+10FFFF.
    unsigned char second_min = 0x80U;
    unsigned char second_max = 0xBFU;
    if (lead >= 0xC2U && lead <= 0xDFU) {
      extra = 1;
    } else if (lead >= 0xE0U && lead <= 0xEFU) {
      extra = 2;
      if (lead == 0xE0U) second_min = 0xA0U;  // overlong below U+0800
      if (lead == 0xEDU) second_max = 0x9FU;  // surrogates
    } else if (lead >= 0xF0U && lead <= 0xF4U) {
      extra = 3;
      if (lead == 0xF0U) second_min = 0x90U;  // overlong below U+10000
      if (lead == 0xF4U) second_max = 0x8FU;  // past U+10FFFF
    } else {
      // 0x80..0xBF (stray continuation), 0xC0/0xC1 (overlong), 0xF5..0xFF.
      return utf8_error("invalid UTF-8 lead byte", static_cast<std::size_t>(p - begin));
    }
    if (static_cast<std::size_t>(end - p) <= extra) {
      return utf8_error("truncated UTF-8 sequence", static_cast<std::size_t>(p - begin));
    }
    if (p[1] < second_min || p[1] > second_max) {
      return utf8_error("overlong, surrogate or out-of-range UTF-8 sequence", static_cast<std::size_t>(p - begin));
    }
    for (std::size_t i = 2; i <= extra; ++i) {
      if (!is_continuation(p[i])) {
        return utf8_error("invalid UTF-8 continuation byte", static_cast<std::size_t>(p - begin) + i);
      }
    }
    p += extra + 1;
  }
  return ok_status();
}

Status validate_topic_name(std::string_view topic) {
  // Topic names and filters are at least one character long [MQTT-4.7.3-1].
  if (topic.empty()) return make_error(ReasonCode::TopicNameInvalid, "topic name is empty");
  // No wildcard characters in a topic name [MQTT-3.3.2-2].
  // One pass (find_first_of makes a memchr call per character).
  for (const char c : topic) {
    if (c == '+' || c == '#') return make_error(ReasonCode::TopicNameInvalid, "topic name contains a wildcard character");
  }
  Status utf8 = validate_utf8_string(topic);
  if (!utf8) return make_error(ReasonCode::TopicNameInvalid, "topic name: " + utf8.error().message);
  return ok_status();
}

Status validate_topic_filter(std::string_view filter) {
  // [MQTT-4.7.3-1]
  if (filter.empty()) return make_error(ReasonCode::TopicFilterInvalid, "topic filter is empty");
  Status utf8 = validate_utf8_string(filter);
  if (!utf8) return make_error(ReasonCode::TopicFilterInvalid, "topic filter: " + utf8.error().message);
  const ShareParts shared = split_shared(filter);
  if (shared.is_shared) {
    if (!shared.ok) {
      // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
      return make_error(ReasonCode::TopicFilterInvalid,
                        "shared subscription must be $share/{group}/{filter} with a non-empty group "
                        "without wildcards and a non-empty filter");
    }
    return check_filter_levels(shared.filter);
  }
  return check_filter_levels(filter);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  // A shared subscription matches like its inner filter (4.8.2).
  const ShareParts shared = split_shared(filter);
  if (shared.is_shared && shared.ok) return plain_matches(shared.filter, topic);
  return plain_matches(filter, topic);
}

std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter) {
  const ShareParts shared = split_shared(filter);
  if (!shared.is_shared) return std::nullopt;
  // Malformed includes bad UTF-8 or wildcard placement inside the filter part.
  if (!validate_topic_filter(filter)) return std::nullopt;
  return SharedSubscription{std::string(shared.group), std::string(shared.filter)};
}

}  // namespace tpgate::mqtt
