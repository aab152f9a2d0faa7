#include "gateway/telemetry_fast.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

namespace tpgate::gateway {
namespace {

struct FastGateway;

// One gateway level as read; addresses point into the text (no escapes in them).
struct FastNode {
  std::optional<json> gateway_data;
  std::vector<std::pair<std::string_view, json>> devices;
  std::vector<FastGateway> gateways;
};

struct FastGateway {
  std::string_view address;
  FastNode node;
};

// 10^0 .. 10^22: every one exactly representable as a double.
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Every "return false" means "not for the fast path": the full parser then
// decides (and reports whatever is wrong).
class FastParser {
 public:
  FastParser(std::string_view text, const PayloadLimits& limits) : text_(text), limits_(limits) {}

  bool parse(FastNode& root) {
    skip_space();
    if (!node(root, 0, 1)) return false;
    skip_space();
    return at_end();
  }

 private:
  bool at_end() const { return i_ >= text_.size(); }
  char peek() const { return text_[i_]; }
  bool eat(char c) {
    if (at_end() || peek() != c) return false;
    ++i_;
    return true;
  }
  void skip_space() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++i_;
    }
  }
  // '{' at nesting `level` (the root object is 1), as json_nesting counts it.
  bool open(int level) {
    if (level > limits_.max_json_nesting) return false;
    if (!eat('{')) return false;
    skip_space();
    return true;
  }
  // After a member: ',' (another follows: true, more = true) or '}' (more = false).
  bool next(bool& more) {
    skip_space();
    if (eat(',')) {
      skip_space();
      more = true;
      return true;
    }
    more = false;
    return eat('}');
  }
  bool colon() {
    skip_space();
    if (!eat(':')) return false;
    skip_space();
    return true;
  }

  // A UTF-8 sequence starting with lead byte `c` at i_ (already past it), checked
  // as nlohmann's lexer checks it (RFC 3629).
  bool utf8_tail(unsigned char c) {
    auto in = [&](unsigned char lo, unsigned char hi) {
      if (at_end()) return false;
      const auto b = static_cast<unsigned char>(peek());
      if (b < lo || b > hi) return false;
      ++i_;
      return true;
    };
    if (c >= 0xC2 && c <= 0xDF) return in(0x80, 0xBF);
    if (c == 0xE0) return in(0xA0, 0xBF) && in(0x80, 0xBF);
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return in(0x80, 0xBF) && in(0x80, 0xBF);
    if (c == 0xED) return in(0x80, 0x9F) && in(0x80, 0xBF);
    if (c == 0xF0) return in(0x90, 0xBF) && in(0x80, 0xBF) && in(0x80, 0xBF);
    if (c >= 0xF1 && c <= 0xF3) return in(0x80, 0xBF) && in(0x80, 0xBF) && in(0x80, 0xBF);
    if (c == 0xF4) return in(0x80, 0x8F) && in(0x80, 0xBF) && in(0x80, 0xBF);
    return false;
  }

