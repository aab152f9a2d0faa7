// Responses and acks (docs/thingspanel.md#flat-responses): a flat JSON object whose
// `result` is a number, 0 for success. The same shape answers commands and
// attribute sets (gateway -> platform) and acks attribute and event reports
// (platform -> gateway).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tpgate::gateway {

// The errcode the ThingsPanel backend puts in its own failure acks (no method).
inline constexpr std::string_view kPlatformAckErrcode = "000";

struct Response {
  bool success = true;          // "result": 0, anything else is failure
  std::string errcode;          // failure only ("INVALID_PARAM", "000", ...)
  std::string message;          // "success" on success
  std::int64_t ts = 0;          // seconds (docs/thingspanel.md#timestamps: response ts is seconds)
  std::optional<std::string> method;  // the command's method when answering a command
  friend bool operator==(const Response&, const Response&) = default;
};

// docs/thingspanel.md#timestamps: responses carry seconds; the session's clock is milliseconds.
inline std::int64_t response_ts_from_ms(std::int64_t now_ms) {
  return now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
}

// {"result":0,"message":"success","ts":<s>} (+ "method" when answering a command).
Response success_response(std::int64_t now_ms, std::optional<std::string> method = std::nullopt);
// {"result":1,"errcode":...,"message":...,"ts":<s>,"method":...}; method only when answering a command.
Response failure_response(std::string errcode, std::string message, std::int64_t now_ms,
                          std::optional<std::string> method = std::nullopt);
// The platform's own failure ack: errcode "000", no method.
Response platform_failure_ack(std::string message, std::int64_t now_ms);

// Serialises with the keys in the order the spec writes them: result, errcode
// (failure), message, ts, method (when set). Invalid UTF-8 in a string is
// replaced by U+FFFD rather than failing (nothing may throw here).
std::string build_response(const Response& response);

// What a received response payload says. Never fails: a payload that is not a
// well-formed response still answers the request, as a failure (docs/thingspanel.md#flat-responses),
// with `problem` saying why ("payload is not JSON", "result is a string, not a
// number", ...). `problem` is empty for a well-formed response.
struct ParsedResponse {
  Response response;
  std::optional<double> result;  // the numeric result as sent, when it was a number
  bool has_ts = false;           // whether the payload carried a numeric ts
  std::string problem;
};

// ts: a value of 10^11 or more is taken as milliseconds and turned into seconds
// (docs/thingspanel.md#timestamps: peers that send the event-style millisecond ts still parse).
ParsedResponse parse_response(std::string_view payload);

}  // namespace tpgate::gateway
