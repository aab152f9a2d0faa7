// The record kinds both roles write (src/frame/frame.hpp): a frame with its
// header, publication records and JSON event records, the events' text
// written by the one JSON writer (json/writer.hpp). The platform role's
// writer (gateway/platform_frame.hpp) adds its telemetry, device and key
// records on top; the gateway role's (gateway/gateway_frame.hpp) needs no more.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "frame/buffer.hpp"
#include "frame/frame.hpp"
#include "json/writer.hpp"
#include "mqtt/types.hpp"

namespace tpgate::frame {

class RecordWriter {
 public:
  // Starts a frame: the header, filled in by finish().
  void begin() {
    out_.clear();
    std::memset(out_.grow(kHeaderSize), 0, kHeaderSize);
  }

  void publication(std::string_view topic, std::string_view payload, std::uint8_t qos, bool retain) {
    put_u8(kPublication);
    put_u8(static_cast<std::uint8_t>((qos & 3U) | (retain ? 4U : 0U)));
    put_u16(0);
    put_u32(static_cast<std::uint32_t>(topic.size()));
    put_u32(static_cast<std::uint32_t>(payload.size()));
    out_.append(topic.data(), topic.size());
    out_.append(payload.data(), payload.size());
  }

  // One event as JSON text (an object, in the shape the JS API reads).
  void json_event(std::string_view text) {
    put_json_event(out_.grow(kJsonEventHead), static_cast<std::uint32_t>(text.size()));
    out_.append(text.data(), text.size());
  }

  // One event whose text `write(json::Writer&)` writes.
  template <class Write>
  void json_event_with(Write&& write) {
    text_.clear();
    {
      json::Writer w(text_);
      write(w);
    }
    json_event(text_);
  }

  // Fills in the header (deadline in ms, none: -1); returns the frame, valid
  // until the next begin().
  const std::uint8_t* finish(std::optional<std::int64_t> deadline) {
    put_header(out_.data(), 0, 0, deadline ? static_cast<double>(*deadline) : -1.0,
               static_cast<std::uint32_t>(out_.size()));
    return out_.data();
  }

 protected:
  void put_u8(std::uint8_t v) { *out_.grow(1) = v; }
  void put_u16(std::uint16_t v) { std::memcpy(out_.grow(2), &v, 2); }
  void put_u32(std::uint32_t v) { std::memcpy(out_.grow(4), &v, 4); }
  void put_f64(double v) { std::memcpy(out_.grow(8), &v, 8); }
  void put_string(std::string_view s) {
    put_u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }

  Buffer out_;

 private:
  std::string text_;  // scratch of json_event_with()
};

// The members of an error as the JS API reads them: "code", "reason",
// "message" and, beside an MQTT outcome, "kind" ("argument" | "payload") and
// "path" (where in the options or the payload).
inline void error_members(json::Writer& w, const mqtt::Error& error) {
  const auto code = static_cast<std::uint8_t>(error.reason);
  w.key("code").integer(code).key("reason").string(mqtt::reason_code_name(code)).key("message").string(error.message);
  if (error.kind != mqtt::ErrorKind::Mqtt) {
    w.key("kind").string(error.kind == mqtt::ErrorKind::Argument ? "argument" : "payload").key("path").string(error.path);
  }
}

}  // namespace tpgate::frame
