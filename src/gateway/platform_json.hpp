// The platform role's outputs as one JSON text, for a host that parses JSON
// faster than it can take one object per field across a boundary (the wasm
// build: V8's JSON.parse of one text beats building each event through
// Embind by an order of magnitude). Every event is written in the shape the
// JS API emits it, so the host hands it on as parsed:
//
//   {"publications":[{"topic","payload","qos","retain"}],
//    "events":[{"type":"warning","event":{"topic","gateway","message"}}, ...],
//    "gateway":"gw-1",
//    "telemetry":[[["gateway_001"],"sensor_101",{"temperature":27.5},1700000000000], ...],
//    "deadline": ms | null}
//
// "telemetry" is the compact form of telemetry events, the bulk of the
// traffic: [subGateways, subDevice | null, values, ts] each, all from
// "gateway" (absent when there is no telemetry); the host builds the target
// ({path, subGateways, subDevice?, name}) itself, which costs less than
// parsing it. Events keep their order: the host emits "events", then
// "telemetry". When a telemetry event would come before another kind, or
// events came from several gateways (receive() does neither), every event
// goes in "events", telemetry as {"type":"telemetry","event":{...}}.
//
// type / event:
//   telemetry         {gateway, target, values, ts}
//   attributes        {gateway, target, values, ts, messageId}
//   event             {gateway, target, method, params, ts, messageId}
//   status            {deviceId, online}
//   warning           {topic, gateway, message}
// and, with their fields beside "type" (the host turns them into promises):
//   requestCompleted  token, success, result (number|null), errcode, message, ts,
//                     method (string|null), problem, rttMs, report (JSON|null)
//   requestTimedOut   token, message
//   protocolError     topic, gateway, error: {code, reason, message}
// A target is {"path":[...sub-gateways, sub-device?],"subGateways":[...],
// "subDevice":"..." (only for a sub-device),"name":"gateway_001/sensor_101"}.
// Values, params and reports are the JSON as received (invalid UTF-8 written
// as U+FFFD); strings are escaped per RFC 8259.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/platform_role.hpp"

namespace tpgate::gateway::platform {

// Appends to `out` (which may hold capacity from a previous call).
void append_outputs_json(std::string& out, const Outputs& outputs, std::optional<std::int64_t> deadline);

inline std::string outputs_json(const Outputs& outputs, std::optional<std::int64_t> deadline) {
  std::string out;
  append_outputs_json(out, outputs, deadline);
  return out;
}

}  // namespace tpgate::gateway::platform
