// Shared fixtures for the GatewayRole tests: a fake clock value, the four target levels
// the spec's trees can address, and accessors for the role's output.
#pragma once

#include <gtest/gtest.h>

#include "events_of.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_role.hpp"

namespace tpgate::gateway::role_test {

inline constexpr std::string_view kDn = "gw-dn-1";
inline constexpr std::int64_t kNow = 1'609'459'200'000;  // 2021-01-01 00:00:00 UTC, in ms

inline GatewayRoleOptions options(int max_depth = 32) {
  GatewayRoleOptions o;
  o.device_number = std::string(kDn);
  o.ack_timeout_ms = 5'000;
  o.max_depth = max_depth;
  return o;
}

// One device of the tree, and the downlink wrapping that addresses it, written by hand (not with
// wrap()) so the tests check the role against the wire shape
// (docs/thingspanel.md#one-target-per-downlink).
struct Level {
  const char* name;
  Target target;
  const char* wrapping;  // "%B%" stands for the device's body
};

// Readable test names in failures instead of a byte dump.
inline void PrintTo(const Level& level, std::ostream* os) { *os << level.name; }

inline std::vector<Level> levels() {
  return {
      {"gateway", Target{}, R"({"gateway_data":%B%})"},
      {"sub_device", Target{{}, "sensor_001"}, R"({"sub_device_data":{"sensor_001":%B%}})"},
      {"sub_gateway", Target{{"gw_1"}, std::nullopt}, R"({"sub_gateway_data":{"gw_1":{"gateway_data":%B%}}})"},
      {"sub_device_three_levels_down", Target{{"gw_1", "gw_2", "gw_3"}, "s_9"},
       R"({"sub_gateway_data":{"gw_1":{"sub_gateway_data":{"gw_2":{"sub_gateway_data":{"gw_3":)"
       R"({"sub_device_data":{"s_9":%B%}}}}}}}})"},
  };
}

inline std::string wrap_text(const Level& level, std::string_view body) {
  std::string out = level.wrapping;
  const auto at = out.find("%B%");
  out.replace(at, 3, body);
  return out;
}

inline json J(std::string_view text) { return json::parse(text); }

using test::events_of;

// The publication's payload as a JSON value (key order does not matter on the wire).
inline json payload_json(const Publication& p) { return json::parse(p.payload, nullptr, false); }

}  // namespace tpgate::gateway::role_test
