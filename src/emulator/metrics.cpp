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
  field(out, "errors", c.errors);
  field(out, "script_errors", c.script_errors);
  field(out, "reconnects", c.reconnects);
  field(out, "dropped", c.dropped);
  field(out, "bytes_out", c.bytes_out);
  field(out, "bytes_in", c.bytes_in);
  field(out, "ack_p50_ms", m.ack.percentile(0.5));
  field(out, "ack_p99_ms", m.ack.percentile(0.99));
  field(out, "report_ack_p50_ms", m.report_ack.percentile(0.5));
  field(out, "report_ack_p99_ms", m.report_ack.percentile(0.99));
  out += '}';
  m.ack.clear();
  m.report_ack.clear();
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
