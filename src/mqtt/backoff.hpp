// Reconnect timing: exponential backoff with full jitter, drawn from a seeded
// source so tests (and a fleet replaying a run) see the same delays.
#pragma once

#include <cstdint>

namespace tpgate::mqtt {

// Delay before reconnect attempt `attempt` (0-based): uniform in
// [min_delay_ms, min(max_delay_ms, min_delay_ms * 2^attempt)], picked by
// `random` (any 64-bit value). A maximum below the minimum acts as the minimum.
std::uint32_t reconnect_delay_ms(std::uint32_t min_delay_ms, std::uint32_t max_delay_ms, std::uint32_t attempt,
                                 std::uint64_t random);

// The jitter source of one session: the n-th draw is the first output of a
// std::mt19937_64 seeded from (seed, n). A generator kept alive per session
// would cost 2.5 KB each (25 MB for a fleet of 10,000 sessions) for one draw
// per reconnect, so only the seed and a counter are kept.
class JitterSource {
 public:
  explicit JitterSource(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t next();

 private:
  std::uint64_t seed_;
  std::uint64_t draws_ = 0;
};

}  // namespace tpgate::mqtt
