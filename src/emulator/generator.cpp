#include "emulator/generator.hpp"

#include <algorithm>
#include <cmath>

#include "emulator/json_writer.hpp"
#include "emulator/random.hpp"
#include "json/read.hpp"

namespace tpgate::emulator {
namespace {

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

double clamp_to(const Generator& g, double x) {
  if (g.has_min && x < g.min) x = g.min;
  if (g.has_max && x > g.max) x = g.max;
  return x;
}

double sine_at(const Generator& g, std::int64_t now_ms) {
  const double t = static_cast<double>(now_ms) / 1000.0 + g.phase_s;
  const double s = std::sin(6.283185307179586 * t / g.period_s);
  return g.min + (g.max - g.min) * (1.0 + s) / 2.0;
}

std::uint32_t pick(const Generator& g, std::uint64_t& rng) {
  const double u = next_unit(rng);
  const auto it = std::upper_bound(g.cumulative.begin(), g.cumulative.end(), u);
  const auto index = static_cast<std::size_t>(it - g.cumulative.begin());
  return static_cast<std::uint32_t>(std::min(index, g.texts.size() - 1));
}

}  // namespace

double round_to(double value, int decimals) {
  if (decimals < 0 || !std::isfinite(value)) return value;
  static constexpr double kScale[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  // Powers of ten up to 10^15 are exact doubles: the table holds what pow() computes.
  const double scale = decimals < 16 ? kScale[decimals] : std::pow(10.0, decimals);
  const double rounded = std::round(value * scale) / scale;
  return std::isfinite(rounded) ? rounded : value;
}

Slot make_slot(const Generator& g, std::uint64_t seed) {
  Slot s;
  s.rng = seed;
  switch (g.type) {
    case GeneratorType::Constant:
    case GeneratorType::Sequence:
      s.kind = SlotKind::SharedText;
      s.text = 0;
      s.number = 0;  // sequence: position of the value shown
      break;
    case GeneratorType::Choice:
      s.kind = SlotKind::SharedText;
      s.text = pick(g, s.rng);
      break;
    case GeneratorType::Uniform:
      s.number = next_uniform(s.rng, g.min, g.max);
      break;
    case GeneratorType::RandomWalk:
      s.number = clamp_to(g, g.start);
      break;
    case GeneratorType::Sine:
      s.number = sine_at(g, 0);
      break;
    case GeneratorType::Counter:
      s.number = g.start;
      break;
    case GeneratorType::Toggle:
      s.kind = SlotKind::Bool;
      s.number = g.toggle_start ? 1 : 0;
      break;
  }
  return s;
}

void advance(const Generator& g, Slot& s, std::int64_t now_ms) {
  if (s.held) return;
  const bool fresh = s.fresh;
  s.fresh = false;
  switch (g.type) {
    case GeneratorType::Constant:
      break;
    case GeneratorType::Uniform:
      s.number = next_uniform(s.rng, g.min, g.max);
      break;
    case GeneratorType::Sine:
      s.number = sine_at(g, now_ms);
      break;
    case GeneratorType::Choice:
      s.kind = SlotKind::SharedText;
      s.text = pick(g, s.rng);
      break;
    case GeneratorType::RandomWalk:
      if (!fresh) s.number = clamp_to(g, s.number + next_uniform(s.rng, -g.step, g.step));
      break;
    case GeneratorType::Counter:
      if (!fresh) {
        s.number += g.step;
        if (g.has_max && s.number > g.max) s.number = g.start;  // wraps to start
      }
      break;
    case GeneratorType::Toggle:
      if (!fresh) s.number = s.number != 0 ? 0 : 1;
      break;
    case GeneratorType::Sequence:
      if (!fresh) {
        s.number = s.number + 1 >= static_cast<double>(g.texts.size()) ? 0 : s.number + 1;
        s.text = static_cast<std::uint32_t>(s.number);
      }
      break;
  }
}

void write_value(tpgate::json::Writer& w, const Generator& g, const Slot& s, const std::vector<std::string>& owned) {
  switch (s.kind) {
    case SlotKind::Number:
      if (s.held) write_number(w, s.number);
      else write_rounded(w, round_to(s.number, g.decimals), g.decimals);
      return;
    case SlotKind::Bool: w.boolean(s.number != 0); return;
    case SlotKind::SharedText: w.raw(s.text < g.texts.size() ? std::string_view(g.texts[s.text]) : "null"); return;
    case SlotKind::OwnedText: w.raw(s.text < owned.size() ? std::string_view(owned[s.text]) : "null"); return;
  }
}

json slot_value(const Generator& g, const Slot& s, const std::vector<std::string>& owned) {
  switch (s.kind) {
    case SlotKind::Number: {
      const double v = s.held ? s.number : round_to(s.number, g.decimals);
      if (!std::isfinite(v)) return nullptr;
      if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return static_cast<std::int64_t>(v);
      return v;
    }
    case SlotKind::Bool: return s.number != 0;
    case SlotKind::SharedText:
      return s.text < g.texts.size() ? tpgate::json::parse(g.texts[s.text]) : json(nullptr);
    case SlotKind::OwnedText: return s.text < owned.size() ? tpgate::json::parse(owned[s.text]) : json(nullptr);
  }
  return nullptr;
}

void set_value(const Generator& g, Slot& s, const json& value, std::vector<std::string>& owned) {
  const bool continues = g.type == GeneratorType::RandomWalk || g.type == GeneratorType::Counter;
  if (value.is_number()) {
    s.kind = SlotKind::Number;
    s.number = value.get<double>();
    // The walk or the count goes on from the new value: report it once, then move.
    s.fresh = true;
    s.held = !continues;
    return;
  }
  s.held = true;
  if (value.is_boolean()) {
    s.kind = SlotKind::Bool;
    s.number = value.get<bool>() ? 1 : 0;
    return;
  }
  std::string text = dump(value);
  if (s.kind == SlotKind::OwnedText && s.text < owned.size()) {
    owned[s.text] = std::move(text);
  } else {
    s.kind = SlotKind::OwnedText;
    s.text = static_cast<std::uint32_t>(owned.size());
    owned.push_back(std::move(text));
  }
}

double sample_latency_ms(const Latency& l, std::uint64_t& rng) {
  double ms = 0;
  switch (l.type) {
    case LatencyType::Constant: ms = l.value; break;
    case LatencyType::Uniform: ms = next_uniform(rng, l.min, l.max); break;
    case LatencyType::Normal: ms = l.mean + l.stddev * next_normal(rng); break;
    case LatencyType::Exponential: ms = l.mean > 0 ? next_exponential(rng, l.mean) : 0; break;
  }
  return std::max(0.0, ms);
}

}  // namespace tpgate::emulator
