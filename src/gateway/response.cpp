#include "gateway/response.hpp"

#include <limits>
#include <utility>

#include "json/read.hpp"

namespace tpgate::gateway {
namespace {

// A ts of 10^11 or more cannot be seconds (year 5138); it is milliseconds (docs/thingspanel.md#timestamps).
constexpr double kMillisecondsFrom = 1e11;

std::int64_t to_seconds(const tpgate::json::Value& ts) {
  double value = 0;
  if (ts.is_number_unsigned()) {
    value = static_cast<double>(ts.get<std::uint64_t>());
  } else if (ts.is_number_integer()) {
    value = static_cast<double>(ts.get<std::int64_t>());
  } else {
    value = ts.get<double>();
  }
  if (value >= kMillisecondsFrom || value <= -kMillisecondsFrom) value /= 1000;
  // Clamp before converting: a double past the int64 range is undefined to convert.
  constexpr double kLimit = 9.2e18;
  if (value > kLimit) value = kLimit;
  if (value < -kLimit) value = -kLimit;
  return static_cast<std::int64_t>(value);
}

std::string_view type_name(const tpgate::json::Value& j) {
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "a number";
}

}  // namespace

Response success_response(std::int64_t now_ms, std::optional<std::string> method) {
  Response r;
  r.success = true;
  r.message = "success";
  r.ts = response_ts_from_ms(now_ms);
  r.method = std::move(method);
  return r;
}

Response failure_response(std::string errcode, std::string message, std::int64_t now_ms,
                          std::optional<std::string> method) {
  Response r;
  r.success = false;
  r.errcode = std::move(errcode);
  r.message = std::move(message);
  r.ts = response_ts_from_ms(now_ms);
  r.method = std::move(method);
  return r;
}

Response platform_failure_ack(std::string message, std::int64_t now_ms) {
  return failure_response(std::string(kPlatformAckErrcode), std::move(message), now_ms);
}

std::string build_response(const Response& response) {
  // ordered_json keeps the spec's key order (docs/thingspanel.md#flat-responses).
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  // A JSON number, never a string (docs/thingspanel.md#flat-responses).
  j["result"] = response.success ? 0 : 1;
  if (!response.success) j["errcode"] = response.errcode;
  j["message"] = response.message;
  j["ts"] = response.ts;
  if (response.method) j["method"] = *response.method;
  // With JSON_NOEXCEPTION a throwing dump would abort: replace bad UTF-8 instead.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

ParsedResponse parse_response(std::string_view payload) {
  ParsedResponse out;
  out.response.success = false;
  const tpgate::json::Value j = tpgate::json::parse(payload);
  if (j.is_discarded()) {
    out.problem = "payload is not JSON";
    return out;
  }
  if (!j.is_object()) {
    out.problem = "payload is " + std::string(type_name(j)) + ", not an object";
    return out;
  }
  if (auto it = j.find("errcode"); it != j.end()) {
    out.response.errcode = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (auto it = j.find("message"); it != j.end() && it->is_string()) out.response.message = it->get<std::string>();
  if (auto it = j.find("method"); it != j.end() && it->is_string()) out.response.method = it->get<std::string>();
  if (auto it = j.find("ts"); it != j.end() && it->is_number()) {
    out.response.ts = to_seconds(*it);
    out.has_ts = true;
  }
  const auto result = j.find("result");
  if (result == j.end()) {
    out.problem = "result is missing";
  } else if (!result->is_number()) {
    // docs/thingspanel.md#flat-responses: `result` is a JSON number; "0" as a string is a failure.
    out.problem = "result is " + std::string(type_name(*result)) + ", not a number";
  } else {
    const double value = result->is_number_float() ? result->get<double>()
                         : result->is_number_unsigned() ? static_cast<double>(result->get<std::uint64_t>())
                                                        : static_cast<double>(result->get<std::int64_t>());
    out.result = value;
    out.response.success = value == 0;
  }
  return out;
}

}  // namespace tpgate::gateway
