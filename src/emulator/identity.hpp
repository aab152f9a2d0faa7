// Gateway identities from templates (docs/scenario.md "gateways"): "gw-{i}", "{i:6}"
// (zero-padded to 6 digits), "{device_number}". docs/thingspanel.md#authentication: the client
// id must be non-empty and unique, username/password are the device's voucher; the
// device_number is a topic level (no '/', '+', '#'), checked by the parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/scenario.hpp"

namespace tpgate::emulator {

struct GatewayIdentity {
  std::uint32_t global_index = 0;  // 0-based position in the whole fleet
  std::string device_number;
  std::string client_id;
  std::string username;
  std::optional<std::string> password;
};

// Checks a template: every '{' opens {i}, {i:N} (N 1..20) or, when allowed,
// {device_number}. Returns an empty string when fine, else what is wrong.
std::string check_template(std::string_view text, bool allow_device_number);
bool template_uses_index(std::string_view text);

// Expands a checked template.
std::string expand_template(std::string_view text, std::uint64_t i, std::string_view device_number);

// The identity of gateway `global_index` (0-based) of the fleet.
GatewayIdentity gateway_identity(const Scenario& scenario, std::uint32_t global_index);

// A device_number / sub-device address as one topic level: non-empty, no '/', '+', '#',
// no NUL (docs/thingspanel.md#topics; the rule for message ids, docs/thingspanel.md#message-id, applies too).
bool valid_topic_level(std::string_view text);

}  // namespace tpgate::emulator
