// Topic templates of a custom format (custom_format.hpp).
#include "emulator/custom_format.hpp"

namespace tpgate::emulator {
namespace {

constexpr std::string_view kDeviceNumber = "{device_number}";
constexpr std::string_view kMessageId = "{message_id}";

// The next level of `text` from `at` (advanced past it and its '/'); false at the end.
bool next_level(std::string_view text, std::size_t& at, bool& done, std::string_view& level) {
  if (done) return false;
  const std::size_t slash = text.find('/', at);
  if (slash == std::string_view::npos) {
    level = text.substr(at);
    done = true;
  } else {
    level = text.substr(at, slash - at);
    at = slash + 1;
  }
  return true;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t hit = text.find(from, at);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(at, hit - at));
    out.append(to);
    at = hit + from.size();
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

std::string_view up_kind_name(UpKind kind) {
  switch (kind) {
    case UpKind::Telemetry: return "telemetry";
    case UpKind::Attributes: return "attributes";
    case UpKind::Event: return "event";
  }
  return "telemetry";
}

std::string_view down_kind_name(DownKind kind) {
  switch (kind) {
    case DownKind::Command: return "command";
    case DownKind::AttributeSet: return "attribute_set";
    case DownKind::AttributeGet: return "attribute_get";
    case DownKind::Control: return "control";
  }
  return "command";
}

std::string_view up_script_name(UpKind kind) {
  switch (kind) {
    case UpKind::Telemetry: return "telemetry_up";
    case UpKind::Attributes: return "attributes_up";
    case UpKind::Event: return "event_up";
  }
  return "telemetry_up";
}

std::string_view down_script_name(DownScript kind) {
  switch (kind) {
    case DownScript::Command: return "command_down";
    case DownScript::Attributes: return "attributes_down";
    case DownScript::Telemetry: return "telemetry_down";
  }
  return "command_down";
}

std::string check_topic_template(std::string_view text, bool message_id, bool downlink, bool require_message_id) {
  if (text.empty()) return "is empty; expected a topic such as \"custom/{device_number}/up\"";
  if (text.front() == '$') return "starts with '$' (topics of the broker itself); expected an ordinary topic";
  bool has_message_id = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' || c == '#') return std::string("contains '") + c + "'; a topic template names one topic, without wildcards";
    if (c == '\0') return "contains a NUL character";
    if (c == '}') return "has a '}' that closes no placeholder; placeholders are {device_number} and {message_id}";
    if (c != '{') continue;
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, kDeviceNumber.size()) == kDeviceNumber) {
      i += kDeviceNumber.size() - 1;
      continue;
    }
    if (rest.substr(0, kMessageId.size()) == kMessageId) {
      if (!message_id) return "uses {message_id}, which this kind has none of; use {device_number} only";
      const bool level_start = i == 0 || text[i - 1] == '/';
      const std::size_t end = i + kMessageId.size();
      const bool level_end = end == text.size() || text[end] == '/';
      if (downlink && !(level_start && level_end)) {
        return "has {message_id} inside a topic level; in a downlink topic it must be a whole level, e.g. \"dev/{device_number}/cmd/{message_id}\"";
      }
      if (downlink && has_message_id) return "uses {message_id} twice; a downlink topic has it at most once";
      has_message_id = true;
      i = end - 1;
      continue;
    }
    return "has an unknown placeholder at '" + std::string(rest.substr(0, 20)) +
           "'; placeholders are {device_number} and {message_id}";
  }
  if (require_message_id && !has_message_id) {
    return "has no {message_id} level; the response goes to a topic with the request's message_id, so the downlink topic must carry it";
  }
  return {};
}

std::string expand_topic(std::string_view text, std::string_view device_number, std::string_view message_id) {
  return replace_all(replace_all(text, kDeviceNumber, device_number), kMessageId, message_id);
}

std::string downlink_filter(std::string_view text, std::string_view device_number) {
  return replace_all(replace_all(text, kDeviceNumber, device_number), kMessageId, "+");
}

bool match_downlink(std::string_view text, std::string_view device_number, std::string_view topic,
                    std::string& message_id) {
  message_id.clear();
  const std::string pattern = replace_all(text, kDeviceNumber, device_number);
  std::size_t pa = 0, ta = 0;
  bool pdone = false, tdone = false;
  std::string_view plevel, tlevel;
  while (true) {
    const bool has_p = next_level(pattern, pa, pdone, plevel);
    const bool has_t = next_level(topic, ta, tdone, tlevel);
    if (!has_p || !has_t) return has_p == has_t;
    if (plevel == kMessageId) {
      message_id.assign(tlevel);
    } else if (plevel != tlevel) {
      return false;
    }
  }
}

}  // namespace tpgate::emulator
