// libFuzzer target for the ThingsPanel gateway payload parser and the broker
// envelope. The first byte picks the payload kind; the rest is the payload.
// Properties checked (abort on violation):
// - nothing crashes or hangs on any input (ASan + UBSan);
// - a payload that parses rebuilds (to_json) to JSON that parses again to an
//   equal model: parse(to_json(parse(x))) == parse(x);
// - an unwrapped envelope's payload wraps back to an envelope that unwraps to
//   the same device id and bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/envelope.hpp"
#include "gateway/payload.hpp"

namespace gw = tpgate::gateway;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto kind = static_cast<gw::PayloadKind>(data[0] % 7);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  gw::PayloadLimits limits;
  limits.max_payload_bytes = 64 * 1024;

  auto parsed = gw::parse_gateway_payload(kind, text, limits);
  if (parsed.ok()) {
    const std::string rebuilt = gw::to_json(parsed.value()).dump();
    auto again = gw::parse_gateway_payload(kind, rebuilt, limits);
    if (!again.ok()) std::abort();
    if (!(again.value().root == parsed.value().root)) std::abort();
  }

  auto envelope = gw::unwrap_envelope(text, limits);
  if (envelope.ok() && envelope.value().has_value()) {
    const gw::BrokerEnvelope& e = *envelope.value();
    const std::string wrapped = gw::wrap_envelope(e.device_id, e.payload);
    auto back = gw::unwrap_envelope(wrapped, limits);
    if (!back.ok() || !back.value().has_value()) std::abort();
    if (back.value()->device_id != e.device_id || back.value()->payload != e.payload) std::abort();
  }
  return 0;
}
