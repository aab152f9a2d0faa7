// The gateway role's outputs as a frame of the one layout (src/frame/frame.hpp):
// publications as publication records, and every event, a report's result and
// a refused call as JSON event records in the shapes npm/src/gateway.js reads:
//   {"type":"request","id","kind","messageId","target":{"subGateways":[...],"subDevice"?},"body":<JSON>}
//   {"type":"reportAcked","token","rttMs","success","errcode","message","problem","family"}
//   {"type":"reportTimedOut","token","kind","messageId"}
//   {"type":"reportSent","token","messageId"}
//   {"type":"error","error":{"code","reason","message","kind"?,"path"?},"topic"}
//   {"type":"warning","message"}
//   {"type":"report","messageId","token":<n>|null,"warnings":[...]}  (after its publication)
//   {"type":"failure","code","reason","message","kind"?,"path"?}      (a refused call; nothing else)
// The header's deadline is the role's next ack deadline.
#pragma once

#include <cstdint>
#include <optional>

#include "frame/records.hpp"
#include "gateway/gateway_role.hpp"

namespace tpgate::gateway {

class GatewayFrame {
 public:
  void begin() { writer_.begin(); }
  void output(const GatewayOutput& output);
  void report(const Report& report);
  void failure(const mqtt::Error& error);
  // The frame (valid until the next begin()).
  const std::uint8_t* finish(std::optional<std::int64_t> deadline) { return writer_.finish(deadline); }

 private:
  void publication(const Publication& p) { writer_.publication(p.topic, p.payload, p.qos, p.retain); }

  frame::RecordWriter writer_;
};

}  // namespace tpgate::gateway
