// A fleet: this shard's slice of N virtual gateways sharing one Scenario, one Metrics and
// one output buffer. A deadline heap makes tick(now) touch only the gateways that are
// due, so ten thousand mostly idle gateways cost nothing between their reports.
//
// Output (take_frame): a frame of the one layout the core hands JS in
// (src/frame/frame.hpp): the 24-byte header with the next deadline, then a
// gatewayOutput record (kind 5) per run of one gateway's output and a json event
// record (kind 6) per event when events are on. A record's bytes are written
// before acting on its close; an open request is a record of its own. One gateway
// may have several records in one frame: act on them in order.
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
  // What the offline buffers of this shard's gateways may hold together, in bytes
  // (about: mqtt::ClientSession::queued_bytes()), shared equally: each gateway gets
  // offline_budget_bytes / size(), at least kMinOfflineBytes, on top of the
  // scenario's offline_buffer count. Past it uplinks are dropped ("dropped"). A
  // wasm module has 2 GB of heap for everything; a queued telemetry message of the
  // default scenario costs about 700 bytes there, so 10,000 gateways offline for a
  // few minutes used to exhaust it (operator new aborts the module). 0: no bound.
  std::size_t offline_budget_bytes = kDefaultOfflineBudget;

  static constexpr std::size_t kDefaultOfflineBudget = std::size_t{512} << 20;
  static constexpr std::size_t kMinOfflineBytes = std::size_t{16} << 10;
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
  // A run of gatewayOutput-shaped records (src/frame/frame.hpp, flags 0), each the
  // bytes one gateway's transport read, handed to receive() in order. False (and
  // nothing after it handled) at the first record that is not one or does not fit.
  bool receive_records(std::span<const std::uint8_t> records, std::int64_t now);
  void tick(std::int64_t now);
  void stop(std::int64_t now);

  std::optional<std::int64_t> next_deadline();
  // The frame of everything since the previous call (layout above), valid until the
  // next call into the fleet.
  std::span<const std::uint8_t> take_frame();
  // The events not yet carried in a frame, as a JSON array (take_frame takes them).
  std::string take_events() { return events_.take(); }
  // Counters (cumulative), "queued" and "queued_bytes" (uplinks waiting in offline
  // buffers now and about the heap bytes they hold, summed over the gateways:
  // O(gateways), meant for about one call a second) and the latency percentiles of
  // the window since the previous call.
  std::string stats();
  // The whole run's latency histograms (histograms_json); the windows are left as they are.
  std::string histograms() const { return histograms_json(metrics_); }
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
  // A growable byte buffer that does not zero what it is about to overwrite.
  class Bytes {
   public:
    std::uint8_t* grow(std::size_t more);  // room for `more` bytes past size(); where they go
    void resize_down(std::size_t size) { size_ = size; }
    std::uint8_t* data() { return data_.get(); }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }

   private:
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
  };

  static constexpr std::size_t kKeepFrameBytes = std::size_t{8} << 20;
  Bytes out_;                    // the frame being written
  Bytes frame_;                  // the frame last taken
  std::size_t last_record_ = 0;  // offset of the last record in out_
  std::int64_t last_gateway_ = -1;
  std::size_t last_tick_count_ = 0;
  std::vector<std::uint32_t> due_;  // scratch of tick()
};

}  // namespace tpgate::emulator
