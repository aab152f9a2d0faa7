// VirtualGateway life cycle: the session's output and events, the transport link,
// churn, and the timers that drive reports (virtual_gateway_reports.cpp) and delayed
// answers (virtual_gateway_requests.cpp).
#include "emulator/virtual_gateway.hpp"

#include <algorithm>
#include <cmath>

#include "emulator/json_writer.hpp"
#include "emulator/random.hpp"

namespace tpgate::emulator {
namespace {

mqtt::SessionOptions session_options(const Scenario& s, const GatewayIdentity& id, std::uint64_t seed,
                                     std::size_t offline_bytes) {
  mqtt::SessionOptions o;
  o.version = s.broker.protocol_version == 5 ? mqtt::ProtocolVersion::v5 : mqtt::ProtocolVersion::v311;
  o.client_id = id.client_id;
  o.clean_start = s.broker.clean_start;
  // docs/thingspanel.md#authentication: at most 300 s (the parser enforces it).
  o.keep_alive_s = static_cast<std::uint16_t>(s.broker.keepalive_s);
  o.username = id.username;
  if (id.password) o.password = mqtt::Bytes(id.password->begin(), id.password->end());
  // The offline buffer is the session's queue; the 8 SUBSCRIBEs wait there too before
  // the first CONNACK.
  o.max_queued = static_cast<std::size_t>(s.offline_buffer) + 8;
  // ... and in bytes: a queued telemetry message holds its payload and about 300 bytes
  // more (wasm32), so a count alone let a large fleet's buffers outgrow the wasm heap.
  o.max_queued_bytes = offline_bytes;
  o.connect_timeout_ms = static_cast<std::uint32_t>(s.broker.connect_timeout_s) * 1000U;
  o.reconnect.enabled = true;
  o.reconnect.min_delay_ms = static_cast<std::uint32_t>(std::llround(s.broker.reconnect_min_delay_s * 1000));
  o.reconnect.max_delay_ms = static_cast<std::uint32_t>(std::llround(s.broker.reconnect_max_delay_s * 1000));
  o.random_seed = seed;
  return o;
}

gateway::GatewayRoleOptions role_options(const Scenario& s, const GatewayIdentity& id) {
  gateway::GatewayRoleOptions o;
  o.device_number = id.device_number;
  o.qos = static_cast<std::uint8_t>(s.broker.qos);
  return o;
}

// DISCONNECT with no reason code and no properties: the same two bytes in 3.1.1 and 5.0
// (v5 3.14.2.1: a Remaining Length of 0 means Normal disconnection).
constexpr std::uint8_t kDisconnect[] = {0xE0, 0x00};

}  // namespace

VirtualGateway::VirtualGateway(std::shared_ptr<const Scenario> scenario, const GatewayIdentity& identity,
                               std::uint32_t seed, GatewayContext context)
    : scenario_(std::move(scenario)),
      context_(context),
      device_number_(identity.device_number),
      global_index_(identity.global_index),
      rng_(stream_seed(seed, identity.global_index, 0xFFFF'FFFFULL)),
      session_(session_options(*scenario_, identity, stream_seed(seed, identity.global_index, 0xFFFF'FFFEULL),
                               context.offline_bytes)),
      role_(role_options(*scenario_, identity)) {
  const Topology& t = topo();
  slots_.reserve(t.slots.size());
  for (std::size_t i = 0; i < t.slots.size(); ++i) {
    // Keyed by (seed, gateway, slot): shards and reruns agree (random.hpp).
    slots_.push_back(make_slot(*t.slots[i].generator, stream_seed(seed, identity.global_index, i + 1)));
  }
  group_due_.assign(t.intervals_ms.size(), kNever);
  event_due_.assign(t.events.size(), kNever);
  bool historical = false;
  for (const auto& d : t.devices) historical = historical || d.spec->historical_batch > 0;
  if (historical) {
    history_.resize(t.devices.size());
    history_count_.resize(t.devices.size());
  }
}

void VirtualGateway::start(std::int64_t now, OutputSink& out) {
  if (started_ || ended_) return;
  started_ = true;
  const Topology& t = topo();
  // One random phase per gateway so that a fleet started at once does not publish in lockstep.
  const double phase = next_unit(rng_);
  for (std::size_t g = 0; g < group_due_.size(); ++g) {
    group_due_[g] = now + static_cast<std::int64_t>(phase * static_cast<double>(t.intervals_ms[g]));
  }
  for (std::size_t e = 0; e < event_due_.size(); ++e) {
    const EventSpec& spec = *t.events[e].spec;
    const double delay_s = spec.poisson ? next_exponential(rng_, spec.mean_interval_s) : spec.first_s;
    event_due_[e] = now + static_cast<std::int64_t>(std::llround(delay_s * 1000));
  }
  session_.start(now);
  drain(now, out);
}

void VirtualGateway::subscribe(std::int64_t now) {
  // docs/thingspanel.md#one-filter-per-subscribe: one filter per SUBSCRIBE. Queued when the
  // first transport opens or before the first uplink, whichever comes first (not at start, so
  // that a fleet started at once does not hold every gateway's queued SUBSCRIBEs while it
  // waits for its turn to connect; still ahead of every uplink and counted in the offline
  // buffer's room as before), sent after the CONNACK, and sent again by the session when a
  // reconnect finds no session on the server.
  subscribed_ = true;
  if (auto filters = role_.subscriptions()) {
    const auto qos = static_cast<mqtt::QoS>(std::min(scenario_->broker.qos, 1));
    if (const auto& f = scenario_->format) {
      // gateway_subscriptions' order: control, attribute set, attribute get, command.
      constexpr DownKind kByFilter[] = {DownKind::Control, DownKind::AttributeSet, DownKind::AttributeGet, DownKind::Command};
      for (std::size_t k = 0; k < 4 && k < filters->size(); ++k) {
        if (const auto& t = f->down_topics[static_cast<std::size_t>(kByFilter[k])]) {
          (*filters)[k] = downlink_filter(*t, device_number_);
        }
      }
    }
    for (auto& filter : *filters) {
      if (!session_.subscribe({mqtt::Subscription{std::move(filter), qos}}, {}, now)) {
        count_error(context_.metrics->counters, ErrorKind::Protocol);
      }
    }
  } else {
    count_error(context_.metrics->counters, ErrorKind::Protocol);
  }
}

void VirtualGateway::transport_open(std::int64_t now, OutputSink& out) {
  link_ = Link::Up;
  if (!subscribed_) subscribe(now);
  session_.transport_open(now);
  drain(now, out);
}

void VirtualGateway::receive(std::span<const std::uint8_t> bytes, std::int64_t now, OutputSink& out) {
  context_.metrics->counters.bytes_in += bytes.size();
  session_.receive(bytes, now);
  drain(now, out);
}

void VirtualGateway::transport_closed(std::int64_t now, OutputSink& out) {
  // The host confirming a close we asked for: the session already knows.
  const bool expected = link_ == Link::Closing || link_ == Link::Down;
  link_ = Link::Down;
  if (!expected) session_.transport_closed(now, "connection lost");
  drain(now, out);
}

void VirtualGateway::stop(std::int64_t now, OutputSink& out) {
  if (ended_) return;
  stopping_ = true;
  session_.disconnect(now);
  drain(now, out);
  ended_ = true;
  pending_.clear();
  out.request(kEnded);
}

void VirtualGateway::tick(std::int64_t now, OutputSink& out) {
  if (ended_) return;
  session_.tick(now);
  auto timed_out = role_.tick(now);
  on_role_output(timed_out, now);
  if (started_) {
    if (offline_until_ <= now) {
      offline_until_ = kNever;
      if (pending_open_) {
        pending_open_ = false;
        link_ = Link::Opening;
        out.request(kOpenTransport);
      } else if (session_.state() == mqtt::SessionState::WaitingToReconnect) {
        session_.start(now);  // back after offline_s, not after the backoff
      }
    }
    if (churn_due_ <= now && connected_) churn(now, out);
    // Answers first: their latency was measured from the request.
    for (std::size_t i = 0; i < pending_.size();) {
      if (pending_[i].due <= now) {
        PendingAnswer p = std::move(pending_[i]);
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
        answer(p, now);
      } else {
        ++i;
      }
    }
    bool telemetry_due = false;
    for (std::int64_t due : group_due_) telemetry_due = telemetry_due || due <= now;
    if (telemetry_due) report_telemetry(now);
    for (std::size_t e = 0; e < event_due_.size(); ++e) {
      if (event_due_[e] <= now) fire_event(e, now);
    }
  }
  drain(now, out);
}

void VirtualGateway::churn(std::int64_t now, OutputSink& out) {
  const ChurnSpec& c = *scenario_->churn;
  churn_due_ = kNever;
  drain(now, out);  // whatever the session still has goes out first
  if (!c.abrupt) out.write(kDisconnect);
  out.request(kCloseTransport);
  link_ = Link::Closing;
  offline_until_ = now + static_cast<std::int64_t>(std::llround(c.offline_s * 1000));
  // Told as a lost connection, the session keeps unacknowledged QoS 1 uplinks for the
  // next connection and queues new ones (the offline buffer).
  session_.transport_closed(now, c.abrupt ? "churn: connection dropped" : "churn: disconnected");
}

std::optional<std::int64_t> VirtualGateway::next_deadline() const {
  if (ended_) return std::nullopt;
  std::int64_t at = local_deadline();
  if (auto d = session_.next_deadline()) at = std::min(at, *d);
  if (auto d = role_.next_deadline()) at = std::min(at, *d);
  if (at == kNever) return std::nullopt;
  return at;
}

std::int64_t VirtualGateway::local_deadline() const {
  if (!started_) return kNever;
  std::int64_t at = std::min(offline_until_, connected_ ? churn_due_ : kNever);
  for (std::int64_t d : group_due_) at = std::min(at, d);
  for (std::int64_t d : event_due_) at = std::min(at, d);
  for (const auto& p : pending_) at = std::min(at, p.due);
  return at;
}

void VirtualGateway::drain(std::int64_t now, OutputSink& out) {
  // Handling events can publish (answers, reports), which makes more output: loop. It
  // ends: what the second round's events cause (publish completions) publishes nothing.
  for (int round = 0; round < 1000 && session_.has_output(); ++round) {
    mqtt::Output o = session_.take_output();
    if (!o.bytes.empty()) {
      context_.metrics->counters.bytes_out += o.bytes.size();
      out.write(o.bytes);
    }
    if (o.close_transport) {
      out.request(kCloseTransport);
      link_ = Link::Closing;
    }
    if (o.open_transport) {
      if (offline_until_ != kNever && now < offline_until_) {
        pending_open_ = true;  // churn: stay away for offline_s
      } else {
        link_ = Link::Opening;
        out.request(kOpenTransport);
      }
    }
    for (auto& event : o.events) on_session_event(event, now);
  }
}

void VirtualGateway::on_session_event(mqtt::Event& event, std::int64_t now) {
  Counters& c = context_.metrics->counters;
  if (auto* m = std::get_if<mqtt::MessageEvent>(&event)) {
    ++c.received;
    const auto& p = m->publish;
    const std::string_view payload(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
    if (scenario_->format) {
      receive_message(p.topic, payload, now);
    } else {
      auto output = role_.receive(p.topic, payload, now);
      on_role_output(output, now);
    }
  } else if (auto* done = std::get_if<mqtt::PublishCompleteEvent>(&event)) {
    if (done->qos == mqtt::QoS::AtMostOnce) return;
    auto it = std::find_if(inflight_.begin(), inflight_.end(), [&](const auto& f) { return f.token == done->token; });
    if (done->reason_code < 0x80) {
      ++c.publish_acked;
      if (it != inflight_.end()) context_.metrics->add_ack(static_cast<double>(now - it->sent));
    } else {
      count_error(c, ErrorKind::Refused);
    }
    if (it != inflight_.end()) inflight_.erase(it);
  } else if (auto* connected = std::get_if<mqtt::ConnectedEvent>(&event)) {
    (void)connected;
    connected_ = true;
    ++c.connected;
    if (connections_++ > 0) ++c.reconnects;
    log(log_head(now, "connected") + "}");
    if (const auto& churn_spec = scenario_->churn) {
      const double jitter = churn_spec->jitter * (2 * next_unit(rng_) - 1);
      churn_due_ = now + static_cast<std::int64_t>(std::llround(churn_spec->every_s * 1000 * (1 + jitter)));
    }
    // "reported on every connect" (docs/scenario.md).
    report_attributes(std::nullopt, now);
  } else if (auto* gone = std::get_if<mqtt::DisconnectedEvent>(&event)) {
    if (connected_) {
      connected_ = false;
      --c.connected;
    }
    // Acks of the old connection will not come; their round trips are meaningless.
    inflight_.clear();
    std::string record = log_head(now, "disconnected");
    record += ",\"reason\":";
    append_string(record, gone->reason.message);
    log(record + "}");
  } else if (auto* failed = std::get_if<mqtt::OperationFailedEvent>(&event)) {
    if (!stopping_) {
      // Refused by the server (a failure reason code), else the session could not carry it out.
      count_error(c, static_cast<std::uint8_t>(failed->error.reason) >= 0x80 ? ErrorKind::Refused : ErrorKind::Protocol);
      std::string record = log_head(now, "error");
      record += ",\"message\":";
      append_string(record, failed->error.message);
      log(record + "}");
    }
  } else if (auto* sub = std::get_if<mqtt::SubscribeCompleteEvent>(&event)) {
    for (std::uint8_t code : sub->suback.reason_codes) {
      if (code >= 0x80) {
        count_error(c, ErrorKind::Refused);
        log(log_head(now, "error") + ",\"message\":\"subscription refused\"}");
      }
    }
  } else if (auto* error = std::get_if<mqtt::ErrorEvent>(&event)) {
    count_error(c, ErrorKind::Protocol);
    std::string record = log_head(now, "error");
    record += ",\"message\":";
    append_string(record, error->error.message);
    log(record + "}");
  }
}

void VirtualGateway::on_role_output(gateway::GatewayOutput& output, std::int64_t now) {
  // The role publishes on its own only the responses to requests.
  for (auto& p : output.publications) publish(std::move(p.topic), p.payload, p.qos, now, Published::Response);
  Counters& c = context_.metrics->counters;
  for (auto& event : output.events) {
    if (auto* request = std::get_if<gateway::Request>(&event)) {
      serve(*request, now);
    } else if (auto* acked = std::get_if<gateway::ReportAcked>(&event)) {
      // Either ack family counts (docs/thingspanel.md#ack-topics); a failure ack is still an answer.
      ++c.reports_acked;
      context_.metrics->add_report_ack(static_cast<double>(acked->rtt_ms));
    } else if (auto* timed_out = std::get_if<gateway::ReportTimedOut>(&event)) {
      count_error(c, ErrorKind::ReportAckTimeout);
      std::string record = log_head(now, "error");
      record += ",\"message\":";
      append_string(record, "no ack for " + std::string(gateway::request_kind_name(timed_out->kind)) + " " +
                                timed_out->message_id);
      log(record + "}");
    } else if (auto* error = std::get_if<gateway::ErrorEvent>(&event)) {
      count_error(c, ErrorKind::Protocol);
      std::string record = log_head(now, "error");
      record += ",\"message\":";
      append_string(record, error->error.message);
      record += ",\"topic\":";
      append_string(record, error->topic);
      log(record + "}");
    }
  }
}

void VirtualGateway::publish(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now,
                             Published kind) {
  if (scenario_->format) {
    publish_custom(std::move(topic), payload, qos, now, kind);
  } else {
    send(std::move(topic), payload, qos, now, kind);
  }
}

void VirtualGateway::send(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now,
                          Published kind) {
  if (!subscribed_) subscribe(now);
  mqtt::Publish p;
  p.topic = std::move(topic);
  p.qos = static_cast<mqtt::QoS>(qos);
  p.payload.assign(payload.begin(), payload.end());
  auto token = session_.publish(std::move(p), now);
  Counters& c = context_.metrics->counters;
  if (token) {
    ++c.published;
    ++c.published_kind[static_cast<std::size_t>(kind)];
    // Round trips are measured from a send on a live connection only; a message that
    // waited in the offline buffer would measure the outage.
    if (qos > 0 && connected_) inflight_.push_back(InflightPublish{*token, now});
  } else if (token.error().reason == mqtt::ReasonCode::QuotaExceeded) {
    ++c.dropped;  // the offline buffer is full
  } else {
    count_error(c, ErrorKind::Protocol);
  }
}

std::string VirtualGateway::log_head(std::int64_t now, const char* type) const {
  std::string head = "{\"gateway\":";
  append_number(head, context_.local_index);
  head += ",\"t\":";
  append_number(head, static_cast<double>(now));
  head += ",\"type\":";
  append_string(head, type);
  return head;
}

void VirtualGateway::log(const std::string& object) {
  if (context_.events != nullptr) context_.events->add(object);
}

std::size_t VirtualGateway::state_heap_bytes() const {
  std::size_t n = slots_.capacity() * sizeof(Slot) + group_due_.capacity() * sizeof(std::int64_t) +
                  event_due_.capacity() * sizeof(std::int64_t) + pending_.capacity() * sizeof(PendingAnswer) +
                  inflight_.capacity() * sizeof(InflightPublish) + extras_.capacity() * sizeof(Extra) +
                  history_.capacity() * sizeof(std::string) + history_count_.capacity() * sizeof(std::uint16_t);
  for (const auto& s : owned_texts_) n += s.capacity() + sizeof(std::string);
  for (const auto& s : history_) n += s.capacity();
  return n;
}

}  // namespace tpgate::emulator
