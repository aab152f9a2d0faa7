// Embind registration of the emulator (src/emulator) for the third module,
// npm/dist/tpgate-emulator.{mjs,wasm} (factory createTpgateEmulatorModule), which also
// holds every other binding (reserveScratch, ClientSession, GatewayRole, ...).
//
// Contract (what npm/src/emulator/*.js is written against; no deviation so far):
//   parseScenario(text)  -> {ok: true, normalized: string} | {ok: false, path, expected, message}
//   defaultScenario()    -> string (JSON text)
//   createFleet(scenarioText, optionsJson) -> {ok: true, fleet} | {ok: false, path, expected, message}
//     options: {"count"?, "shard_index"? (1-based), "shard_count"?, "seed"? (u32),
//               "events"? (bool), "offline_budget_bytes"? (u32: what the offline buffers of
//               this fleet may hold together, FleetOptions; 0: no bound but offline_buffer),
//               "now"? (ms, accepted and unused: nothing runs before start)}
//   class Fleet: size(), gatewayInfo(i) -> {index, device_number, client_id, username,
//     password: string | null}, start(now), transportOpen(i, now), transportClosed(i, now),
//     receiveScratch(i, length, now) (bytes at reserveScratch()),
//     receiveFrame(length, now) -> bool (gatewayOutput-shaped records at reserveScratch(),
//       one per read: src/frame/frame.hpp; false when they do not parse), tick(now), stop(now),
//     takeFrame() -> address of the frame in the heap (src/frame/frame.hpp; valid until
//       the next call; npm/src/packed.js takeFrame copies it out), takeEvents() -> string
//       (JSON array of the events not yet in a frame), stats(now) -> string (JSON),
//       histograms() -> string (JSON: the whole run's latency buckets), delete().
// Thin: parsing, the fleet and the output layout live in src/emulator; this file only
// converts. Nothing throws; failures are {ok: false, ...} objects. The JS owner of a
// Fleet must call delete(), which frees every gateway of it.
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "emulator/fleet.hpp"
#include "emulator/scenario.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

namespace emu = tpgate::emulator;
using emscripten::val;

std::int64_t emulator_millis(double now) {
  if (!std::isfinite(now)) return 0;
  constexpr double kLimit = 9007199254740991.0;
  return static_cast<std::int64_t>(std::clamp(now, -kLimit, kLimit));
}

val error_object(const emu::ScenarioError& error) {
  val out = val::object();
  out.set("ok", false);
  out.set("path", error.path);
  out.set("expected", error.expected);
  out.set("message", error.message);
  return out;
}

emu::ScenarioError option_error(const std::string& key, const std::string& expected, const emu::json& got) {
  const std::string path = "options." + key;
  return {path, expected, path + ": expected " + expected + ", got " + got.dump(-1, ' ', false, emu::json::error_handler_t::replace)};
}

