#include "emulator/fleet.hpp"

#include <algorithm>
#include <cstring>

#include "frame/frame.hpp"
#include "emulator/identity.hpp"

namespace tpgate::emulator {
namespace {

constexpr std::int64_t kNever = VirtualGateway::kNever;

static_assert(kOpenTransport == frame::kGatewayOpen && kCloseTransport == frame::kGatewayClose &&
              kEnded == frame::kGatewayEnded);

}  // namespace

std::uint8_t* Fleet::Bytes::grow(std::size_t more) {
  if (size_ + more > capacity_) {
    const std::size_t capacity = std::max<std::size_t>({size_ + more, 2 * capacity_, 4096});
    std::unique_ptr<std::uint8_t[]> data(new std::uint8_t[capacity]);
    if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  std::uint8_t* at = data_.get() + size_;
  size_ += more;
  return at;
}

std::pair<std::uint32_t, std::uint32_t> shard_range(std::uint32_t total, std::uint32_t k, std::uint32_t n) {
  const auto first = static_cast<std::uint32_t>(static_cast<std::uint64_t>(k - 1) * total / n);
  const auto end = static_cast<std::uint32_t>(static_cast<std::uint64_t>(k) * total / n);
  return {first, end};
}

// Appends one gateway's output to the fleet's frame as gatewayOutput records
// (src/frame/frame.hpp), growing the last record while it is this gateway's.
class Fleet::Sink final : public OutputSink {
 public:
  Sink(Fleet& fleet, std::uint32_t index) : f_(fleet), index_(index) {}

  void write(std::span<const std::uint8_t> bytes) override {
    if (bytes.empty()) return;
    if (!extends(true)) begin(0);
    std::memcpy(f_.out_.grow(bytes.size()), bytes.data(), bytes.size());
    std::uint8_t* length = f_.out_.data() + f_.last_record_ + 8;
    frame::put<std::uint32_t>(length, frame::get<std::uint32_t>(length) + static_cast<std::uint32_t>(bytes.size()));
  }

  void request(std::uint8_t flags) override {
    // A close (and the end) follows the bytes of the same record; an open stands alone so
    // that "write, then close" never reads as "open, then write".
    if (flags == kOpenTransport || !extends(false)) begin(flags);
    else f_.out_.data()[f_.last_record_ + 1] |= flags;
  }

 private:
  // Whether the last record is this gateway's and can take more: bytes only while it
  // has no flag (bytes after a close belong to the next connection), a close or end only
  // while it is not an open request and not ended.
  bool extends(bool for_bytes) const {
    if (f_.last_gateway_ != index_) return false;
    const std::uint8_t flags = f_.out_.data()[f_.last_record_ + 1];
    if (for_bytes) return flags == 0;
    return (flags & (kOpenTransport | kEnded)) == 0;
  }

  void begin(std::uint8_t flags) {
    f_.last_record_ = f_.out_.size();
    f_.last_gateway_ = index_;
    frame::put_gateway_output(f_.out_.grow(frame::kGatewayOutputHead), flags, index_, 0);
  }

  Fleet& f_;
  std::uint32_t index_;
};

FleetResult Fleet::create(std::shared_ptr<const Scenario> scenario, const FleetOptions& options) {
  const GatewaysSpec& g = scenario->gateways;
  std::uint32_t total = options.count.value_or(g.count);
  if (total < 1 || total > 1'000'000) {
    return {nullptr, ScenarioError{"options.count", "an integer from 1 to 1000000",
                                   "options.count: expected an integer from 1 to 1000000, got " + std::to_string(total)}};
  }
  if (!g.credentials.empty() && total > g.credentials.size()) {
    const std::string expected = "at most the number of credentials (" + std::to_string(g.credentials.size()) + ")";
    return {nullptr, ScenarioError{"options.count", expected,
                                   "options.count: expected " + expected + ", got " + std::to_string(total)}};
  }
  if (total > 1 && g.credentials.empty() && !template_uses_index(g.device_number)) {
    const std::string expected = "a device_number template with {i} when count > 1";
    return {nullptr, ScenarioError{"$.gateways.device_number", expected,
                                   "$.gateways.device_number: expected " + expected + ", got \"" + g.device_number + "\""}};
  }
  if (options.shard_count < 1 || options.shard_index < 1 || options.shard_index > options.shard_count) {
    const std::string expected = "1 <= shard_index <= shard_count";
    return {nullptr, ScenarioError{"options.shard_index", expected,
                                   "options.shard_index: expected " + expected + ", got " +
                                       std::to_string(options.shard_index) + " of " + std::to_string(options.shard_count)}};
  }
  const auto [first, end] = shard_range(total, options.shard_index, options.shard_count);
  return {std::unique_ptr<Fleet>(new Fleet(std::move(scenario), options, first, end)), {}};
}

Fleet::Fleet(std::shared_ptr<const Scenario> scenario, const FleetOptions& options, std::uint32_t first,
             std::uint32_t end)
    : scenario_(std::move(scenario)), first_global_(first) {
  const std::uint32_t seed = options.seed.value_or(scenario_->seed);
  const std::size_t offline_bytes =
      options.offline_budget_bytes == 0
          ? 0
          : std::max(options.offline_budget_bytes / std::max<std::uint32_t>(end - first, 1), FleetOptions::kMinOfflineBytes);
  gateways_.reserve(end - first);
  for (std::uint32_t g = first; g < end; ++g) {
    GatewayContext context{&metrics_, options.events ? &events_ : nullptr, g - first, offline_bytes};
    gateways_.emplace_back(scenario_, gateway_identity(*scenario_, g), seed, context);
  }
  scheduled_.assign(gateways_.size(), kNever);
  out_.grow(frame::kHeaderSize);
}

GatewayIdentity Fleet::identity(std::size_t i) const {
  return gateway_identity(*scenario_, first_global_ + static_cast<std::uint32_t>(i));
}

void Fleet::reschedule(std::uint32_t i) {
  const std::int64_t at = gateways_[i].next_deadline().value_or(kNever);
  if (at == scheduled_[i]) return;
  scheduled_[i] = at;
  if (at != kNever) heap_.push(Entry{at, i});
  // Moved deadlines leave stale entries behind; drop them before they pile up.
  if (heap_.size() > 4 * gateways_.size() + 1024) compact_heap();
}

void Fleet::compact_heap() {
  std::vector<Entry> live;
  live.reserve(gateways_.size());
  for (std::uint32_t i = 0; i < gateways_.size(); ++i) {
    if (scheduled_[i] != kNever) live.emplace_back(scheduled_[i], i);
  }
  heap_ = decltype(heap_)(std::greater<Entry>(), std::move(live));
}

void Fleet::start(std::int64_t now) {
  for (std::uint32_t i = 0; i < gateways_.size(); ++i) {
    Sink sink(*this, i);
    gateways_[i].start(now, sink);
    reschedule(i);
  }
}

void Fleet::transport_open(std::size_t i, std::int64_t now) {
  if (i >= gateways_.size()) return;
  Sink sink(*this, static_cast<std::uint32_t>(i));
  gateways_[i].transport_open(now, sink);
  reschedule(static_cast<std::uint32_t>(i));
}

void Fleet::transport_closed(std::size_t i, std::int64_t now) {
  if (i >= gateways_.size()) return;
  Sink sink(*this, static_cast<std::uint32_t>(i));
  gateways_[i].transport_closed(now, sink);
  reschedule(static_cast<std::uint32_t>(i));
}

void Fleet::receive(std::size_t i, std::span<const std::uint8_t> bytes, std::int64_t now) {
  if (i >= gateways_.size()) return;
  Sink sink(*this, static_cast<std::uint32_t>(i));
  gateways_[i].receive(bytes, now, sink);
  reschedule(static_cast<std::uint32_t>(i));
}

bool Fleet::receive_records(std::span<const std::uint8_t> records, std::int64_t now) {
  std::size_t at = 0;
  while (at < records.size()) {
    if (records.size() - at < frame::kGatewayOutputHead || records[at] != frame::kGatewayOutput) return false;
    const auto index = frame::get<std::uint32_t>(records.data() + at + 4);
    const auto length = frame::get<std::uint32_t>(records.data() + at + 8);
    at += frame::kGatewayOutputHead;
    if (length > records.size() - at) return false;
    receive(index, records.subspan(at, length), now);
    at += length;
  }
  return true;
}

void Fleet::tick(std::int64_t now) {
  due_.clear();
  while (!heap_.empty() && heap_.top().first <= now) {
    const auto [at, i] = heap_.top();
    heap_.pop();
    if (scheduled_[i] != at) continue;  // stale: the gateway moved its deadline
    scheduled_[i] = kNever;
    due_.push_back(i);
  }
  last_tick_count_ = due_.size();
  for (std::uint32_t i : due_) {
    Sink sink(*this, i);
    gateways_[i].tick(now, sink);
    reschedule(i);
  }
}

void Fleet::stop(std::int64_t now) {
  for (std::uint32_t i = 0; i < gateways_.size(); ++i) {
    Sink sink(*this, i);
    gateways_[i].stop(now, sink);
    reschedule(i);
  }
}

std::optional<std::int64_t> Fleet::next_deadline() {
  while (!heap_.empty() && scheduled_[heap_.top().second] != heap_.top().first) heap_.pop();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().first;
}

std::span<const std::uint8_t> Fleet::take_frame() {
  events_.drain([&](std::string_view event) {
    std::uint8_t* at = out_.grow(frame::kJsonEventHead + event.size());
    frame::put_json_event(at, static_cast<std::uint32_t>(event.size()));
    std::memcpy(at + frame::kJsonEventHead, event.data(), event.size());
  });
  const auto deadline = next_deadline();
  frame::put_header(out_.data(), 0, 0, deadline ? static_cast<double>(*deadline) : -1.0,
                    static_cast<std::uint32_t>(out_.size()));
  std::swap(out_, frame_);
  // The buffer of the frame before keeps its size for the next one, unless a burst
  // (a mass reconnect flushing offline buffers) made it large: then it goes.
  if (out_.capacity() > kKeepFrameBytes) out_ = Bytes();
  out_.resize_down(0);
  out_.grow(frame::kHeaderSize);
  last_gateway_ = -1;
  last_record_ = 0;
  return {frame_.data(), frame_.size()};
}

std::string Fleet::stats() {
  std::uint64_t queued = 0;
  std::uint64_t queued_bytes = 0;
  for (const VirtualGateway& g : gateways_) {
    queued += g.session().queued_count();
    queued_bytes += g.session().queued_bytes();
  }
  return stats_json(metrics_, size(), queued, queued_bytes);
}

}  // namespace tpgate::emulator
