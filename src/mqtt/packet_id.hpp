// Packet Identifier allocation for the client's outgoing packets.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tpgate::mqtt {

// Hands out identifiers 1..65535 in rising order, wrapping to 1, and skips
// every identifier still in use: a new PUBLISH, SUBSCRIBE or UNSUBSCRIBE must
// carry an unused one [MQTT-2.2.1-3] [MQTT-4.3.2-1] [MQTT-4.3.3-1]. Holds no
// table of its own: the caller's in-flight map answers "in use?".
class PacketIdCursor {
 public:
  static constexpr std::size_t kIdCount = 65'535;

  // The next free identifier, or 0 when all 65,535 are in use (the caller
  // then waits for an acknowledgement).
  template <class IsUsed>
  std::uint16_t next(std::size_t in_use_count, IsUsed&& is_used) {
    if (in_use_count >= kIdCount) return 0;
    for (;;) {
      last_ = static_cast<std::uint16_t>(last_ == 65'535 ? 1 : last_ + 1);
      if (!is_used(last_)) return last_;
    }
  }

 private:
  std::uint16_t last_ = 0;
};

}  // namespace tpgate::mqtt
