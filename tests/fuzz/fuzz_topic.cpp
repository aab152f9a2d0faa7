// libFuzzer target for the topic rules (topic.hpp).
//
// Input layout: byte 0 picks where the rest splits into a filter and a topic
// name (split = byte0 * rest / 256). Every function must be total on any
// bytes; on valid inputs the results are checked against slow, obviously
// correct reference implementations written here, and against the spec's
// invariants:
//   - a valid name not starting with '$' matches "#", one starting with '$'
//     does not [MQTT-4.7.2-1];
//   - a valid name matches itself;
//   - "$share/g/{filter}" matches exactly what {filter} matches.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/topic.hpp"

namespace {

using namespace tpgate::mqtt;

[[noreturn]] void fail(const char* what, std::string_view filter, std::string_view topic) {
  std::fprintf(stderr, "fuzz_topic: %s\n  filter (%zu bytes): ", what, filter.size());
  for (char c : filter) std::fprintf(stderr, "%02x", static_cast<unsigned char>(c));
  std::fprintf(stderr, "\n  topic (%zu bytes): ", topic.size());
  for (char c : topic) std::fprintf(stderr, "%02x", static_cast<unsigned char>(c));
  std::fprintf(stderr, "\n");
  std::abort();
}

// Decodes code points one by one, by the Unicode definition (no tables).
bool reference_utf8(std::string_view s) {
  if (s.size() > 65'535) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1FU;
      len = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0FU;
      len = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07U;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3FU);
    }
    const std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len]) return false;        // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogate
    if (cp > 0x10FFFF) return false;
    if (cp == 0) return false;  // U+0000
    i += len;
  }
  return true;
}

std::vector<std::string_view> split_levels(std::string_view s) {
  std::vector<std::string_view> levels;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      levels.push_back(s.substr(start));
      return levels;
    }
    levels.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

// Level-by-level matching of a plain (non-shared) valid filter.
bool reference_match(std::string_view filter, std::string_view topic) {
  const auto f = split_levels(filter);
  const auto t = split_levels(topic);
  if (!topic.empty() && topic[0] == '$' && (f[0] == "+" || f[0] == "#")) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // matches the parent and any children
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = static_cast<std::size_t>(data[0]) * rest.size() / 256;
  const std::string_view filter = rest.substr(0, split);
  const std::string_view topic = rest.substr(split);

  const bool utf8_ok = validate_utf8_string(rest).ok();
  if (utf8_ok != reference_utf8(rest)) fail("validate_utf8_string disagrees with the reference", rest, "");

  const bool name_ok = validate_topic_name(topic).ok();
  const bool filter_ok = validate_topic_filter(filter).ok();
  const auto shared = parse_shared_subscription(filter);

  if (name_ok) {
    if (!validate_utf8_string(topic).ok()) fail("valid name is not valid UTF-8", "", topic);
    if (topic.find_first_of("+#") != std::string_view::npos) fail("valid name has a wildcard", "", topic);
    // [MQTT-4.7.2-1]
    if (topic_matches("#", topic) != (topic[0] != '$')) fail("'#' vs a valid name", "#", topic);
    if (topic_matches("+", topic) != (topic[0] != '$' && topic.find('/') == std::string_view::npos)) {
      fail("'+' vs a valid name", "+", topic);
    }
    // A name that does not look like "$share/..." is also a valid filter and matches itself.
    if (topic.substr(0, 7) != "$share/") {
      if (!validate_topic_filter(topic).ok()) fail("valid name is not a valid filter", topic, topic);
      if (!topic_matches(topic, topic)) fail("name does not match itself", topic, topic);
    }
  }

  if (shared.has_value()) {
    if (!filter_ok) fail("parse_shared_subscription accepted an invalid filter", filter, "");
    if ("$share/" + shared->group + "/" + shared->filter != filter) fail("shared split loses bytes", filter, "");
  }

  if (filter_ok && name_ok) {
    const bool got = topic_matches(filter, topic);
    const std::string_view plain = shared.has_value() ? std::string_view(shared->filter) : filter;
    if (got != reference_match(plain, topic)) fail("topic_matches disagrees with the reference", filter, topic);
    if (!shared.has_value()) {
      const std::string wrapped = "$share/g/" + std::string(filter);
      if (validate_topic_filter(wrapped).ok() != (wrapped.size() <= 65'535)) {
        fail("wrapping a valid filter in $share changed its validity", wrapped, topic);
      }
      if (topic_matches(wrapped, topic) != got) fail("$share/g/ changed the match", wrapped, topic);
    }
  } else {
    // Assumed-valid inputs are a precondition, but the call must still be safe.
    (void)topic_matches(filter, topic);
  }
  return 0;
}
