#include "gateway/payload_parse.hpp"

#include <type_traits>
#include <utility>

#include "json/read.hpp"
#include "json/scan.hpp"

namespace tpgate::gateway {
namespace {

mqtt::Error parse_error(const std::string& path, std::string_view what) {
  return mqtt::payload_error(mqtt::ReasonCode::PayloadFormatInvalid, path, std::string(what));
}

std::string member(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

struct NodeParser {
  PayloadKind kind;
  const PayloadLimits& limits;
  std::vector<std::string>& warnings;
  bool warned_depth = false;

  // J is `const json` (bodies are copied into the tree) or `json` (moved out of
  // a value the caller gives up: no second copy of every body).
  template <class J>
  mqtt::Status parse(J& value, const std::string& path, int depth, GatewayNode& out) {
    constexpr bool kMove = !std::is_const_v<J>;
    if (depth > limits.max_sub_gateway_depth) {
      return parse_error(path, "sub-gateway nesting of " + std::to_string(depth) +
                                   " levels exceeds the limit of " +
                                   std::to_string(limits.max_sub_gateway_depth));
    }
    if (depth > limits.warn_sub_gateway_depth && !warned_depth) {
      warned_depth = true;
      warnings.push_back(path + ": sub-gateway nesting of " + std::to_string(depth) +
                         " levels; the ThingsPanel backend reads only " +
                         std::to_string(limits.warn_sub_gateway_depth));
    }
    if (!value.is_object()) return parse_error(path, "expected an object");
    for (auto&& [key, item] : value.items()) {
      const std::string at = member(path, key);
      if (key == "gateway_data") {
        if (auto st = validate_body(kind, item, at); !st) return st;
        if constexpr (kMove) {
          out.gateway_data = std::move(item);
        } else {
          out.gateway_data = item;
        }
      } else if (key == "sub_device_data") {
        if (!item.is_object()) return parse_error(at, "expected an object keyed by sub_device_address");
        for (auto&& [address, body] : item.items()) {
          const std::string device_at = member(at, address);
          if (address.empty()) return parse_error(at, "empty sub_device_address");
          if (auto st = validate_body(kind, body, device_at); !st) return st;
          if constexpr (kMove) {
            out.sub_device_data.push_back(SubDevice{address, std::move(body)});
          } else {
            out.sub_device_data.push_back(SubDevice{address, body});
          }
        }
      } else if (key == "sub_gateway_data") {
        if (!item.is_object()) return parse_error(at, "expected an object keyed by sub-gateway address");
        for (auto&& [address, child] : item.items()) {
          if (address.empty()) return parse_error(at, "empty sub-gateway address");
          GatewayNode node;
          if (auto st = parse(child, member(at, address), depth + 1, node); !st) return st;
          out.sub_gateway_data.push_back(SubGateway{address, std::move(node)});
        }
      } else {
        // Other members are kept out of the tree; say so rather than drop them silently.
        warnings.push_back(at + ": unknown member ignored");
      }
    }
    return mqtt::ok_status();
  }
};

}  // namespace

mqtt::Result<json> parse_json_text(std::string_view text, const PayloadLimits& limits) {
  if (text.size() > limits.max_payload_bytes) {
    return mqtt::make_error(mqtt::ReasonCode::PacketTooLarge,
                            "(root): payload of " + std::to_string(text.size()) +
                                " bytes exceeds the limit of " + std::to_string(limits.max_payload_bytes));
  }
  // Refused before parsing, so hostile input cannot make the parser build it.
  if (tpgate::json::nesting_depth(text, limits.max_json_nesting) > limits.max_json_nesting) {
    return parse_error("", "JSON nesting deeper than " + std::to_string(limits.max_json_nesting));
  }
  json value = tpgate::json::parse(text);
  if (value.is_discarded()) return parse_error("", "not valid JSON");
  return value;
}

mqtt::Result<GatewayPayload> parse_gateway_payload(PayloadKind kind, std::string_view text,
                                                   const PayloadLimits& limits) {
  auto value = parse_json_text(text, limits);
  if (!value) return value.error();
  return parse_gateway_value(kind, std::move(*value), limits);
}

namespace {

template <class J>
mqtt::Result<GatewayPayload> parse_value(PayloadKind kind, J& value, const PayloadLimits& limits) {
  GatewayPayload out;
  out.kind = kind;
  if (!value.is_object()) return parse_error("", "expected a JSON object");
  if (kind == PayloadKind::AttributeGet && value.contains("keys")) {
    // Backend shape (docs/thingspanel.md#attribute-get-shape): no target, the keys are the
    // top-level gateway's.
    if (value.size() != 1) return parse_error("", "\"keys\" cannot be combined with other members");
    const json& keys = value["keys"];
    if (auto st = validate_body(kind, keys, "keys"); !st) return st.error();
    out.get_shape = AttributeGetShape::Keys;
    out.root.gateway_data = keys;
    return out;
  }
  NodeParser parser{kind, limits, out.warnings};
  if (auto st = parser.parse(value, "", 0, out.root); !st) return st.error();
  if (out.root.empty()) {
    return parse_error("", "no gateway_data, sub_device_data or sub_gateway_data");
  }
  return out;
}

}  // namespace

mqtt::Result<GatewayPayload> parse_gateway_value(PayloadKind kind, const json& value,
                                                 const PayloadLimits& limits) {
  return parse_value(kind, value, limits);
}

mqtt::Result<GatewayPayload> parse_gateway_value(PayloadKind kind, json&& value, const PayloadLimits& limits) {
  return parse_value(kind, value, limits);
}

json to_json(const GatewayPayload& payload) {
  if (payload.kind == PayloadKind::AttributeGet && payload.get_shape == AttributeGetShape::Keys) {
    return json{{"keys", payload.root.gateway_data.value_or(json::array())}};
  }
  return to_json(payload.root);
}

}  // namespace tpgate::gateway
