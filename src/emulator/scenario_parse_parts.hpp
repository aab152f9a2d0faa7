// The pieces of the scenario parser, one file each: values (generators, latency,
// behaviours), devices and gateways, and the top level (scenario_parse.cpp).
#pragma once

#include <string>
#include <vector>

#include "emulator/scenario.hpp"
#include "emulator/scenario_reader.hpp"

namespace tpgate::emulator {

// scalar_only: telemetry values must be single readings (number, string, boolean, null).
bool parse_generator(Reader& r, const json& v, const std::string& path, bool scalar_only, Generator& out);
bool parse_generators(Reader& r, const json* obj, const std::string& path, bool scalar_only,
                      std::vector<NamedGenerator>& out);
bool parse_latency(Reader& r, const json& v, const std::string& path, Latency& out);
bool parse_behaviour(Reader& r, const json& v, const std::string& path, Behaviour& out);
json behaviour_json(const Behaviour& b);

// `inherited_interval_s`: the parent gateway's telemetry interval (docs/scenario.md).
bool parse_device(Reader& r, const json& v, const std::string& path, double inherited_interval_s, DeviceSpec& out);
bool parse_gateway_spec(Reader& r, const json& v, const std::string& path, double inherited_interval_s, int depth,
                        GatewaySpec& out);
json device_json(const DeviceSpec& d);
json gateway_spec_json(const GatewaySpec& g);

// scenario_parse_format.cpp: $.gateway.format and $.provision.
bool parse_format(Reader& r, const json& v, const std::string& path, std::shared_ptr<const FormatSpec>& out);
json format_json(const FormatSpec& f);
bool parse_provision(Reader& r, const json& v, const std::string& path, ProvisionSpec& out);
json provision_json(const ProvisionSpec& p);

// Deepest sub-gateway level accepted (GatewayRoleOptions::max_depth); the backend reads
// only 5, deeper levels are built but warned about (docs/thingspanel.md#sub-gateway-depth).
inline constexpr int kMaxSubGatewayDepth = 32;

}  // namespace tpgate::emulator
