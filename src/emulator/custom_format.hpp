// A gateway that speaks a format of its own (docs/scenario.md "Custom format"): its
// reports go out on custom topics, its downlinks come in on custom topics, and
// gateway-side Lua scripts turn standard payloads into custom ones (up) and custom
// payloads back into standard ones (down). The platform's data scripts do the inverse
// on its side. Parsed once per scenario; the compiled scripts are shared by every
// gateway of a fleet (a fleet is single-threaded).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "script/lua_script.hpp"

namespace tpgate::emulator {

// Report kinds with an uplink template and an up script.
enum class UpKind : std::uint8_t { Telemetry, Attributes, Event };
inline constexpr std::size_t kUpKinds = 3;
// Downlink kinds with a downlink template.
enum class DownKind : std::uint8_t { Command, AttributeSet, AttributeGet, Control };
inline constexpr std::size_t kDownKinds = 4;
// Down scripts: command_down (commands), attributes_down (attribute sets),
// telemetry_down (controls). Attribute gets are not scripted (as on the platform).
enum class DownScript : std::uint8_t { Command, Attributes, Telemetry };
inline constexpr std::size_t kDownScripts = 3;

struct FormatScript {
  std::string source;
  std::shared_ptr<script::Script> compiled;  // null when the kind has no script
  explicit operator bool() const { return compiled != nullptr; }
};

struct FormatSpec {
  std::array<std::optional<std::string>, kUpKinds> up_topics;      // templates
  std::array<std::optional<std::string>, kDownKinds> down_topics;  // templates
  std::array<FormatScript, kUpKinds> up_scripts;
  std::array<FormatScript, kDownScripts> down_scripts;
};

// Scenario names: "telemetry", "attributes", "event"; "command", "attribute_set",
// "attribute_get", "control"; "telemetry_up", ...; "command_down", ...
std::string_view up_kind_name(UpKind kind);
std::string_view down_kind_name(DownKind kind);
std::string_view up_script_name(UpKind kind);
std::string_view down_script_name(DownScript kind);

// What is wrong with a topic template (empty when fine). Placeholders: {device_number},
// {message_id} (only where `message_id` allows it); a downlink template's {message_id}
// must be a whole topic level and `require_message_id` makes it mandatory.
std::string check_topic_template(std::string_view text, bool message_id, bool downlink, bool require_message_id);

// Replaces {device_number} and {message_id}.
std::string expand_topic(std::string_view text, std::string_view device_number, std::string_view message_id);

// The filter a gateway subscribes to for a downlink template: {device_number}
// expanded, the {message_id} level as '+'.
std::string downlink_filter(std::string_view text, std::string_view device_number);

// Whether `topic` matches the downlink template (with {device_number} expanded);
// `message_id` gets the level the template's {message_id} stands for (empty when none).
bool match_downlink(std::string_view text, std::string_view device_number, std::string_view topic,
                    std::string& message_id);

}  // namespace tpgate::emulator
