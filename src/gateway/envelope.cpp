#include "gateway/envelope.hpp"

#include "gateway/base64.hpp"

namespace tpgate::gateway {

mqtt::Result<std::optional<BrokerEnvelope>> unwrap_envelope(std::string_view text,
                                                            const PayloadLimits& limits) {
  using Maybe = std::optional<BrokerEnvelope>;
  auto parsed = parse_json_text(text, limits);
  if (!parsed) return Maybe{};
  const json& value = *parsed;
  // Exactly the broker's two members, so a device payload that happens to carry a
  // "values" key (e.g. inside telemetry) is never mistaken for an envelope.
  if (!value.is_object() || value.size() != 2) return Maybe{};
  const auto id = value.find("device_id");
  const auto values = value.find("values");
  if (id == value.end() || values == value.end() || !id->is_string() || !values->is_string()) {
    return Maybe{};
  }
  auto decoded = base64_decode(values->get_ref<const std::string&>());
  if (!decoded) {
    return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, "values: " + decoded.error().message);
  }
  return Maybe{BrokerEnvelope{id->get<std::string>(), std::move(*decoded)}};
}

std::string wrap_envelope(std::string_view device_id, std::string_view payload) {
  return json{{"device_id", std::string(device_id)}, {"values", base64_encode(payload)}}.dump();
}

}  // namespace tpgate::gateway
