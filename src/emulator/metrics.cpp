#include "emulator/metrics.hpp"

#include <cmath>

#include "emulator/json_writer.hpp"

namespace tpgate::emulator {

std::size_t LatencyHistogram::bucket_of(double ms) {
  if (!(ms > 0)) return 0;
  if (ms < static_cast<double>(kLinear)) return static_cast<std::size_t>(ms);
  int exponent = 0;
  const double fraction = std::frexp(ms, &exponent);  // ms = fraction * 2^exponent, fraction in [0.5, 1)
  const std::size_t octave = static_cast<std::size_t>(exponent - 5);  // 16 = 0.5 * 2^5 is octave 0
  if (octave >= kOctaves) return kBuckets - 1;
  const auto sub = static_cast<std::size_t>((fraction - 0.5) * 2.0 * kSubBuckets);
  return kLinear + octave * kSubBuckets + (sub < kSubBuckets ? sub : kSubBuckets - 1);
}

double LatencyHistogram::bucket_low(std::size_t bucket) {
  if (bucket < kLinear) return static_cast<double>(bucket);
  const std::size_t octave = (bucket - kLinear) / kSubBuckets;
  const std::size_t sub = (bucket - kLinear) % kSubBuckets;
  const double base = std::ldexp(1.0, static_cast<int>(octave) + 4);  // 16 * 2^octave
  return base * (1.0 + static_cast<double>(sub) / kSubBuckets);
}

double LatencyHistogram::bucket_high(std::size_t bucket) {
  if (bucket < kLinear) return static_cast<double>(bucket + 1);
  const std::size_t octave = (bucket - kLinear) / kSubBuckets;
  const std::size_t sub = (bucket - kLinear) % kSubBuckets;
  const double base = std::ldexp(1.0, static_cast<int>(octave) + 4);
  return base * (1.0 + static_cast<double>(sub + 1) / kSubBuckets);
}

void LatencyHistogram::add(double ms) {
  ++buckets_[bucket_of(ms)];
  ++count_;
}

void LatencyHistogram::clear() {
  buckets_.fill(0);
  count_ = 0;
}

std::optional<double> LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return std::nullopt;
  // The rank of the sample at p (nearest-rank method), 1-based.
  auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      // Below 16 ms a bucket is one clock value: report it as is.
      if (b < kLinear) return static_cast<double>(b);
      return std::round((bucket_low(b) + bucket_high(b)) / 2.0);
    }
  }
  return bucket_low(kBuckets - 1);
}

void LatencyHistogram::append_buckets(std::string& out) const {
  out += '[';
  bool first = true;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    if (buckets_[b] == 0) continue;
    if (!first) out += ',';
    first = false;
    out += '[';
    append_number(out, bucket_low(b));
    out += ',';
    append_number(out, bucket_high(b));
    out += ',';
    append_number(out, static_cast<double>(buckets_[b]));
    out += ']';
  }
  out += ']';
}

namespace {

void field(std::string& out, const char* key, std::uint64_t value) {
  out += ',';
  append_key(out, key);
  append_number(out, static_cast<double>(value));
}

void field(std::string& out, const char* key, std::optional<double> value) {
  out += ',';
  append_key(out, key);
  if (value) {
    append_number(out, *value);
  } else {
    out += "null";
  }
}

}  // namespace

std::string stats_json(Metrics& m, std::size_t gateways, std::uint64_t queued, std::uint64_t queued_bytes) {
  const Counters& c = m.counters;
  std::string out = "{";
  append_key(out, "gateways");
  append_number(out, static_cast<double>(gateways));
  field(out, "connected", static_cast<std::uint64_t>(c.connected < 0 ? 0 : c.connected));
  field(out, "published", c.published);
  field(out, "queued", queued);
  field(out, "queued_bytes", queued_bytes);
  field(out, "publish_acked", c.publish_acked);
  field(out, "received", c.received);
  field(out, "commands", c.commands);
  field(out, "attribute_sets", c.attribute_sets);
  field(out, "attribute_gets", c.attribute_gets);
  field(out, "controls", c.controls);
  field(out, "events_sent", c.events_sent);
  field(out, "reports_acked", c.reports_acked);
  field(out, "failures_injected", c.failures_injected);
  field(out, "commands_failed", c.commands_failed);
  field(out, "attribute_sets_failed", c.attribute_sets_failed);
  field(out, "attribute_gets_failed", c.attribute_gets_failed);
  field(out, "controls_failed", c.controls_failed);
  field(out, "published_telemetry", c.published_kind[static_cast<std::size_t>(Published::Telemetry)]);
  field(out, "published_attributes", c.published_kind[static_cast<std::size_t>(Published::Attributes)]);
  field(out, "published_events", c.published_kind[static_cast<std::size_t>(Published::Event)]);
  field(out, "published_responses", c.published_kind[static_cast<std::size_t>(Published::Response)]);
  field(out, "errors", c.errors);
  field(out, "protocol_errors", c.protocol_errors);
  field(out, "refused", c.refused);
  field(out, "report_ack_timeouts", c.report_ack_timeouts);
  field(out, "request_failures", c.request_failures);
  field(out, "script_errors", c.script_errors);
  field(out, "reconnects", c.reconnects);
  field(out, "dropped", c.dropped);
  field(out, "bytes_out", c.bytes_out);
  field(out, "bytes_in", c.bytes_in);
  field(out, "ack_p50_ms", m.ack.percentile(0.5));
  field(out, "ack_p99_ms", m.ack.percentile(0.99));
  field(out, "report_ack_p50_ms", m.report_ack.percentile(0.5));
  field(out, "report_ack_p99_ms", m.report_ack.percentile(0.99));
  field(out, "request_service_p50_ms", m.request_service.percentile(0.5));
  field(out, "request_service_p99_ms", m.request_service.percentile(0.99));
  out += '}';
  m.ack.clear();
  m.report_ack.clear();
  m.request_service.clear();
  return out;
}

std::string histograms_json(const Metrics& m) {
  std::string out = "{";
  append_key(out, "ack_ms");
  m.ack_run.append_buckets(out);
  out += ',';
  append_key(out, "report_ack_ms");
  m.report_ack_run.append_buckets(out);
  out += ',';
  append_key(out, "request_service_ms");
  m.request_service_run.append_buckets(out);
  out += '}';
  return out;
}

void EventLog::add(const std::string& object) {
  text_ += object;
  ends_.push_back(text_.size());
}

std::string EventLog::take() {
  std::string out = "[";
  drain([&](std::string_view object) {
    if (out.size() > 1) out += ',';
    out += object;
  });
  out += ']';
  return out;
}

}  // namespace tpgate::emulator
