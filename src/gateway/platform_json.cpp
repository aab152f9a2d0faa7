#include "gateway/platform_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <variant>

namespace tpgate::gateway::platform {
namespace {

// Appends into a std::string through its operator[] (inlined), growing it in
// steps: libc++'s push_back/append are out-of-line calls in wasm, and this
// writer emits a character at a time. finish() trims the string.
class Buffer {
 public:
  explicit Buffer(std::string& s) : s_(s), n_(s.size()) {}
  void put(char c) {
    if (n_ == s_.size()) grow(1);
    s_[n_++] = c;
  }
  void put(std::string_view text) {
    if (s_.size() - n_ < text.size()) grow(text.size());
    std::memcpy(&s_[n_], text.data(), text.size());
    n_ += text.size();
  }
  char& back() { return s_[n_ - 1]; }
  bool ends_with(char c) const { return n_ > 0 && s_[n_ - 1] == c; }
  void finish() { s_.resize(n_); }

 private:
  void grow(std::size_t at_least) { s_.resize(std::max(s_.size() * 2, n_ + at_least + 256)); }
  std::string& s_;
  std::size_t n_;
};

// "text" with quotes and the escapes RFC 8259 requires. Bytes >= 0x80 go
// through as they are: the host decodes the whole text as UTF-8 (TextDecoder
// turns an invalid sequence into U+FFFD, as it did for each string before;
// JSON values are valid UTF-8 already, the parsers checked them).
void append_escaped(Buffer& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.put(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"': out.put("\\\""); break;
      case '\\': out.put("\\\\"); break;
      case '\n': out.put("\\n"); break;
      case '\r': out.put("\\r"); break;
      case '\t': out.put("\\t"); break;
      case '\b': out.put("\\b"); break;
      case '\f': out.put("\\f"); break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.put(std::string_view(escape, sizeof escape));
      }
    }
  }
  out.put(text.substr(plain));
}

void append_string(Buffer& out, std::string_view text) {
  out.put('"');
  append_escaped(out, text);
  out.put('"');
}

template <class Int>
void append_int(Buffer& out, Int value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.put(std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
}

// The text json::dump() gives (numbers by the same shortest round-trip
// algorithm, non-finite numbers as null), without its per-character output.
void append_json(Buffer& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      out.put('{');
      for (auto it = value.begin(); it != value.end(); ++it) {
        append_string(out, it.key());
        out.put(':');
        append_json(out, it.value());
        out.put(',');
      }
      if (out.ends_with(',')) out.back() = '}';
      else out.put('}');
      return;
    }
    case json::value_t::array: {
      out.put('[');
      for (const json& item : value) {
        append_json(out, item);
        out.put(',');
      }
      if (out.ends_with(',')) out.back() = ']';
      else out.put(']');
      return;
    }
    case json::value_t::string: append_string(out, value.get_ref<const std::string&>()); return;
    case json::value_t::boolean: out.put(value.get<bool>() ? std::string_view("true") : std::string_view("false")); return;
    case json::value_t::number_integer: append_int(out, value.get<json::number_integer_t>()); return;
    case json::value_t::number_unsigned: append_int(out, value.get<json::number_unsigned_t>()); return;
    case json::value_t::number_float: {
      const double x = value.get<double>();
      if (!std::isfinite(x)) {
        out.put("null");
        return;
      }
      char buffer[64];
      char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof buffer, x);
      out.put(std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
      return;
    }
    case json::value_t::null: out.put("null"); return;
    case json::value_t::binary:
    case json::value_t::discarded:
      // Never parsed from JSON text; dump() says what it says.
      out.put(value.dump(-1, ' ', false, json::error_handler_t::replace));
      return;
  }
}

class Writer {
 public:
  explicit Writer(Buffer& out) : out_(out) {}

