// The emulator's one source of randomness: splitmix64 (Steele, Lea, Flood 2014), a
// 64-bit state per stream, good statistical quality and trivially seekable by seeding.
// Streams are derived from (scenario seed, global gateway index, slot) with mix(), never
// from a clock, so the same scenario gives the same values on every run and two shards of
// one fleet agree on what gateway #k reports (docs/scenario.md "seed").
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace tpgate::emulator {

// splitmix64's finaliser: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed for one stream from its coordinates (order matters).
constexpr std::uint64_t stream_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  return mix64(mix64(mix64(a + 0x9e3779b97f4a7c15ULL) ^ b) + c * 0x9e3779b97f4a7c15ULL);
}

// FNV-1a, to turn names (a device address, a key) into stream coordinates.
constexpr std::uint64_t hash_name(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

// Advances `state` and returns the next 64 random bits.
inline std::uint64_t next_u64(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  return mix64(state);
}

// Uniform in [0, 1), 53 bits.
inline double next_unit(std::uint64_t& state) {
  return static_cast<double>(next_u64(state) >> 11) * 0x1.0p-53;
}

inline double next_uniform(std::uint64_t& state, double lo, double hi) { return lo + (hi - lo) * next_unit(state); }

// Standard normal by Box-Muller (one of the pair; simplicity over speed, it is rare).
inline double next_normal(std::uint64_t& state) {
  const double u1 = 1.0 - next_unit(state);  // (0, 1]: log() stays finite
  const double u2 = next_unit(state);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Exponential with the given mean (Poisson process inter-arrival times).
inline double next_exponential(std::uint64_t& state, double mean) {
  return -mean * std::log(1.0 - next_unit(state));
}

}  // namespace tpgate::emulator
