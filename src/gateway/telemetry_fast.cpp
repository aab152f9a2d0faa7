#include "gateway/telemetry_fast.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "json/scan.hpp"

namespace tpgate::gateway {
namespace {

using Range = FastTelemetry::Range;
using Node = FastTelemetry::Node;

// The message's shape (docs/thingspanel.md#payload-tree) over json::Scanner,
// which reads the tokens as nlohmann would or gives up. Every "return false"
// means "not for the fast path": the full parser then decides (and reports
// whatever is wrong).
class TelemetryWalker {
 public:
  TelemetryWalker(std::string_view text, const PayloadLimits& limits, FastTelemetry& out)
      : scan_(text), limits_(limits), out_(out), readings_(out.readings) {}

  // The root is node 0.
  bool read() { return node(new_node(), 0, 1) && scan_.done(); }

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
    auto by_key = [](const FastReading& a, const FastReading& b) {
      return tpgate::json::compare_names(a.key, b.key) < 0;
    };
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
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
      return tpgate::json::compare_names(address(a), address(b)) < 0;
    });
    return std::adjacent_find(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
             return address(a) == address(b);
           }) == entries.end();
  }

  // A cleared node from the pool (its vectors keep their capacity); its index.
  std::size_t new_node() {
    if (out_.nodes_used == out_.nodes.size()) out_.nodes.emplace_back();
    Node& n = out_.nodes[out_.nodes_used];
    n.gateway_data.reset();
    n.devices.clear();
    n.gateways.clear();
    return out_.nodes_used++;
  }

  bool devices(std::size_t at, int level) {
    if (!open(level)) return false;
    if (scan_.take('}')) return true;
    do {
      std::string_view address;
      Range body;
      if (!name(address) || !readings(body, level + 1)) return false;
      out_.nodes[at].devices.emplace_back(address, body);
    } while (scan_.take(','));
    return scan_.take('}') && sort_unique(out_.nodes[at].devices, [](const auto& d) { return d.first; });
  }

  bool gateways(std::size_t at, int depth, int level) {
    if (!open(level)) return false;
    if (scan_.take('}')) return true;
    do {
      std::string_view address;
      if (!name(address)) return false;
      const std::size_t child = new_node();  // may move the pool: index, not reference
      out_.nodes[at].gateways.emplace_back(address, child);
      if (!this->node(child, depth + 1, level + 1)) return false;
    } while (scan_.take(','));
    return scan_.take('}') && sort_unique(out_.nodes[at].gateways, [](const auto& g) { return g.first; });
  }

  // One gateway level at sub-gateway `depth`: only the three known members,
  // each at most once, and no depth the full parser would warn about or refuse
  // (docs/thingspanel.md#sub-gateway-depth).
  bool node(std::size_t at, int depth, int level) {
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
        out_.nodes[at].gateway_data = body;
      } else if (member == "sub_device_data" && !seen_devices) {
        seen_devices = true;
        if (!devices(at, level + 1)) return false;
      } else if (member == "sub_gateway_data" && !seen_gateways) {
        seen_gateways = true;
        if (!gateways(at, depth, level + 1)) return false;
      } else {
        return false;  // unknown (warned about) or repeated member
      }
    } while (scan_.take(','));
    return scan_.take('}');
  }

  tpgate::json::Scanner scan_;
  const PayloadLimits& limits_;
  FastTelemetry& out_;
  std::vector<FastReading>& readings_;
};

// Entries in route() order; `at` holds the sub-gateway addresses down to here.
void collect(FastTelemetry& out, std::size_t index, std::vector<std::string_view>& at) {
  const auto add = [&](std::string_view device, Range body) {
    const std::size_t first = out.path.size();
    out.path.insert(out.path.end(), at.begin(), at.end());
    out.targets.push_back({first, at.size(), device, body.first, body.count});
  };
  const Node& node = out.nodes[index];
  if (node.gateway_data) add({}, *node.gateway_data);
  for (const auto& [address, body] : node.devices) add(address, body);
  for (const auto& [address, child] : node.gateways) {
    at.push_back(address);
    collect(out, child, at);
    at.pop_back();
  }
}

}  // namespace

bool fast_route_telemetry(std::string_view text, const PayloadLimits& limits, FastTelemetry& out) {
  out.targets.clear();
  out.readings.clear();
  out.path.clear();
  out.nodes_used = 0;
  if (text.size() > limits.max_payload_bytes) return false;
  if (!TelemetryWalker(text, limits, out).read()) return false;
  // A message with nothing in it is an error on the full path.
  const Node& root = out.nodes[0];
  if (!root.gateway_data && root.devices.empty() && root.gateways.empty()) return false;
  std::vector<std::string_view> at;
  collect(out, 0, at);
  return true;
}

Target FastTelemetry::target_of(const Entry& e) const {
  Target t;
  const auto gateways = sub_gateways_of(e);
  t.sub_gateways.assign(gateways.begin(), gateways.end());
  if (!e.sub_device.empty()) t.sub_device = std::string(e.sub_device);
  return t;
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
  for (const auto& e : fast.targets) out.push_back(Routed{fast.target_of(e), readings_value(fast.readings_of(e))});
  return out;
}

}  // namespace tpgate::gateway