  // A string without escapes: its bytes are its value.
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const std::size_t start = i_;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(peek());
      ++i_;
      if (c == '"') {
        out = text_.substr(start, i_ - 1 - start);
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
      if (c >= 0x80 && !utf8_tail(c)) return false;
    }
    return false;
  }

  bool key(std::string_view& out) {
    if (!string(out) || out.empty()) return false;
    return colon();
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? typed as nlohmann types it: unsigned for a
  // non-negative integer, integer for a negative one, float with a fraction.
  // Floats only when the decimal is exact in one division (at most 15
  // significant digits, 10^22 at most): then m / 10^k is the correctly rounded
  // double strtod gives. Exponents and longer numbers take the full path.
  bool number(json& out) {
    const bool negative = eat('-');
    if (at_end()) return false;
    std::uint64_t mantissa = 0;
    int significant = 0;
    int fraction = 0;
    auto digit = [&](char c) {
      if (mantissa != 0 || c != '0') ++significant;
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    };
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (!at_end() && peek() >= '0' && peek() <= '9') {
        if (significant >= 18) return false;  // past 10^18: may not fit int64 (nlohmann then reads a float)
        digit(peek());
        ++i_;
      }
    } else {
      return false;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) return false;
    if (at_end() || peek() != '.') {
      if (negative) {
        out = json(-static_cast<json::number_integer_t>(mantissa));  // |value| < 10^18 fits
      } else {
        out = json(static_cast<json::number_unsigned_t>(mantissa));
      }
      return true;
    }
    ++i_;
    if (at_end() || peek() < '0' || peek() > '9') return false;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      if (significant >= 15 || fraction >= 22) return false;
      digit(peek());
      ++fraction;
      ++i_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) return false;
    const double value = static_cast<double>(mantissa) / kPowersOfTen[fraction];
    out = json(static_cast<json::number_float_t>(negative ? -value : value));
    return true;
  }

  bool literal(std::string_view word) {
    if (text_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool scalar(json& out) {
    if (at_end()) return false;
    switch (peek()) {
      case '"': {
        std::string_view s;
        if (!string(s)) return false;
        out = json(std::string(s));
        return true;
      }
      case 't': out = json(true); return literal("true");
      case 'f': out = json(false); return literal("false");
      case 'n': out = json(nullptr); return literal("null");
      default: return number(out);
    }
  }

  // A real-time telemetry body: {"key": scalar, ...}, keys unique and non-empty.
  bool readings(json& out, int level) {
    if (!open(level)) return false;
    out = json::object();
    auto& object = out.get_ref<json::object_t&>();
    if (eat('}')) return true;
    for (bool more = true; more;) {
      std::string_view k;
      json value;
      if (!key(k) || !scalar(value)) return false;
      if (!object.emplace(std::string(k), std::move(value)).second) return false;
      if (!next(more)) return false;
    }
    return true;
  }

  bool devices(FastNode& node, int level) {
    if (!open(level)) return false;
    if (eat('}')) return true;
    for (bool more = true; more;) {
      std::string_view address;
      json body;
      if (!key(address) || !readings(body, level + 1)) return false;
      node.devices.emplace_back(address, std::move(body));
      if (!next(more)) return false;
    }
    // route() order: by address, as nlohmann's std::map keeps object members.
    std::sort(node.devices.begin(), node.devices.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < node.devices.size(); ++i) {
      if (node.devices[i - 1].first == node.devices[i].first) return false;
    }
    return true;
  }

  bool gateways(FastNode& node, int depth, int level) {
    if (!open(level)) return false;
    if (eat('}')) return true;
    for (bool more = true; more;) {
      std::string_view address;
      if (!key(address)) return false;
      node.gateways.push_back(FastGateway{address, {}});
      if (!this->node(node.gateways.back().node, depth + 1, level + 1)) return false;
      if (!next(more)) return false;
    }
    std::sort(node.gateways.begin(), node.gateways.end(),
              [](const FastGateway& a, const FastGateway& b) { return a.address < b.address; });
    for (std::size_t i = 1; i < node.gateways.size(); ++i) {
      if (node.gateways[i - 1].address == node.gateways[i].address) return false;
    }
    return true;
  }

  // One gateway level at sub-gateway `depth`: only the three known members,
  // each at most once, and no depth the full parser would warn about or refuse.
  bool node(FastNode& out, int depth, int level) {
    if (depth > limits_.max_sub_gateway_depth || depth > limits_.warn_sub_gateway_depth) return false;
    if (!open(level)) return false;
    if (eat('}')) return true;
    bool seen_data = false;
    bool seen_devices = false;
    bool seen_gateways = false;
    for (bool more = true; more;) {
      std::string_view k;
      if (!key(k)) return false;
      if (k == "gateway_data" && !seen_data) {
        seen_data = true;
        json body;
        if (!readings(body, level + 1)) return false;
        out.gateway_data = std::move(body);
      } else if (k == "sub_device_data" && !seen_devices) {
        seen_devices = true;
        if (!devices(out, level + 1)) return false;
      } else if (k == "sub_gateway_data" && !seen_gateways) {
        seen_gateways = true;
        if (!gateways(out, depth, level + 1)) return false;
      } else {
        return false;  // unknown (warned about) or repeated member
      }
      if (!next(more)) return false;
    }
    return true;
  }

  std::string_view text_;
  const PayloadLimits& limits_;
  std::size_t i_ = 0;
};

void collect(FastNode& node, Target& at, std::vector<Routed>& out) {
  if (node.gateway_data) out.push_back(Routed{at, std::move(*node.gateway_data)});
  for (auto& [address, body] : node.devices) {
    Target device = at;
    device.sub_device = std::string(address);
    out.push_back(Routed{std::move(device), std::move(body)});
  }
  for (auto& gateway : node.gateways) {
    at.sub_gateways.emplace_back(gateway.address);
    collect(gateway.node, at, out);
    at.sub_gateways.pop_back();
  }
}

}  // namespace

std::optional<std::vector<Routed>> fast_route_telemetry(std::string_view text, const PayloadLimits& limits) {
  if (text.size() > limits.max_payload_bytes) return std::nullopt;
  FastNode root;
  if (!FastParser(text, limits).parse(root)) return std::nullopt;
  // A message with nothing in it is an error on the full path.
  if (!root.gateway_data && root.devices.empty() && root.gateways.empty()) return std::nullopt;
  std::vector<Routed> out;
  Target at;
  collect(root, at, out);
  return out;
}

}  // namespace tpgate::gateway
