#include "mqtt/backoff.hpp"

#include <algorithm>
#include <random>

namespace tpgate::mqtt {

std::uint32_t reconnect_delay_ms(std::uint32_t min_delay_ms, std::uint32_t max_delay_ms, std::uint32_t attempt,
                                 std::uint64_t random) {
  const std::uint64_t low = min_delay_ms;
  const std::uint64_t cap = std::max(low, static_cast<std::uint64_t>(max_delay_ms));
  // min * 2^attempt, saturating: past 32 doublings any uint32 minimum is above any cap.
  const std::uint64_t grown = attempt >= 32 ? cap : std::min(cap, low << attempt);
  const std::uint64_t high = std::max(low, grown);
  // Reduce the raw draw ourselves instead of using
  // std::uniform_int_distribution, whose output differs between libstdc++ and
  // libc++: native tests and the wasm build must agree on every delay. The
  // modulo bias is below 2^-31 for ranges that fit in 32 bits.
  return static_cast<std::uint32_t>(low + random % (high - low + 1));
}

std::uint64_t JitterSource::next() {
  // Distinct seeds per draw; the golden-ratio step keeps consecutive draws of
  // consecutive session seeds apart.
  std::mt19937_64 generator(seed_ + 0x9E3779B97F4A7C15ULL * ++draws_);
  return generator();
}

}  // namespace tpgate::mqtt
