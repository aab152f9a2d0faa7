// Parsing of generators, latency distributions and behaviours (docs/scenario.md
// "Generators", "Behaviour"). Each function fills its normalized JSON on the way, so
// normalized_scenario() can print exactly what will run, defaults included.
#include "emulator/scenario_parse_parts.hpp"

#include "emulator/json_writer.hpp"

namespace tpgate::emulator {
namespace {

constexpr double kBig = 1e15;  // generator numbers: far beyond any reading, still exact-ish
#define TPGATE_GENERATOR_TYPES \
  { "constant", "uniform", "random_walk", "sine", "sequence", "counter", "toggle", "choice" }
const std::string kGeneratorTypes = one_of(TPGATE_GENERATOR_TYPES);

bool is_scalar(const json& v) { return v.is_number() || v.is_string() || v.is_boolean() || v.is_null(); }

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Telemetry values are single readings (docs/thingspanel.md#format-recognition: key/values).
bool value_ok(Reader& r, const json& v, const std::string& path, bool scalar_only) {
  if (scalar_only && !is_scalar(v)) return r.fail(path, "a number, string, boolean or null", v);
  return true;
}

bool read_decimals(Reader& r, const json& obj, const std::string& path, Generator& g) {
  std::int64_t d = g.decimals;
  if (!r.opt_integer(obj, path, "decimals", 0, 15, d)) return false;
  g.decimals = static_cast<int>(d);
  if (g.decimals >= 0) g.normalized["decimals"] = g.decimals;
  return true;
}

bool required_number(Reader& r, const json& obj, const std::string& path, std::string_view key, double lo, double hi,
                     double& out) {
  const json* m = Reader::member(obj, key);
  if (m == nullptr) {
    return r.fail_message(member_path(path, key), "a number", "missing; expected a number from " +
                                                                  format_number(lo) + " to " + format_number(hi));
  }
  return r.number(*m, member_path(path, key), lo, hi, out);
}

bool min_max(Reader& r, const std::string& path, double lo, double hi, const json& obj) {
  if (lo <= hi) return true;
  return r.fail(member_path(path, "max"), "a number >= min (" + format_number(lo) + ")", *Reader::member(obj, "max"));
}

bool read_values(Reader& r, const json& obj, const std::string& path, bool scalar_only, Generator& g) {
  const json* values = Reader::member(obj, "values");
  const std::string at = member_path(path, "values");
  if (values == nullptr) return r.fail_message(at, "a non-empty array", "missing; expected a non-empty array");
  if (!values->is_array() || values->empty()) return r.fail(at, "a non-empty array", *values);
  if (values->size() > 100'000) return r.fail(at, "an array of at most 100000 values", json(values->size()));
  for (std::size_t i = 0; i < values->size(); ++i) {
    if (!value_ok(r, (*values)[i], index_path(at, i), scalar_only)) return false;
    g.texts.push_back(dump((*values)[i]));
  }
  g.normalized["values"] = *values;
  return true;
}

}  // namespace

bool parse_generator(Reader& r, const json& v, const std::string& path, bool scalar_only, Generator& g) {
  if (!v.is_object()) {
    // A bare value is a constant (docs/scenario.md: "a bare scalar is a constant").
    if (!value_ok(r, v, path, scalar_only)) return false;
    g.type = GeneratorType::Constant;
    g.texts = {dump(v)};
    g.normalized = {{"type", "constant"}, {"value", v}};
    return true;
  }
  const json* type = Reader::member(v, "type");
  const std::string type_path = member_path(path, "type");
  if (type == nullptr) return r.fail_message(type_path, kGeneratorTypes, "missing; expected " + kGeneratorTypes);
  std::string name;
  if (!type->is_string()) return r.fail(type_path, kGeneratorTypes, *type);
  name = type->get<std::string>();
  g.normalized = json::object();
  g.normalized["type"] = name;
  if (name == "constant") {
    if (!r.object(v, path, {"type", "value"})) return false;
    const json* value = Reader::member(v, "value");
    if (value == nullptr) return r.fail_message(member_path(path, "value"), "a value", "missing; expected a value");
    if (!value_ok(r, *value, member_path(path, "value"), scalar_only)) return false;
    g.type = GeneratorType::Constant;
    g.texts = {dump(*value)};
    g.normalized["value"] = *value;
    return true;
  }
  if (name == "uniform") {
    g.type = GeneratorType::Uniform;
    if (!r.object(v, path, {"type", "min", "max", "decimals"})) return false;
    if (!required_number(r, v, path, "min", -kBig, kBig, g.min) || !required_number(r, v, path, "max", -kBig, kBig, g.max) ||
        !min_max(r, path, g.min, g.max, v) || !read_decimals(r, v, path, g)) {
      return false;
    }
    g.normalized["min"] = g.min;
    g.normalized["max"] = g.max;
    return true;
  }
  if (name == "random_walk") {
    g.type = GeneratorType::RandomWalk;
    if (!r.object(v, path, {"type", "start", "step", "min", "max", "decimals"})) return false;
    if (!required_number(r, v, path, "start", -kBig, kBig, g.start) ||
        !required_number(r, v, path, "step", 0, kBig, g.step)) {
      return false;
    }
    g.has_min = Reader::member(v, "min") != nullptr;
    g.has_max = Reader::member(v, "max") != nullptr;
    if (!r.opt_number(v, path, "min", -kBig, kBig, g.min) || !r.opt_number(v, path, "max", -kBig, kBig, g.max)) return false;
    if (g.has_min && g.has_max && !min_max(r, path, g.min, g.max, v)) return false;
    if (!read_decimals(r, v, path, g)) return false;
    g.normalized["start"] = g.start;
    g.normalized["step"] = g.step;
    if (g.has_min) g.normalized["min"] = g.min;
    if (g.has_max) g.normalized["max"] = g.max;
    return true;
  }
  if (name == "sine") {
    g.type = GeneratorType::Sine;
    if (!r.object(v, path, {"type", "min", "max", "period_s", "phase_s", "decimals"})) return false;
    if (!required_number(r, v, path, "min", -kBig, kBig, g.min) || !required_number(r, v, path, "max", -kBig, kBig, g.max) ||
        !min_max(r, path, g.min, g.max, v) || !required_number(r, v, path, "period_s", 0.001, 1e9, g.period_s) ||
        !r.opt_number(v, path, "phase_s", -1e9, 1e9, g.phase_s) || !read_decimals(r, v, path, g)) {
      return false;
    }
    g.normalized["min"] = g.min;
    g.normalized["max"] = g.max;
    g.normalized["period_s"] = g.period_s;
    g.normalized["phase_s"] = g.phase_s;
    return true;
  }
  if (name == "sequence") {
    g.type = GeneratorType::Sequence;
    if (!r.object(v, path, {"type", "values"})) return false;
    return read_values(r, v, path, scalar_only, g);
  }
  if (name == "counter") {
    g.type = GeneratorType::Counter;
    g.start = 0;
    g.step = 1;
    if (!r.object(v, path, {"type", "start", "step", "max"})) return false;
    g.has_max = Reader::member(v, "max") != nullptr;
    if (!r.opt_number(v, path, "start", -kBig, kBig, g.start) || !r.opt_number(v, path, "step", -kBig, kBig, g.step) ||
        !r.opt_number(v, path, "max", -kBig, kBig, g.max)) {
      return false;
    }
    if (g.has_max && !min_max(r, path, g.start, g.max, v)) return false;
    g.normalized["start"] = g.start;
    g.normalized["step"] = g.step;
    if (g.has_max) g.normalized["max"] = g.max;
    return true;
  }
  if (name == "toggle") {
    g.type = GeneratorType::Toggle;
    if (!r.object(v, path, {"type", "start"}) || !r.opt_boolean(v, path, "start", g.toggle_start)) return false;
    g.normalized["start"] = g.toggle_start;
    return true;
  }
  if (name == "choice") {
    g.type = GeneratorType::Choice;
    if (!r.object(v, path, {"type", "values", "weights"}) || !read_values(r, v, path, scalar_only, g)) return false;
    const json* weights = Reader::member(v, "weights");
    const std::size_t n = g.texts.size();
    std::vector<double> w(n, 1.0);
    if (weights != nullptr) {
      const std::string at = member_path(path, "weights");
      if (!weights->is_array() || weights->size() != n) {
        return r.fail(at, "an array of " + std::to_string(n) + " numbers (one per value)", *weights);
      }
      for (std::size_t i = 0; i < n; ++i) {
        if (!r.number((*weights)[i], index_path(at, i), 0, kBig, w[i])) return false;
      }
      g.normalized["weights"] = *weights;
    }
    double total = 0;
    for (double x : w) total += x;
    if (total <= 0) return r.fail(member_path(path, "weights"), "weights with a positive sum", *weights);
    double running = 0;
    for (double x : w) {
      running += x;
      g.cumulative.push_back(running / total);
    }
    g.cumulative.back() = 1.0;
    return true;
  }
  return r.fail(type_path, kGeneratorTypes, *type);
}

bool parse_generators(Reader& r, const json* obj, const std::string& path, bool scalar_only,
                      std::vector<NamedGenerator>& out) {
  if (obj == nullptr) return !r.failed();
  if (!r.any_object(*obj, path)) return false;
  for (const auto& [key, value] : obj->items()) {
    const std::string at = member_path(path, key);
    if (key.empty()) return r.fail_message(at, "a non-empty key", "empty key; expected a non-empty key");
    NamedGenerator named;
    named.key = key;
    if (!parse_generator(r, value, at, scalar_only, named.generator)) return false;
    out.push_back(std::move(named));
  }
  return true;
}

bool parse_latency(Reader& r, const json& v, const std::string& path, Latency& out) {
  constexpr double kMaxMs = 3'600'000;
  static const std::string kTypes = one_of({"constant", "uniform", "normal", "exponential"});
  if (v.is_number()) {
    out.type = LatencyType::Constant;
    if (!r.number(v, path, 0, kMaxMs, out.value)) return false;
    out.normalized = out.value;
    return true;
  }
  if (!v.is_object()) return r.fail(path, "a number of milliseconds or a distribution object", v);
  const json* type = Reader::member(v, "type");
  const std::string type_path = member_path(path, "type");
  if (type == nullptr) return r.fail_message(type_path, kTypes, "missing; expected " + kTypes);
  if (!type->is_string()) return r.fail(type_path, kTypes, *type);
  const std::string name = type->get<std::string>();
  out.normalized = {{"type", name}};
  if (name == "constant") {
    out.type = LatencyType::Constant;
    if (!r.object(v, path, {"type", "value"}) || !required_number(r, v, path, "value", 0, kMaxMs, out.value)) return false;
    out.normalized["value"] = out.value;
  } else if (name == "uniform") {
    out.type = LatencyType::Uniform;
    if (!r.object(v, path, {"type", "min", "max"}) || !required_number(r, v, path, "min", 0, kMaxMs, out.min) ||
        !required_number(r, v, path, "max", 0, kMaxMs, out.max) || !min_max(r, path, out.min, out.max, v)) {
      return false;
    }
    out.normalized["min"] = out.min;
    out.normalized["max"] = out.max;
  } else if (name == "normal") {
    out.type = LatencyType::Normal;
    if (!r.object(v, path, {"type", "mean", "stddev"}) || !required_number(r, v, path, "mean", 0, kMaxMs, out.mean) ||
        !required_number(r, v, path, "stddev", 0, kMaxMs, out.stddev)) {
      return false;
    }
    out.normalized["mean"] = out.mean;
    out.normalized["stddev"] = out.stddev;
  } else if (name == "exponential") {
    out.type = LatencyType::Exponential;
    if (!r.object(v, path, {"type", "mean"}) || !required_number(r, v, path, "mean", 0, kMaxMs, out.mean)) return false;
    out.normalized["mean"] = out.mean;
  } else {
    return r.fail(type_path, kTypes, *type);
  }
  return true;
}

namespace {

bool parse_effects(Reader& r, const json* obj, const std::string& path, std::vector<std::pair<std::string, json>>& out) {
  if (obj == nullptr) return !r.failed();
  if (!r.any_object(*obj, path)) return false;
  for (const auto& [key, value] : obj->items()) {
    if (key.empty()) return r.fail_message(member_path(path, key), "a non-empty key", "empty key; expected a non-empty key");
    out.emplace_back(key, value);
  }
  return true;
}

}  // namespace

bool parse_behaviour(Reader& r, const json& v, const std::string& path, Behaviour& out) {
  if (!r.object(v, path, {"latency_ms", "failure_rate", "errcode", "message", "effects"})) return false;
  if (const json* latency = Reader::member(v, "latency_ms")) {
    if (!parse_latency(r, *latency, member_path(path, "latency_ms"), out.latency)) return false;
  }
  if (!r.opt_number(v, path, "failure_rate", 0, 1, out.failure_rate) ||
      !r.opt_string(v, path, "errcode", out.errcode, true) || !r.opt_string(v, path, "message", out.message)) {
    return false;
  }
  if (const json* effects = Reader::member(v, "effects")) {
    const std::string at = member_path(path, "effects");
    if (!r.object(*effects, at, {"telemetry", "attributes"}) ||
        !parse_effects(r, Reader::member(*effects, "telemetry"), member_path(at, "telemetry"), out.telemetry_effects) ||
        !parse_effects(r, Reader::member(*effects, "attributes"), member_path(at, "attributes"), out.attribute_effects)) {
      return false;
    }
  }
  return true;
}

json behaviour_json(const Behaviour& b) {
  json out = {{"latency_ms", b.latency.normalized},
              {"failure_rate", b.failure_rate},
              {"errcode", b.errcode},
              {"message", b.message}};
  if (!b.telemetry_effects.empty() || !b.attribute_effects.empty()) {
    json effects = json::object();
    if (!b.telemetry_effects.empty()) {
      effects["telemetry"] = json::object();
      for (const auto& [k, v] : b.telemetry_effects) effects["telemetry"][k] = v;
    }
    if (!b.attribute_effects.empty()) {
      effects["attributes"] = json::object();
      for (const auto& [k, v] : b.attribute_effects) effects["attributes"][k] = v;
    }
    out["effects"] = effects;
  }
  return out;
}

}  // namespace tpgate::emulator
