#include "emulator/identity.hpp"

#include <charconv>

namespace tpgate::emulator {
namespace {

// Parses the placeholder starting at text[at] == '{'. Returns its length (0: invalid) and
// the zero-padding width (0: none; -1: {device_number}).
std::size_t placeholder(std::string_view text, std::size_t at, int& width) {
  const auto close = text.find('}', at);
  if (close == std::string_view::npos) return 0;
  const std::string_view inner = text.substr(at + 1, close - at - 1);
  if (inner == "i") {
    width = 0;
  } else if (inner == "device_number") {
    width = -1;
  } else if (inner.size() > 2 && inner.substr(0, 2) == "i:") {
    int n = 0;
    const auto* end = inner.data() + inner.size();
    auto r = std::from_chars(inner.data() + 2, end, n);
    if (r.ec != std::errc() || r.ptr != end || n < 1 || n > 20) return 0;
    width = n;
  } else {
    return 0;
  }
  return close - at + 1;
}

}  // namespace

std::string check_template(std::string_view text, bool allow_device_number) {
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (text[at] == '}') return "a '}' without its '{'";
    if (text[at] != '{') continue;
    int width = 0;
    const std::size_t n = placeholder(text, at, width);
    if (n == 0) return "unknown placeholder at offset " + std::to_string(at) + " (use {i}, {i:N} or {device_number})";
    if (width == -1 && !allow_device_number) return "{device_number} cannot be used in the device_number itself";
    at += n - 1;
  }
  return {};
}

bool template_uses_index(std::string_view text) {
  for (std::size_t at = text.find('{'); at != std::string_view::npos; at = text.find('{', at + 1)) {
    int width = 0;
    if (placeholder(text, at, width) != 0 && width >= 0) return true;
  }
  return false;
}

std::string expand_template(std::string_view text, std::uint64_t i, std::string_view device_number) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t at = 0; at < text.size(); ++at) {
    int width = 0;
    const std::size_t n = text[at] == '{' ? placeholder(text, at, width) : 0;
    if (n == 0) {
      out += text[at];
      continue;
    }
    if (width == -1) {
      out += device_number;
    } else {
      char digits[24];
      auto r = std::to_chars(digits, digits + sizeof digits, i);
      const auto len = static_cast<int>(r.ptr - digits);
      for (int pad = len; pad < width; ++pad) out += '0';
      out.append(digits, r.ptr);
    }
    at += n - 1;
  }
  return out;
}

GatewayIdentity gateway_identity(const Scenario& scenario, std::uint32_t global_index) {
  const GatewaysSpec& g = scenario.gateways;
  const std::uint64_t i = g.first_index + global_index;
  GatewayIdentity id;
  id.global_index = global_index;
  if (!g.credentials.empty()) {
    const Credential& c = g.credentials[global_index % g.credentials.size()];
    id.device_number = expand_template(c.device_number, i, {});
    id.client_id = expand_template(c.client_id, i, id.device_number);
    id.username = expand_template(c.username, i, id.device_number);
    if (c.password) id.password = expand_template(*c.password, i, id.device_number);
    return id;
  }
  id.device_number = expand_template(g.device_number, i, {});
  id.client_id = expand_template(g.client_id, i, id.device_number);
  id.username = expand_template(g.username, i, id.device_number);
  if (g.password) id.password = expand_template(*g.password, i, id.device_number);
  return id;
}

bool valid_topic_level(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c == '/' || c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

}  // namespace tpgate::emulator
