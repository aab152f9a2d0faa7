// Embind registration of the codec: encodePacket() and a streaming Decoder.
// Used by tests and tools; sessions encode and decode internally.
#include <emscripten/bind.h>

#include <utility>

#include "convert.hpp"
#include "mqtt/codec.hpp"

namespace tpgate::bindings {
namespace {

// {ok: true, bytes} or a failure.
val encodePacket(val packet, val version) {
  auto p = packet_from_js(packet);
  if (!p) return failure_to_js(p.error());
  auto v = version_from_js(version);
  if (!v) return failure_to_js(v.error());
  mqtt::Bytes bytes;
  mqtt::EncodeOptions options;
  options.version = *v;
  if (auto status = mqtt::encode(*p, options, bytes); !status) return failure_to_js(status.error());
  val out = val::object();
  out.set("ok", true);
  out.set("bytes", bytes_to_js(bytes));
  return out;
}

mqtt::Result<mqtt::DecoderOptions> decoder_options_from_js(const val& value) {
  ObjectReader in(value, "options");
  mqtt::DecoderOptions options;
  if (in.ok() && in.has("version")) {
    auto version = version_from_js(in.get("version"));
    if (!version) return version.error();
    options.version = *version;
  }
  std::string role = "any";
  in.string("role", role);
  in.integer("maxPacketSize", options.max_packet_size);
  if (!in.ok()) return in.error();
  if (role == "any") {
    options.role = mqtt::Role::Any;
  } else if (role == "client") {
    options.role = mqtt::Role::Client;
  } else if (role == "server") {
    options.role = mqtt::Role::Server;
  } else {
    return mqtt::argument_error("options.role", "expected 'any', 'client' or 'server'");
  }
  return options;
}

// `new Decoder({version: 4 | 5, role: 'any' | 'client' | 'server', maxPacketSize})`.
class DecoderBinding {
 public:
  DecoderBinding() : DecoderBinding(val::undefined()) {}
  explicit DecoderBinding(val options) {
    auto parsed = decoder_options_from_js(options);
    if (parsed) {
      decoder_ = mqtt::Decoder(*parsed);
    } else {
      options_error_ = parsed.error();
    }
  }

  val optionsError() const { return options_error_ ? failure_to_js(*options_error_) : val::null(); }

  // Feeds one chunk and decodes every packet it completes: {ok: true, packets}
  // or {ok: false, code, reason, message, packets} (the packets before the
  // error). After an error the stream is dead until reset().
  val feed(val bytes) {
    val packets = val::array();
    val out = val::object();
    auto data = bytes_from_js(bytes);
    if (options_error_ || !data) {
      out = failure_to_js(options_error_ ? *options_error_ : data.error());
      out.set("packets", packets);
      return out;
    }
    decoder_.feed(*data);
    mqtt::Packet packet;
    mqtt::Error error;
    for (;;) {
      const auto status = decoder_.next(packet, error);
      if (status == mqtt::Decoder::Status::Packet) {
        packets.call<void>("push", packet_to_js(packet));
        continue;
      }
      if (status == mqtt::Decoder::Status::Error) {
        out = failure_to_js(error);
      } else {
        out.set("ok", true);
      }
      break;
    }
    out.set("packets", packets);
    return out;
  }

  void reset() { decoder_.reset(); }
  unsigned buffered() const { return static_cast<unsigned>(decoder_.buffered()); }

 private:
  mqtt::Decoder decoder_;
  std::optional<mqtt::Error> options_error_;
};

}  // namespace
}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_codec) {
  using tpgate::bindings::DecoderBinding;
  emscripten::function("encodePacket", &tpgate::bindings::encodePacket);
  emscripten::class_<DecoderBinding>("Decoder")
      .constructor<>()
      .constructor<emscripten::val>()
      .function("optionsError", &DecoderBinding::optionsError)
      .function("feed", &DecoderBinding::feed)
      .function("reset", &DecoderBinding::reset)
      .function("buffered", &DecoderBinding::buffered);
}