  void key(std::string_view name) {
    // Member names here are ASCII identifiers: no escaping needed.
    out_.put('"');
    out_.put(name);
    out_.put("\":");
  }
  void string(std::string_view name, std::string_view value) {
    key(name);
    append_string(out_, value);
    out_.put(',');
  }
  void integer(std::string_view name, std::int64_t value) {
    key(name);
    append_int(out_, value);
    out_.put(',');
  }
  void boolean(std::string_view name, bool value) {
    key(name);
    out_.put(value ? std::string_view("true,") : std::string_view("false,"));
  }
  void value(std::string_view name, const json& value) {
    key(name);
    append_json(out_, value);
    out_.put(',');
  }
  void null(std::string_view name) {
    key(name);
    out_.put("null,");
  }
  void target(const Target& target) {
    key("target");
    out_.put("{\"path\":[");
    for (const auto& gw : target.sub_gateways) {
      append_string(out_, gw);
      out_.put(',');
    }
    if (target.sub_device) {
      append_string(out_, *target.sub_device);
      out_.put(',');
    }
    close(']');
    out_.put(",\"subGateways\":[");
    for (const auto& gw : target.sub_gateways) {
      append_string(out_, gw);
      out_.put(',');
    }
    close(']');
    out_.put(',');
    if (target.sub_device) string("subDevice", *target.sub_device);
    // Target::to_string(), written in place.
    key("name");
    out_.put('"');
    if (target.sub_gateways.empty() && !target.sub_device) out_.put("gateway");
    bool first = true;
    for (const auto& gw : target.sub_gateways) {
      if (!first) out_.put('/');
      append_escaped(out_, gw);
      first = false;
    }
    if (target.sub_device) {
      if (!first) out_.put('/');
      append_escaped(out_, *target.sub_device);
    }
    out_.put('"');
    out_.put('}');
    out_.put(',');
  }
  void open_event(std::string_view type) {
    out_.put("{\"type\":");
    append_string(out_, type);
    out_.put(",\"event\":{");
  }
  void open_flat(std::string_view type) {
    out_.put("{\"type\":");
    append_string(out_, type);
    out_.put(',');
  }
  // Replaces a trailing ',' (or appends) with `bracket`.
  void close(char bracket) {
    if (out_.ends_with(',')) {
      out_.back() = bracket;
    } else {
      out_.put(bracket);
    }
  }
  Buffer& out() { return out_; }

  // gateway, target, values, ts and the closing '}'.
  void telemetry_fields(const TelemetryReceived& e) {
    string("gateway", e.gateway);
    target(e.target);
    value("values", e.values);
    integer("ts", e.ts_ms);
    close('}');
  }

 private:
  Buffer& out_;
};

struct EventWriter {
  Writer& w;

  void operator()(const TelemetryReceived& e) const {
    w.open_event("telemetry");
    w.telemetry_fields(e);
    w.out().put('}');
  }
  void operator()(const AttributesReceived& e) const {
    w.open_event("attributes");
    w.string("gateway", e.gateway);
    w.target(e.target);
    w.value("values", e.values);
    w.integer("ts", e.ts_ms);
    w.string("messageId", e.message_id);
    w.close('}');
    w.out().put('}');
  }
  void operator()(const EventReceived& e) const {
    w.open_event("event");
    w.string("gateway", e.gateway);
    w.target(e.target);
    w.string("method", e.method);
    w.value("params", e.params);
    w.integer("ts", e.ts_ms);
    w.string("messageId", e.message_id);
    w.close('}');
    w.out().put('}');
  }
  void operator()(const StatusChanged& e) const {
    w.open_event("status");
    w.string("deviceId", e.device_id);
    w.boolean("online", e.online);
    w.close('}');
    w.out().put('}');
  }
  void operator()(const Warning& e) const {
    w.open_event("warning");
    w.string("topic", e.topic);
    w.string("gateway", e.gateway);
    w.string("message", e.message);
    w.close('}');
    w.out().put('}');
  }
  void operator()(const RequestCompleted& e) const {
    const auto& r = e.response.response;
    w.open_flat("requestCompleted");
    w.integer("token", static_cast<std::int64_t>(e.token));
    w.boolean("success", r.success);
    if (e.response.result) {
      w.value("result", json(*e.response.result));
    } else {
      w.null("result");
    }
    w.string("errcode", r.errcode);
    w.string("message", r.message);
    w.integer("ts", r.ts);
    if (r.method) {
      w.string("method", *r.method);
    } else {
      w.null("method");
    }
    w.string("problem", e.response.problem);
    w.integer("rttMs", e.rtt_ms);
    if (e.report) {
      w.value("report", *e.report);
    } else {
      w.null("report");
    }
    w.close('}');
  }
  void operator()(const RequestTimedOut& e) const {
    w.open_flat("requestTimedOut");
    w.integer("token", static_cast<std::int64_t>(e.token));
    w.string("message", e.message);
    w.close('}');
  }
  void operator()(const ProtocolError& e) const {
    w.open_flat("protocolError");
    w.string("topic", e.topic);
    w.string("gateway", e.gateway);
    w.key("error");
    w.out().put('{');
    const auto code = static_cast<std::uint8_t>(e.error.reason);
    w.integer("code", code);
    w.string("reason", mqtt::reason_code_name(code));
    w.string("message", e.error.message);
    w.close('}');
    w.out().put('}');
  }
};

}  // namespace

