#include "gateway/payload_body.hpp"

#include <utility>

namespace tpgate::gateway {
namespace {

mqtt::Error body_error(const std::string& path, std::string_view what) {
  return mqtt::payload_error(mqtt::ReasonCode::PayloadFormatInvalid, path, std::string(what));
}

std::string member(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

bool is_scalar(const json& v) { return v.is_number() || v.is_string() || v.is_boolean() || v.is_null(); }

// Telemetry and control values are single readings; nested values have no meaning there.
mqtt::Status validate_readings(const json& values, const std::string& path) {
  if (!values.is_object()) return body_error(path, "expected an object of key/values");
  for (const auto& [key, value] : values.items()) {
    if (key.empty()) return body_error(path, "empty key");
    if (!is_scalar(value)) return body_error(member(path, key), "expected a number, string, boolean or null");
  }
  return mqtt::ok_status();
}

mqtt::Status validate_key_values(const json& values, const std::string& path) {
  if (!values.is_object()) return body_error(path, "expected an object of key/values");
  for (const auto& [key, value] : values.items()) {
    if (key.empty()) return body_error(path, "empty key");
  }
  return mqtt::ok_status();
}

mqtt::Status validate_method_params(const json& body, const std::string& path) {
  const auto method = body.find("method");
  if (method == body.end()) return body_error(path, "missing \"method\"");
  if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
    return body_error(member(path, "method"), "expected a non-empty string");
  }
  const auto params = body.find("params");
  if (params != body.end() && !params->is_object() && !params->is_null()) {
    return body_error(member(path, "params"), "expected an object");
  }
  return mqtt::ok_status();
}

mqtt::Status validate_telemetry(const json& body, const std::string& path) {
  if (body.is_object()) return validate_readings(body, path);
  if (!body.is_array()) return body_error(path, "expected an object of key/values or an array of {\"ts\",\"values\"}");
  for (std::size_t i = 0; i < body.size(); ++i) {
    const json& record = body[i];
    const std::string at = element(path, i);
    if (!record.is_object()) return body_error(at, "expected an object {\"ts\",\"values\"}");
    const auto ts = record.find("ts");
    if (ts == record.end()) return body_error(at, "missing \"ts\"");
    if (auto t = parse_timestamp(*ts, member(at, "ts")); !t) return t.error();
    const auto values = record.find("values");
    if (values == record.end()) return body_error(at, "missing \"values\"");
    if (auto st = validate_readings(*values, member(at, "values")); !st) return st;
  }
  return mqtt::ok_status();
}

mqtt::Status validate_event(const json& body, const std::string& path) {
  if (body.is_object()) {
    // Spec: a real-time event has no "ts"; one with a ts belongs in the historical array.
    if (body.contains("ts")) return body_error(member(path, "ts"), "a real-time event has no ts (historical events are an array)");
    return validate_method_params(body, path);
  }
  if (!body.is_array()) return body_error(path, "expected an event object or an array of {\"ts\",\"method\",\"params\"}");
  for (std::size_t i = 0; i < body.size(); ++i) {
    const json& record = body[i];
    const std::string at = element(path, i);
    if (!record.is_object()) return body_error(at, "expected an object {\"ts\",\"method\",\"params\"}");
    const auto ts = record.find("ts");
    if (ts == record.end()) return body_error(at, "missing \"ts\"");
    if (auto t = parse_timestamp(*ts, member(at, "ts")); !t) return t.error();
    if (auto st = validate_method_params(record, at); !st) return st;
  }
  return mqtt::ok_status();
}

mqtt::Status validate_attribute_get(const json& body, const std::string& path) {
  if (!body.is_array()) return body_error(path, "expected an array of attribute keys");
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (!body[i].is_string() || body[i].get_ref<const std::string&>().empty()) {
      return body_error(element(path, i), "expected a non-empty string");
    }
  }
  return mqtt::ok_status();
}

json params_or_empty(const json& body) {
  const auto params = body.find("params");
  return params == body.end() || params->is_null() ? json::object() : *params;
}

std::optional<std::int64_t> ts_of(const json& record) {
  const auto ts = record.find("ts");
  if (ts == record.end()) return std::nullopt;
  auto ms = parse_timestamp(*ts, "ts");
  return ms ? std::optional<std::int64_t>(*ms) : std::nullopt;
}

std::string method_of(const json& body) {
  const auto method = body.find("method");
  return method != body.end() && method->is_string() ? method->get<std::string>() : std::string();
}

}  // namespace

std::string_view payload_kind_name(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::Telemetry: return "telemetry";
    case PayloadKind::Attributes: return "attributes";
    case PayloadKind::Event: return "event";
    case PayloadKind::Control: return "control";
    case PayloadKind::AttributeSet: return "attribute set";
    case PayloadKind::AttributeGet: return "attribute get";
    case PayloadKind::Command: return "command";
  }
  return "unknown";
}