// The options JSON of createFleet; false with `error` set when a field is wrong.
bool parse_options(const std::string& text, emu::FleetOptions& options, emu::ScenarioError& error) {
  if (text.empty()) return true;
  const emu::json v = emu::json::parse(text, nullptr, false);
  if (v.is_discarded() || !v.is_object()) {
    error = {"options", "a JSON object", "options: expected a JSON object"};
    return false;
  }
  const auto u32 = [&](const char* key, std::uint64_t lo, std::uint64_t hi, std::uint32_t& out) {
    auto it = v.find(key);
    if (it == v.end() || it->is_null()) return true;
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() < lo || it->get<std::uint64_t>() > hi) {
      error = option_error(key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi), *it);
      return false;
    }
    out = static_cast<std::uint32_t>(it->get<std::uint64_t>());
    return true;
  };
  std::uint32_t count = 0;
  if (!u32("count", 1, 1'000'000, count)) return false;
  if (count != 0) options.count = count;
  if (!u32("shard_index", 1, 1'000'000, options.shard_index) || !u32("shard_count", 1, 1'000'000, options.shard_count)) {
    return false;
  }
  std::uint32_t seed = 0;
  if (auto it = v.find("seed"); it != v.end() && !it->is_null()) {
    if (!u32("seed", 0, 4'294'967'295ULL, seed)) return false;
    options.seed = seed;
  }
  if (auto it = v.find("offline_budget_bytes"); it != v.end() && !it->is_null()) {
    std::uint32_t budget = 0;
    if (!u32("offline_budget_bytes", 0, 4'294'967'295ULL, budget)) return false;
    options.offline_budget_bytes = budget;
  }
  if (auto it = v.find("events"); it != v.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      error = option_error("events", "true or false", *it);
      return false;
    }
    options.events = it->get<bool>();
  }
  return true;
}

class FleetBinding {
 public:
  explicit FleetBinding(std::unique_ptr<emu::Fleet> fleet) : fleet_(std::move(fleet)) {}

  unsigned size() const { return static_cast<unsigned>(fleet_->size()); }

  val gatewayInfo(unsigned i) const {
    if (i >= fleet_->size()) return val::null();
    const emu::GatewayIdentity id = fleet_->identity(i);
    val out = val::object();
    out.set("index", id.global_index);
    out.set("device_number", id.device_number);
    out.set("client_id", id.client_id);
    out.set("username", id.username);
    out.set("password", id.password ? val(*id.password) : val::null());
    return out;
  }

  void start(double now) { fleet_->start(emulator_millis(now)); }
  void transportOpen(unsigned i, double now) { fleet_->transport_open(i, emulator_millis(now)); }
  void transportClosed(unsigned i, double now) { fleet_->transport_closed(i, emulator_millis(now)); }
  void receiveScratch(unsigned i, unsigned length, double now) {
    fleet_->receive(i, scratch(length), emulator_millis(now));
  }
  bool receiveFrame(unsigned length, double now) {
    return fleet_->receive_records(scratch(length), emulator_millis(now));
  }
  void tick(double now) { fleet_->tick(emulator_millis(now)); }
  void stop(double now) { fleet_->stop(emulator_millis(now)); }

  // An address, not a view: JS copies the frame out at once (a view dies when the
  // wasm memory grows).
  unsigned takeFrame() { return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(fleet_->take_frame().data())); }
  std::string takeEvents() { return fleet_->take_events(); }
  std::string stats(double) { return fleet_->stats(); }
  std::string histograms() const { return fleet_->histograms(); }

 private:
  std::unique_ptr<emu::Fleet> fleet_;
};

val parseScenario(const std::string& text) {
  const emu::ScenarioResult parsed = emu::parse_scenario(text);
  if (!parsed.ok()) return error_object(parsed.error);
  val out = val::object();
  out.set("ok", true);
  out.set("normalized", emu::normalized_scenario_json(*parsed.scenario));
  return out;
}

std::string defaultScenario() { return std::string(emu::default_scenario_json()); }

val createFleet(const std::string& scenario_text, const std::string& options_json) {
  const emu::ScenarioResult parsed = emu::parse_scenario(scenario_text);
  if (!parsed.ok()) return error_object(parsed.error);
  emu::FleetOptions options;
  emu::ScenarioError error;
  if (!parse_options(options_json, options, error)) return error_object(error);
  emu::FleetResult made = emu::Fleet::create(parsed.scenario, options);
  if (!made.fleet) return error_object(made.error);
  val out = val::object();
  out.set("ok", true);
  out.set("fleet", val(FleetBinding(std::move(made.fleet))));
  return out;
}

}  // namespace
}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_emulator) {
  using tpgate::bindings::FleetBinding;
  emscripten::function("parseScenario", &tpgate::bindings::parseScenario);
  emscripten::function("defaultScenario", &tpgate::bindings::defaultScenario);
  emscripten::function("createFleet", &tpgate::bindings::createFleet);
  emscripten::class_<FleetBinding>("Fleet")
      .function("size", &FleetBinding::size)
      .function("gatewayInfo", &FleetBinding::gatewayInfo)
      .function("start", &FleetBinding::start)
      .function("transportOpen", &FleetBinding::transportOpen)
      .function("transportClosed", &FleetBinding::transportClosed)
      .function("receiveScratch", &FleetBinding::receiveScratch)
      .function("receiveFrame", &FleetBinding::receiveFrame)
      .function("tick", &FleetBinding::tick)
      .function("stop", &FleetBinding::stop)
      .function("takeFrame", &FleetBinding::takeFrame)
      .function("takeEvents", &FleetBinding::takeEvents)
      .function("stats", &FleetBinding::stats)
      .function("histograms", &FleetBinding::histograms);
}
