#include "gateway/envelope.hpp"

#include "gateway/base64.hpp"
#include "json/scan.hpp"
#include "json/writer.hpp"

namespace tpgate::gateway {

namespace {

// Every telemetry payload is checked for an envelope first, and parsing it
// twice (once here, once as telemetry) was half of the receive path's time:
// json::match_string_members() decides the common cases (an envelope, or an
// object whose first member is not one of the two) without a JSON tree, and
// leaves the rest to the full parse, whose answer it always gives.
constexpr std::string_view kMembers[] = {"device_id", "values"};

mqtt::Result<bool> decoded(std::string_view device_id, std::string_view values, BrokerEnvelope& into) {
  auto status = base64_decode(values, into.payload);
  if (!status) return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, "values: " + status.error().message);
  into.device_id.assign(device_id);
  return true;
}

}  // namespace

mqtt::Result<bool> unwrap_envelope(std::string_view text, const PayloadLimits& limits, BrokerEnvelope& into) {
  if (text.size() > limits.max_payload_bytes) return false;  // as parse_json_text would refuse it
  std::string_view found[2];
  switch (tpgate::json::match_string_members(text, kMembers, found)) {
    case tpgate::json::Match::No: return false;
    // An object of two strings is one level deep: within any nesting limit but 0.
    case tpgate::json::Match::Yes: return limits.max_json_nesting >= 1 ? decoded(found[0], found[1], into) : false;
    case tpgate::json::Match::NotHandled: break;
  }
  auto parsed = parse_json_text(text, limits);
  if (!parsed) return false;
  const json& value = *parsed;
  // Exactly the broker's two members, so a device payload that happens to carry a
  // "values" key (e.g. inside telemetry) is never mistaken for an envelope.
  if (!value.is_object() || value.size() != 2) return false;
  const auto id = value.find("device_id");
  const auto values = value.find("values");
  if (id == value.end() || values == value.end() || !id->is_string() || !values->is_string()) {
    return false;
  }
  return decoded(id->get_ref<const std::string&>(), values->get_ref<const std::string&>(), into);
}

mqtt::Result<std::optional<BrokerEnvelope>> unwrap_envelope(std::string_view text, const PayloadLimits& limits) {
  BrokerEnvelope envelope;
  auto found = unwrap_envelope(text, limits, envelope);
  if (!found) return found.error();
  if (!*found) return std::optional<BrokerEnvelope>{};
  return std::optional<BrokerEnvelope>{std::move(envelope)};
}

std::string wrap_envelope(std::string_view device_id, std::string_view payload) {
  std::string out;
  {
    tpgate::json::Writer w(out);
    w.begin_object().key("device_id").string(device_id).key("values").string(base64_encode(payload)).end_object();
  }
  return out;
}

}  // namespace tpgate::gateway