BodyFormat body_format(const json& body) {
  return body.is_array() ? BodyFormat::Historical : BodyFormat::RealTime;
}

mqtt::Status validate_body(PayloadKind kind, const json& body, const std::string& path) {
  switch (kind) {
    case PayloadKind::Telemetry: return validate_telemetry(body, path);
    case PayloadKind::Control: return validate_readings(body, path);
    case PayloadKind::Attributes:
    case PayloadKind::AttributeSet: return validate_key_values(body, path);
    case PayloadKind::Event: return validate_event(body, path);
    case PayloadKind::Command:
      if (!body.is_object()) return body_error(path, "expected an object {\"method\",\"params\"}");
      return validate_method_params(body, path);
    case PayloadKind::AttributeGet: return validate_attribute_get(body, path);
  }
  return body_error(path, "unknown payload kind");
}

std::int64_t timestamp_to_ms(std::int64_t ts) {
  constexpr std::int64_t kSecondsBelow = 100'000'000'000;  // 10^11
  return ts < kSecondsBelow ? ts * 1000 : ts;
}

mqtt::Result<std::int64_t> parse_timestamp(const json& ts, const std::string& path) {
  if (ts.is_number_unsigned()) {
    const auto v = ts.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return body_error(path, "timestamp out of range");
    return timestamp_to_ms(static_cast<std::int64_t>(v));
  }
  if (ts.is_number_integer()) {
    const auto v = ts.get<std::int64_t>();
    if (v < 0) return body_error(path, "expected a non-negative integer timestamp");
    return timestamp_to_ms(v);
  }
  return body_error(path, "expected an integer timestamp (seconds or milliseconds)");
}

std::vector<TelemetryRecord> telemetry_records(const json& body) {
  std::vector<TelemetryRecord> out;
  if (body.is_object()) {
    out.push_back(TelemetryRecord{std::nullopt, body});
  } else if (body.is_array()) {
    for (const json& record : body) {
      if (!record.is_object()) continue;
      const auto values = record.find("values");
      out.push_back(TelemetryRecord{ts_of(record), values == record.end() ? json::object() : *values});
    }
  }
  return out;
}

std::vector<TelemetryRecord> telemetry_records(json&& body) {
  std::vector<TelemetryRecord> out;
  if (body.is_object()) {
    out.push_back(TelemetryRecord{std::nullopt, std::move(body)});
  } else if (body.is_array()) {
    for (json& record : body) {
      if (!record.is_object()) continue;
      const auto values = record.find("values");
      out.push_back(TelemetryRecord{ts_of(record), values == record.end() ? json::object() : std::move(*values)});
    }
  }
  return out;
}

std::vector<EventRecord> event_records(const json& body) {
  std::vector<EventRecord> out;
  if (body.is_object()) {
    out.push_back(EventRecord{std::nullopt, method_of(body), params_or_empty(body)});
  } else if (body.is_array()) {
    for (const json& record : body) {
      if (!record.is_object()) continue;
      out.push_back(EventRecord{ts_of(record), method_of(record), params_or_empty(record)});
    }
  }
  return out;
}

CommandCall command_call(const json& body) {
  if (!body.is_object()) return CommandCall{};
  return CommandCall{method_of(body), params_or_empty(body)};
}

std::vector<std::string> attribute_keys(const json& body) {
  std::vector<std::string> out;
  if (!body.is_array()) return out;
  for (const json& key : body) {
    if (key.is_string()) out.push_back(key.get<std::string>());
  }
  return out;
}

json historical_telemetry_body(const std::vector<TelemetryRecord>& records) {
  json out = json::array();
  for (const auto& r : records) {
    out.push_back(json{{"ts", timestamp_to_ms(r.ts_ms.value_or(0))}, {"values", r.values}});
  }
  return out;
}

json event_body(const EventRecord& event) {
  json out = {{"method", event.method}, {"params", event.params}};
  if (event.ts_ms) out["ts"] = timestamp_to_ms(*event.ts_ms);
  return out;
}

json historical_event_body(const std::vector<EventRecord>& events) {
  json out = json::array();
  for (const auto& e : events) {
    EventRecord stamped = e;
    stamped.ts_ms = e.ts_ms.value_or(0);
    out.push_back(event_body(stamped));
  }
  return out;
}

json command_body(const CommandCall& call) {
  return json{{"method", call.method}, {"params", call.params}};
}

json attribute_keys_body(const std::vector<std::string>& keys) {
  json out = json::array();
  for (const auto& k : keys) out.push_back(k);
  return out;
}

}  // namespace tpgate::gateway
