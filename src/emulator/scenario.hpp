// The scenario model: what docs/scenario.md describes, parsed once, validated, with every
// default filled in, and then shared read-only by every virtual gateway of a fleet
// (std::shared_ptr<const Scenario>). Per-gateway state lives elsewhere (device_state.hpp)
// and only indexes into this model, so ten thousand gateways share one copy.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "emulator/custom_format.hpp"
#include "emulator/topology.hpp"
#include "json/value.hpp"

namespace tpgate::emulator {

using json = tpgate::json::Value;

enum class GeneratorType : std::uint8_t { Constant, Uniform, RandomWalk, Sine, Sequence, Counter, Toggle, Choice };
std::string_view generator_type_name(GeneratorType type);

// One value source (docs/scenario.md "Generators"). Values that are not numbers are kept
// as JSON text (`texts`), serialised once here rather than by every gateway.
struct Generator {
  GeneratorType type = GeneratorType::Constant;
  double min = 0, max = 0;     // uniform, sine; random_walk/counter bounds when has_min/has_max
  bool has_min = false, has_max = false;
  double start = 0;            // random_walk, counter
  double step = 1;             // random_walk (largest move), counter (increment)
  double period_s = 60, phase_s = 0;  // sine
  int decimals = -1;           // -1: as computed
  bool toggle_start = false;   // toggle
  std::vector<std::string> texts;       // constant: [value]; sequence, choice: the values
  std::vector<double> cumulative;       // choice: cumulative weights, last == 1
  json normalized;                      // for normalized_scenario_json()
};

enum class LatencyType : std::uint8_t { Constant, Uniform, Normal, Exponential };

struct Latency {
  LatencyType type = LatencyType::Constant;
  double value = 0;            // constant (ms)
  double min = 0, max = 0;     // uniform
  double mean = 0, stddev = 0; // normal, exponential (mean only)
  json normalized = 0.0;
};

// How a device answers one kind of downlink (docs/scenario.md "Behaviour").
struct Behaviour {
  Latency latency;
  double failure_rate = 0;
  std::string errcode = "DEVICE_ERROR";
  std::string message = "device error";
  // Applied on success: key -> value, where a string "$params.x" takes the command's param x.
  std::vector<std::pair<std::string, json>> telemetry_effects;
  std::vector<std::pair<std::string, json>> attribute_effects;
};

struct NamedGenerator {
  std::string key;
  Generator generator;
};

struct EventSpec {
  std::string method;
  std::vector<NamedGenerator> params;  // sorted by key
  bool poisson = false;
  double every_s = 0, first_s = 0;  // periodic
  double mean_interval_s = 0;       // poisson
};

struct DeviceSpec {
  std::vector<NamedGenerator> telemetry;   // sorted by key
  std::vector<NamedGenerator> attributes;  // sorted by key
  double telemetry_interval_s = 5;
  int historical_batch = 0;  // 0: real-time telemetry; N: historical arrays of N samples
  std::vector<EventSpec> events;
  bool has_commands = false;  // false: every command succeeds at once
  std::map<std::string, Behaviour> commands;  // "*" is the default
  Behaviour attribute_set, attribute_get, control;
};

struct SubGatewaySpec;

struct GatewaySpec {
  DeviceSpec device;
  std::vector<std::pair<std::string, DeviceSpec>> sub_devices;  // sorted by address
  std::vector<SubGatewaySpec> sub_gateways;                     // sorted by address
};

struct SubGatewaySpec {
  std::string address;
  GatewaySpec spec;
};

struct BrokerSpec {
  std::string url = "ws://127.0.0.1:8083/mqtt";
  int protocol_version = 4;
  int keepalive_s = 60;
  bool clean_start = true;
  int qos = 1;
  int connect_timeout_s = 30;
  double reconnect_min_delay_s = 1;
  double reconnect_max_delay_s = 30;
};

struct Credential {
  std::string device_number, client_id, username;
  std::optional<std::string> password;
};

struct GatewaysSpec {
  std::uint32_t count = 1;
  std::uint64_t first_index = 1;
  std::string device_number = "gw-{i}";
  std::string client_id = "{device_number}";
  std::string username = "{device_number}";
  std::optional<std::string> password;
  std::vector<Credential> credentials;  // when non-empty, entry k is gateway k (templates expanded)
};

struct ChurnSpec {
  double every_s = 60, jitter = 0.2, offline_s = 5;
  bool abrupt = true;
};

// Registration over HTTP before connecting (docs/scenario.md "Provisioning"). The
// core only validates it; the JS host (npm/src/provision.js) registers.
struct ProvisionSpec {
  std::string api_url;
  std::string template_secret;
  int concurrency = 16;
  int retries = 5;
  std::optional<std::string> vouchers_file;
  bool sub_devices = false;
};

struct Scenario {
  std::string name = "tpgate emulator";
  std::uint32_t seed = 1;
  BrokerSpec broker;
  GatewaysSpec gateways;
  GatewaySpec gateway;
  std::optional<ChurnSpec> churn;
  std::uint32_t offline_buffer = 1000;
  // $.gateway.format: the top-level gateway's custom topics and scripts; null: standard.
  std::shared_ptr<const FormatSpec> format;
  std::optional<ProvisionSpec> provision;

  // Derived at parse time (topology.hpp): every device of the tree, flattened.
  Topology topology;
};

// Why a scenario was refused: where (a JSON path from "$"), what was expected there, and
// the whole one-line message ("$.broker.keepalive_s: expected an integer from 1 to 300, got 600").
struct ScenarioError {
  std::string path;
  std::string expected;
  std::string message;
};

// A parsed scenario or the first error found.
struct ScenarioResult {
  std::shared_ptr<const Scenario> scenario;
  ScenarioError error;
  bool ok() const { return scenario != nullptr; }
};

// Parses and validates scenario JSON text. Never throws; invalid JSON is reported with
// its line and column.
ScenarioResult parse_scenario(std::string_view json_text);
// The same from an already parsed value.
ScenarioResult parse_scenario_value(const json& value);

// The built-in scenario: the seed spec's multi-level gateway (`tpgate emulate --print-default`).
std::string_view default_scenario_json();

// The scenario with every default filled in, as JSON that parses back to the same scenario.
json normalized_scenario(const Scenario& scenario);
std::string normalized_scenario_json(const Scenario& scenario);

}  // namespace tpgate::emulator
