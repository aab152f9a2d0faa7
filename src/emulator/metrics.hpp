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

  // The non-empty buckets as a JSON array of [low, high, count] (ms, high exclusive), in order.
  void append_buckets(std::string& out) const;

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

// What a fleet's uplinks are, for counting them by kind.
enum class Published : std::uint8_t { Telemetry, Attributes, Event, Response };
inline constexpr std::size_t kPublishedKinds = 4;

// What went wrong, by kind: each also counts in Counters::errors.
enum class ErrorKind : std::uint8_t {
  Protocol,          // the session or the gateway protocol: a malformed downlink, a payload that could not be built
  Refused,           // the broker refused an operation: a PUBACK/SUBACK/... with a failure reason code
  ReportAckTimeout,  // an attribute / event report the platform never acked
  Request,           // a request that could not be served (no such device, the response could not be built)
  Script,            // a custom-format data script failed (the message is dropped)
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
  std::uint64_t errors = 0;            // every kind below
  std::uint64_t protocol_errors = 0;   // of errors: ErrorKind::Protocol
  std::uint64_t refused = 0;           // of errors: ErrorKind::Refused
  std::uint64_t report_ack_timeouts = 0;  // of errors: ErrorKind::ReportAckTimeout
  std::uint64_t request_failures = 0;  // of errors: ErrorKind::Request
  std::uint64_t script_errors = 0;     // of errors: custom-format scripts that failed (message dropped)
  std::uint64_t commands_failed = 0;   // of commands: answered with a failure (injected or not)
  std::uint64_t attribute_sets_failed = 0;
  std::uint64_t attribute_gets_failed = 0;
  std::uint64_t controls_failed = 0;
  std::array<std::uint64_t, kPublishedKinds> published_kind{};  // of published, by Published
  std::uint64_t reconnects = 0;        // connections after a gateway's first
  std::uint64_t dropped = 0;           // uplinks refused because the offline buffer was full
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
  std::int64_t connected = 0;          // gateways connected now
};

inline void count_error(Counters& c, ErrorKind kind) {
  ++c.errors;
  switch (kind) {
    case ErrorKind::Protocol: ++c.protocol_errors; break;
    case ErrorKind::Refused: ++c.refused; break;
    case ErrorKind::ReportAckTimeout: ++c.report_ack_timeouts; break;
    case ErrorKind::Request: ++c.request_failures; break;
    case ErrorKind::Script: ++c.script_errors; break;
  }
}

// Each latency is kept twice: for the current window (percentiles in stats(), then
// cleared) and for the whole run (histograms(): merged across shards by `tpgate report`).
struct Metrics {
  Counters counters;
  LatencyHistogram ack;              // PUBACK round trip of QoS >= 1 uplinks
  LatencyHistogram report_ack;       // platform ack round trip of attribute / event reports
  LatencyHistogram request_service;  // a request's arrival -> its response handed to the session
  LatencyHistogram ack_run;
  LatencyHistogram report_ack_run;
  LatencyHistogram request_service_run;

  void add_ack(double ms) { ack.add(ms); ack_run.add(ms); }
  void add_report_ack(double ms) { report_ack.add(ms); report_ack_run.add(ms); }
  void add_request_service(double ms) { request_service.add(ms); request_service_run.add(ms); }
};

// {"gateways":N,"connected":...,"ack_p50_ms":...}: the counters and the percentiles of
// the histograms, which are then cleared (the window ends at each call).
std::string stats_json(Metrics& metrics, std::size_t gateways, std::uint64_t queued, std::uint64_t queued_bytes = 0);

// {"ack_ms":[[low,high,count],...],"report_ack_ms":[...],"request_service_ms":[...]}: the whole run's histograms.
std::string histograms_json(const Metrics& metrics);

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
