// What one device's body looks like in each kind of gateway message, how the spec tells
// real-time from historical bodies ("Format Recognition" in the seed spec), and typed views
// of a validated body. Timestamps come out in milliseconds (docs/thingspanel.md#timestamps).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/payload_tree.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway {

enum class PayloadKind {
  Telemetry,     // gateway/telemetry: key/values object, or array of {"ts","values"}
  Attributes,    // gateway/attributes/{message_id}: key/values object
  Event,         // gateway/event/{message_id}: {"method","params"}, or array of {"ts","method","params"}
  Control,       // gateway/telemetry/control/{dn}: key/values object
  AttributeSet,  // gateway/attributes/set/{dn}/{message_id}: key/values object
  AttributeGet,  // gateway/attributes/get/{dn}: array of attribute keys
  Command,       // gateway/command/{dn}/{message_id}: {"method","params"}
};

std::string_view payload_kind_name(PayloadKind kind);

// Spec "Format Recognition": an object is real-time, an array historical.
enum class BodyFormat { RealTime, Historical };
BodyFormat body_format(const json& body);

// Checks one device body for `kind`; `path` is where the body sits in the message
// ("sub_device_data.sensor_001") and prefixes every error message.
mqtt::Status validate_body(PayloadKind kind, const json& body, const std::string& path);

// A timestamp below 10^11 is in seconds (10^11 s is the year 5138; 10^11 ms is 1973),
// anything else in milliseconds; the result is milliseconds.
std::int64_t timestamp_to_ms(std::int64_t ts);
// A "ts" member: a non-negative integer, in seconds or milliseconds; returns milliseconds.
mqtt::Result<std::int64_t> parse_timestamp(const json& ts, const std::string& path);

// Typed views of a body that passed validate_body (a body that did not gives empty views).
struct TelemetryRecord {
  std::optional<std::int64_t> ts_ms;  // absent for a real-time body
  json values;                        // object of key -> number/string/boolean/null
  friend bool operator==(const TelemetryRecord&, const TelemetryRecord&) = default;
};
std::vector<TelemetryRecord> telemetry_records(const json& body);
// The same, moving the values out of `body`.
std::vector<TelemetryRecord> telemetry_records(json&& body);

struct EventRecord {
  std::optional<std::int64_t> ts_ms;  // absent for a real-time event
  std::string method;
  json params = json::object();
  friend bool operator==(const EventRecord&, const EventRecord&) = default;
};
std::vector<EventRecord> event_records(const json& body);

struct CommandCall {
  std::string method;
  json params = json::object();
  friend bool operator==(const CommandCall&, const CommandCall&) = default;
};
CommandCall command_call(const json& body);

// The keys of an attribute get body; empty means every attribute (docs/thingspanel.md#attribute-get-shape).
std::vector<std::string> attribute_keys(const json& body);

// Builders: bodies in the shapes above, timestamps written in milliseconds.
json historical_telemetry_body(const std::vector<TelemetryRecord>& records);
json event_body(const EventRecord& event);  // an object, with "ts" only if ts_ms is set
json historical_event_body(const std::vector<EventRecord>& events);
json command_body(const CommandCall& call);
json attribute_keys_body(const std::vector<std::string>& keys);

}  // namespace tpgate::gateway
