// Data scripts on the platform side (docs/thingspanel.md#data-scripts): the
// scripts of each device configuration, compiled once, and which configuration
// each device uses. The platform role runs them where the backend does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/types.hpp"
#include "script/lua_script.hpp"

namespace tpgate::gateway::platform {

// The platform's script types (its column script_type, letters A-F).
enum class ScriptType : std::uint8_t {
  TelemetryUp,     // A: telemetry reports, device -> platform
  TelemetryDown,   // B: telemetry control, platform -> device
  AttributesUp,    // C: attribute reports
  AttributesDown,  // D: attribute set and get
  CommandDown,     // E: commands
  EventUp,         // F: event reports
};
inline constexpr std::size_t kScriptTypeCount = 6;

// "telemetry_up", ...; the names the configurations file uses.
std::string_view script_type_name(ScriptType type);
std::optional<ScriptType> script_type_from_name(std::string_view name);

// What an upload script's result becomes before it is parsed: a JSON object
// as it is; any other JSON value v as {"_raw":v} (events:
// {"method":"_raw","params":{"value":v}}); text that is not JSON as the same
// with v the text as a string (docs/thingspanel.md#data-scripts).
void wrap_script_result(std::string& output, ScriptType type);

class DataScripts {
 public:
  // Compiles `source` as `configuration`'s script of `type`, replacing any
  // before it. A script that does not compile is refused (ErrorKind::Script,
  // with Lua's message and line) and the previous one stays.
  mqtt::Status set(std::string_view configuration, ScriptType type, std::string_view source,
                   const script::Limits& limits = {});
  // Removes a script (disabled, deleted); nothing runs for that type after.
  void remove(std::string_view configuration, ScriptType type);
  // `device` (a device_id or device_number: the identity the role reports
  // senders by) uses `configuration`; an empty configuration unassigns it.
  void assign(std::string_view device, std::string_view configuration);

  struct Found {
    script::Script* script = nullptr;  // null: no script, the message goes unchanged
    const std::string* configuration = nullptr;
  };
  // The script of the configuration `device` (then `alternate`, when not
  // empty) uses, for `type`.
  Found find(std::string_view device, std::string_view alternate, ScriptType type);

  bool empty() const { return devices_.empty(); }

  // The failure of a run as an error: ErrorKind::Script, path
  // "CONFIGURATION.TYPE", the message naming `who` first.
  static mqtt::Error error(std::string_view who, const std::string& configuration, ScriptType type,
                           const script::Failure& failure);

 private:
  using Scripts = std::array<std::unique_ptr<script::Script>, kScriptTypeCount>;
  std::map<std::string, Scripts, std::less<>> configurations_;
  std::map<std::string, std::string, std::less<>> devices_;
};

}  // namespace tpgate::gateway::platform
