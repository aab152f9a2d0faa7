#include "gateway/telemetry_fast.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "json/scan.hpp"

namespace tpgate::gateway {
namespace {

struct FastGateway;

// readings[first, first + count) of FastTelemetry.
struct Range {
  std::size_t first = 0;
  std::size_t count = 0;
};

// One gateway level as read; addresses point into the text (no escapes in them).
struct FastNode {
  std::optional<Range> gateway_data;
  std::vector<std::pair<std::string_view, Range>> devices;
  std::vector<FastGateway> gateways;
};

struct FastGateway {
  std::string_view address;
  FastNode node;
};

// The message's shape (docs/thingspanel.md#payload-tree) over json::Scanner,
// which reads the tokens as nlohmann would or gives up. Every "return false"
// means "not for the fast path": the full parser then decides (and reports
// whatever is wrong).
class TelemetryWalker {
 public:
  TelemetryWalker(std::string_view text, const PayloadLimits& limits, std::vector<FastReading>& readings)
      : scan_(text), limits_(limits), readings_(readings) {}

  bool read(FastNode& root) { return node(root, 0, 1) && scan_.done(); }

 private:
  // '{' at nesting `level` (the root object is 1), as the nesting guard counts it.
  bool open(int level) { return level <= limits_.max_json_nesting && scan_.take('{'); }

  // A non-empty member name, as the full path requires of addresses and keys.
  bool name(std::string_view& out) { return scan_.key(out) && !out.empty(); }

  // A real-time telemetry body: an object of scalars with distinct, non-empty
  // keys, appended to the readings sorted by key.
  bool readings(Range& out, int level) {
    if (level > limits_.max_json_nesting || !scan_.take('{')) return false;
    out.first = readings_.size();
    if (!scan_.take('}')) {
      do {
        FastReading r;
        if (!name(r.key) || !scan_.scalar(r.value)) return false;
        readings_.push_back(r);
      } while (scan_.take(','));
      if (!scan_.take('}')) return false;
    }
    out.count = readings_.size() - out.first;
    const auto begin = readings_.begin() + static_cast<std::ptrdiff_t>(out.first);
    auto by_key = [](const FastReading& a, const FastReading& b) { return a.key < b.key; };
    if (!std::is_sorted(begin, readings_.end(), by_key)) std::sort(begin, readings_.end(), by_key);
    // nlohmann keeps the last of repeated keys; not worth handling here.
    return std::adjacent_find(begin, readings_.end(), [](const FastReading& a, const FastReading& b) {
             return a.key == b.key;
           }) == readings_.end();
  }

  // Sorted by address, as nlohmann's std::map keeps members and route() walks
  // them; a repeated address is left to the full path.
  template <class Entry, class Address>
  static bool sort_unique(std::vector<Entry>& entries, Address address) {
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) { return address(a) < address(b); });
    return std::adjacent_find(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
             return address(a) == address(b);
           }) == entries.end();
  }

  bool devices(FastNode& node, int level) {
    if (!open(level)) return false;
    if (scan_.take('}')) return true;
    do {
      std::string_view address;
      Range body;
      if (!name(address) || !readings(body, level + 1)) return false;
      node.devices.emplace_back(address, body);
    } while (scan_.take(','));
    return scan_.take('}') && sort_unique(node.devices, [](const auto& d) { return d.first; });
  }

  bool gateways(FastNode& node, int depth, int level) {
    if (!open(level)) return false;
    if (scan_.take('}')) return true;
    do {
      std::string_view address;
      if (!name(address)) return false;
      node.gateways.push_back(FastGateway{address, {}});
      if (!this->node(node.gateways.back().node, depth + 1, level + 1)) return false;
    } while (scan_.take(','));
    return scan_.take('}') && sort_unique(node.gateways, [](const FastGateway& g) { return g.address; });
  }

  // One gateway level at sub-gateway `depth`: only the three known members,
  // each at most once, and no depth the full parser would warn about or refuse
  // (docs/thingspanel.md#sub-gateway-depth).
  bool node(FastNode& out, int depth, int level) {
    if (depth > limits_.max_sub_gateway_depth || depth > limits_.warn_sub_gateway_depth) return false;
    if (!open(level)) return false;
    if (scan_.take('}')) return true;
    bool seen_data = false;
    bool seen_devices = false;
    bool seen_gateways = false;
    do {
      std::string_view member;
      if (!scan_.key(member)) return false;
      if (member == "gateway_data" && !seen_data) {
        seen_data = true;
        Range body;
        if (!readings(body, level + 1)) return false;
        out.gateway_data = body;
      } else if (member == "sub_device_data" && !seen_devices) {
        seen_devices = true;
        if (!devices(out, level + 1)) return false;
      } else if (member == "sub_gateway_data" && !seen_gateways) {
        seen_gateways = true;
        if (!gateways(out, depth, level + 1)) return false;
      } else {
        return false;  // unknown (warned about) or repeated member
      }
    } while (scan_.take(','));
    return scan_.take('}');
  }

  tpgate::json::Scanner scan_;
  const PayloadLimits& limits_;
  std::vector<FastReading>& readings_;
};

void collect(const FastNode& node, Target& at, std::vector<FastTelemetry::Entry>& out) {
  if (node.gateway_data) out.push_back({at, node.gateway_data->first, node.gateway_data->count});
  for (const auto& [address, body] : node.devices) {
    Target device = at;
    device.sub_device = std::string(address);
    out.push_back({std::move(device), body.first, body.count});
  }
  for (const auto& gateway : node.gateways) {
    at.sub_gateways.emplace_back(gateway.address);
    collect(gateway.node, at, out);
    at.sub_gateways.pop_back();
  }
}

}  // namespace

bool fast_route_telemetry(std::string_view text, const PayloadLimits& limits, FastTelemetry& out) {
  out.targets.clear();
  out.readings.clear();
  if (text.size() > limits.max_payload_bytes) return false;
  FastNode root;
  if (!TelemetryWalker(text, limits, out.readings).read(root)) return false;
  // A message with nothing in it is an error on the full path.
  if (!root.gateway_data && root.devices.empty() && root.gateways.empty()) return false;
  Target at;
  collect(root, at, out.targets);
  return true;
}

json readings_value(std::span<const FastReading> readings) {
  json out = json::object();
  for (const FastReading& r : readings) out.emplace(std::string(r.key), tpgate::json::to_value(r.value));
  return out;
}

std::optional<std::vector<Routed>> fast_route_telemetry(std::string_view text, const PayloadLimits& limits) {
  FastTelemetry fast;
  if (!fast_route_telemetry(text, limits, fast)) return std::nullopt;
  std::vector<Routed> out;
  out.reserve(fast.targets.size());
  for (const auto& e : fast.targets) out.push_back(Routed{e.target, readings_value(fast.readings_of(e))});
  return out;
}

}  // namespace tpgate::gateway