void append_outputs_json(std::string& text, const Outputs& outputs, std::optional<std::int64_t> deadline) {
  Buffer out(text);
  Writer w(out);
  out.put("{\"publications\":[");
  for (const Publication& p : outputs.publications) {
    out.put('{');
    w.string("topic", p.topic);
    w.string("payload", p.payload);
    w.integer("qos", static_cast<int>(p.qos));
    w.boolean("retain", p.retain);
    w.close('}');
    out.put(',');
  }
  w.close(']');
  // Telemetry (nearly every event) goes in a compact array of its own when it
  // comes after every other event (as receive() orders them: warnings first)
  // and has one gateway (one message has one sender); the host emits "events"
  // first. Otherwise every event goes in "events".
  const auto is_telemetry = [](const PlatformEvent& e) { return std::holds_alternative<TelemetryReceived>(e); };
  auto first_telemetry = std::find_if(outputs.events.begin(), outputs.events.end(), is_telemetry);
  if (first_telemetry != outputs.events.end()) {
    const std::string& gateway = std::get<TelemetryReceived>(*first_telemetry).gateway;
    const bool compact = std::all_of(first_telemetry, outputs.events.end(), [&](const PlatformEvent& e) {
      const auto* t = std::get_if<TelemetryReceived>(&e);
      return t != nullptr && t->gateway == gateway;
    });
    if (!compact) first_telemetry = outputs.events.end();
  }
  out.put(",\"events\":[");
  for (auto it = outputs.events.begin(); it != first_telemetry; ++it) {
    std::visit(EventWriter{w}, *it);
    out.put(',');
  }
  w.close(']');
  out.put(',');
  if (first_telemetry != outputs.events.end()) {
    w.string("gateway", std::get<TelemetryReceived>(*first_telemetry).gateway);  // ends with ','
  }
  out.put("\"telemetry\":[");
  for (auto it = first_telemetry; it != outputs.events.end(); ++it) {
    const auto& e = std::get<TelemetryReceived>(*it);
    out.put("[[");
    for (const auto& gw : e.target.sub_gateways) {
      append_string(out, gw);
      out.put(',');
    }
    w.close(']');
    out.put(',');
    if (e.target.sub_device) {
      append_string(out, *e.target.sub_device);
    } else {
      out.put("null");
    }
    out.put(',');
    append_json(out, e.values);
    out.put(',');
    append_int(out, e.ts_ms);
    out.put("],");
  }
  w.close(']');
  out.put(",\"deadline\":");
  if (deadline) {
    append_int(out, *deadline);
  } else {
    out.put("null");
  }
  out.put('}');
  out.finish();
}

}  // namespace tpgate::gateway::platform
