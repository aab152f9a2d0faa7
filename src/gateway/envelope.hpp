// The ThingsPanel broker's envelope (docs/thingspanel.md#broker-envelope): the broker knows the
// sender from its credentials and rewrites every device publish into
// {"device_id":"<uuid>","values":"<base64 of the original payload>"} before the backend
// sees it. A platform-side client unwraps it when present.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/payload_parse.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway {

struct BrokerEnvelope {
  std::string device_id;
  std::string payload;  // the device's original payload bytes
  friend bool operator==(const BrokerEnvelope&, const BrokerEnvelope&) = default;
};

// nullopt when `text` is not an envelope (a payload as the device sent it): not JSON, not
// an object, or not exactly the two string members device_id and values. An envelope
// whose values is not valid base64 is an error, since the original payload is lost.
mqtt::Result<std::optional<BrokerEnvelope>> unwrap_envelope(std::string_view text,
                                                            const PayloadLimits& limits = {});
// The same into `into` (its strings' capacity reused): true when `text` was an envelope.
mqtt::Result<bool> unwrap_envelope(std::string_view text, const PayloadLimits& limits, BrokerEnvelope& into);

// The envelope the broker would produce (for the emulator and tests).
std::string wrap_envelope(std::string_view device_id, std::string_view payload);

}  // namespace tpgate::gateway
