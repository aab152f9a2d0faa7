// What a fleet counts: cumulative counters (the `stats()` JSON of the bindings), and
// latency histograms for percentiles over a window. One Metrics is shared by every
// gateway of a fleet; it is plain data, the fleet is single-threaded (one wasm module serves every gateway).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tpgate::emulator {

// Log-linear buckets over milliseconds: exact below 16 ms, then 8 buckets per power of
// two (relative error under 7%) up to about 2^40 ms. Percentiles report the midpoint of
// the bucket holding the rank.
class LatencyHistogram {
 public:
  void add(double ms);
  void clear();
  std::uint64_t count() const { return count_; }
  // p in [0, 1]; nullopt when empty.
  std::optional<double> percentile(double p) const;

  static std::size_t bucket_of(double ms);
  static double bucket_low(std::size_t bucket);
  static double bucket_high(std::size_t bucket);  // exclusive

 private:
  static constexpr std::size_t kLinear = 16;
  static constexpr std::size_t kSubBuckets = 8;
  static constexpr std::size_t kOctaves = 36;
  static constexpr std::size_t kBuckets = kLinear + kSubBuckets * kOctaves;
  std::array<std::uint32_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
};

struct Counters {
  std::uint64_t published = 0;         // uplinks handed to the session (sent, or queued while offline)
  std::uint64_t publish_acked = 0;     // QoS >= 1 uplinks acknowledged (PUBACK / PUBCOMP)
  std::uint64_t received = 0;          // PUBLISH packets received
  std::uint64_t commands = 0;          // command targets answered
  std::uint64_t attribute_sets = 0;
  std::uint64_t attribute_gets = 0;
  std::uint64_t controls = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t reports_acked = 0;     // attribute / event reports acked by the platform
  std::uint64_t failures_injected = 0; // answers turned into failures by failure_rate
  std::uint64_t errors = 0;            // protocol errors, refused operations, report timeouts, script failures
  std::uint64_t script_errors = 0;     // of errors: custom-format scripts that failed (message dropped)
  std::uint64_t reconnects = 0;        // connections after a gateway's first
  std::uint64_t dropped = 0;           // uplinks refused because the offline buffer was full
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
  std::int64_t connected = 0;          // gateways connected now
};

struct Metrics {
  Counters counters;
  LatencyHistogram ack;         // PUBACK round trip of QoS >= 1 uplinks
  LatencyHistogram report_ack;  // platform ack round trip of attribute / event reports
};

// {"gateways":N,"connected":...,"ack_p50_ms":...}: the counters and the percentiles of
// the histograms, which are then cleared (the window ends at each call).
std::string stats_json(Metrics& metrics, std::size_t gateways, std::uint64_t queued, std::uint64_t queued_bytes = 0);

// Per-request records for library users ("events": true): one JSON object each,
// kept as text until taken.
class EventLog {
 public:
  bool empty() const { return ends_.empty(); }
  // `object` is a complete JSON object.
  void add(const std::string& object);
  // "[...]" of every record since the previous take.
  std::string take();
  // Calls fn(std::string_view object) for every record since the previous take, in
  // order, and forgets them.
  template <class Fn>
  void drain(Fn&& fn) {
    std::size_t begin = 0;
    for (std::size_t end : ends_) {
      fn(std::string_view(text_).substr(begin, end - begin));
      begin = end;
    }
    text_.clear();
    ends_.clear();
  }

 private:
  std::string text_;               // the records back to back
  std::vector<std::size_t> ends_;  // where each ends in text_
};

}  // namespace tpgate::emulator
