#include "gateway/envelope.hpp"

#include "gateway/base64.hpp"

namespace tpgate::gateway {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

enum class Scan { NotEnvelope, Envelope, Unsure };

// The scanner below decides the common cases without building a JSON tree:
// every telemetry payload is checked for an envelope first, and parsing it
// twice (once here, once as telemetry) was half of the receive path's time.
// It answers only when the answer is certain; anything unusual (escapes or
// non-ASCII in a key or string, a byte order mark, a member that is not a
// string and might be repeated later, more than two members) is Unsure and
// left to the full parser, so the result is always what the parser would say.
class EnvelopeScanner {
 public:
  explicit EnvelopeScanner(std::string_view text) : text_(text) {}

  Scan scan(std::string_view& device_id, std::string_view& values) {
    skip_space();
    if (at_end()) return Scan::NotEnvelope;  // empty: not JSON
    if (peek() != '{') {
      // Not an object (or not JSON), unless a byte order mark precedes it.
      return static_cast<unsigned char>(peek()) == 0xEF ? Scan::Unsure : Scan::NotEnvelope;
    }
    ++i_;
    std::string_view first_key;
    std::string_view first_value;
    if (Scan s = member(first_key, first_value); s != Scan::Envelope) return s;
    skip_space();
    // One member only (or broken JSON): not an envelope either way.
    if (at_end() || peek() != ',') return Scan::NotEnvelope;
    ++i_;
    std::string_view second_key;
    std::string_view second_value;
    if (Scan s = member(second_key, second_value); s != Scan::Envelope) return s;
    if (second_key == first_key) return Scan::Unsure;  // a repeated key: the parser keeps the last
    skip_space();
    if (at_end()) return Scan::NotEnvelope;
    if (peek() == ',') return Scan::Unsure;  // more members, maybe repeating these two
    if (peek() != '}') return Scan::NotEnvelope;
    ++i_;
    skip_space();
    if (!at_end()) return Scan::NotEnvelope;  // trailing bytes: not JSON
    device_id = first_key == "device_id" ? first_value : second_value;
    values = first_key == "values" ? first_value : second_value;
    return Scan::Envelope;
  }

 private:
  bool at_end() const { return i_ >= text_.size(); }
  char peek() const { return text_[i_]; }
  void skip_space() {
    while (!at_end() && is_space(peek())) ++i_;
  }

  // A string at i_ without escapes, control characters or non-ASCII bytes.
  bool plain_string(std::string_view& out) {
    const std::size_t start = ++i_;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        out = text_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20 || c == '\\' || c >= 0x80) return false;
      ++i_;
    }
    return false;
  }

  // `"key": "value"` where key is device_id or values. Envelope means "read".
  Scan member(std::string_view& key, std::string_view& value) {
    skip_space();
    if (at_end() || peek() != '"') return Scan::NotEnvelope;  // {} or not JSON
    if (!plain_string(key)) return Scan::Unsure;
    // Any other member makes the object something else than the envelope.
    if (key != "device_id" && key != "values") return Scan::NotEnvelope;
    skip_space();
    if (at_end() || peek() != ':') return Scan::NotEnvelope;
    ++i_;
    skip_space();
    // Not a string: the key might still come again later with a string.
    if (at_end() || peek() != '"') return Scan::Unsure;
    if (!plain_string(value)) return Scan::Unsure;
    return Scan::Envelope;
  }

  std::string_view text_;
  std::size_t i_ = 0;
};

}  // namespace

mqtt::Result<std::optional<BrokerEnvelope>> unwrap_envelope(std::string_view text,
                                                            const PayloadLimits& limits) {
  using Maybe = std::optional<BrokerEnvelope>;
  if (text.size() > limits.max_payload_bytes) return Maybe{};  // as parse_json_text would refuse it
  std::string_view fast_id;
  std::string_view fast_values;
  switch (EnvelopeScanner(text).scan(fast_id, fast_values)) {
    case Scan::NotEnvelope: return Maybe{};
    case Scan::Envelope: {
      auto decoded = base64_decode(fast_values);
      if (!decoded) {
        return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, "values: " + decoded.error().message);
      }
      return Maybe{BrokerEnvelope{std::string(fast_id), std::move(*decoded)}};
    }
    case Scan::Unsure: break;
  }
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
