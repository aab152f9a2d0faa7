// A fleet: this shard's slice of N virtual gateways sharing one Scenario, one Metrics and
// one output buffer. A deadline heap makes tick(now) touch only the gateways that are
// due, so ten thousand mostly idle gateways cost nothing between their reports.
//
// Output (take_output), little endian, the layout the bindings hand to JS as is:
//   header   f64 next deadline in ms (-1: none), u32 record count, u32 zero
//   records  u32 gateway local index, u8 flags (kOpenTransport 1, kCloseTransport 2,
//            kEnded 4), u8[3] zero, u32 byte length, the bytes
// A record's bytes are written before acting on its close; an open request is a record
// of its own. One gateway may have several records in one output: act on them in order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "emulator/metrics.hpp"
#include "emulator/scenario.hpp"
#include "emulator/virtual_gateway.hpp"

namespace tpgate::emulator {

struct FleetOptions {
  std::optional<std::uint32_t> count;  // overrides gateways.count
  std::uint32_t shard_index = 1;       // 1-based
  std::uint32_t shard_count = 1;
  std::optional<std::uint32_t> seed;   // overrides the scenario's seed
  bool events = false;                 // record per-request events (take_events)
};

// Shard k of n (1-based) of N gateways: global indices [floor((k-1)N/n), floor(kN/n)).
// Every gateway is in exactly one shard, and shard sizes differ by at most one.
std::pair<std::uint32_t, std::uint32_t> shard_range(std::uint32_t total, std::uint32_t shard_index,
                                                    std::uint32_t shard_count);

class Fleet;

struct FleetResult {
  std::unique_ptr<Fleet> fleet;
  ScenarioError error;  // when fleet is null
};

class Fleet {
 public:
  static constexpr std::size_t kHeaderSize = 16;
  static constexpr std::size_t kRecordHeaderSize = 12;

  // Fails (with a path under "options.") for a count above what the credentials list
  // holds or a shard that does not exist.
  static FleetResult create(std::shared_ptr<const Scenario> scenario, const FleetOptions& options);

  std::size_t size() const { return gateways_.size(); }
  // Global index, device_number, client_id, username, password of local gateway i.
  GatewayIdentity identity(std::size_t i) const;
  VirtualGateway& gateway(std::size_t i) { return gateways_[i]; }
  const Scenario& scenario() const { return *scenario_; }

  void start(std::int64_t now);
  void transport_open(std::size_t i, std::int64_t now);
  void transport_closed(std::size_t i, std::int64_t now);
  void receive(std::size_t i, std::span<const std::uint8_t> bytes, std::int64_t now);
  void tick(std::int64_t now);
  void stop(std::int64_t now);

  std::optional<std::int64_t> next_deadline();
  // The packed output since the previous call (layout above); header included.
  std::vector<std::uint8_t> take_output();
  std::string take_events() { return events_.take(); }
  // Counters (cumulative), "queued" (uplinks waiting in offline buffers now, summed
  // over the gateways: O(gateways), meant for about one call a second) and the
  // latency percentiles of the window since the previous call.
  std::string stats();
  Metrics& metrics() { return metrics_; }
  // How many gateways the last tick() touched.
  std::size_t last_tick_count() const { return last_tick_count_; }

  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

 private:
  class Sink;
  friend class Sink;
  using Entry = std::pair<std::int64_t, std::uint32_t>;  // (deadline, local index)

  Fleet(std::shared_ptr<const Scenario> scenario, const FleetOptions& options, std::uint32_t first,
        std::uint32_t end);
  void reschedule(std::uint32_t i);
  void compact_heap();

  std::shared_ptr<const Scenario> scenario_;
  std::uint32_t first_global_ = 0;
  Metrics metrics_;
  EventLog events_;
  std::vector<VirtualGateway> gateways_;
  std::vector<std::int64_t> scheduled_;  // the deadline each gateway is in the heap for
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::vector<std::uint8_t> out_;
  std::uint32_t record_count_ = 0;
  std::size_t last_record_ = 0;  // offset of the last record in out_
  std::int64_t last_gateway_ = -1;
  std::size_t last_tick_count_ = 0;
  std::vector<std::uint32_t> due_;  // scratch of tick()
};

}  // namespace tpgate::emulator
