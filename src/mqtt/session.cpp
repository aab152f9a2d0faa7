// ClientSession: public entry points, timers and deadlines. The protocol work
// is in session_connection.cpp, session_outbound.cpp and session_inbound.cpp.
#include "mqtt/session.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

DecoderOptions decoder_options(const SessionOptions& options) {
  DecoderOptions d;
  d.version = options.version;
  d.role = Role::Client;
  return d;
}

}  // namespace

ClientSession::Impl::Impl(SessionOptions session_options)
    : options_(std::move(session_options)),
      decoder(decoder_options(options_)),
      client_id(options_.client_id),
      clean_start(options_.clean_start),
      jitter(options_.random_seed) {}

bool ClientSession::Impl::transport_up() const {
  return state() == SessionState::AwaitingConnAck || state() == SessionState::Connected;
}

Status ClientSession::Impl::send(const Packet& packet, std::int64_t now) {
  EncodeOptions options;
  options.version = options_.version;
  options.max_packet_size = server.maximum_packet_size;
  Status status = encode(packet, options, out.bytes);
  // Keep alive counts from the last packet sent [MQTT-3.1.2-20].
  if (status.ok()) last_sent = now;
  return status;
}

Status ClientSession::Impl::send_publish(const PublishView& publish, std::int64_t now) {
  Status status = encode_publish(publish, encode_options(), out.bytes);
  if (status.ok()) last_sent = now;
  return status;
}

void ClientSession::Impl::error_event(ReasonCode reason, std::string message) {
  emit(ErrorEvent{make_error(reason, std::move(message))});
}

std::uint32_t ClientSession::Impl::ping_timeout_ms() const {
  if (options().ping_timeout_ms != 0) return options().ping_timeout_ms;
  return std::min<std::uint32_t>(keep_alive_ms, 30'000);
}

void ClientSession::Impl::tick(std::int64_t now) {
  switch (state()) {
    case SessionState::AwaitingConnAck:
      if (options().connect_timeout_ms != 0 && now >= connect_deadline) {
        end_connection(Ending{make_error(ReasonCode::UnspecifiedError,
                                         "no CONNACK within " + std::to_string(options().connect_timeout_ms) + " ms")},
                       now);
      }
      break;
    case SessionState::Connected:
      if (ping_deadline) {
        if (now >= *ping_deadline) {
          end_connection(Ending{make_error(ReasonCode::KeepAliveTimeout, "no PINGRESP within " +
                                                                             std::to_string(ping_timeout_ms()) +
                                                                             " ms: connection presumed dead")},
                         now);
        }
      } else if (keep_alive_ms != 0 && now >= last_sent + keep_alive_ms) {
        // Nothing sent for a whole keep-alive period [MQTT-3.1.2-20].
        if (send(PingReq{}, now).ok()) ping_deadline = now + ping_timeout_ms();
      }
      break;
    case SessionState::WaitingToReconnect:
      if (now >= reconnect_at) {
        state() = SessionState::Connecting;
        out.open_transport = true;
      }
      break;
    default:
      break;
  }
}

std::optional<std::int64_t> ClientSession::Impl::next_deadline() const {
  switch (state()) {
    case SessionState::AwaitingConnAck:
      // connect_timeout_ms 0: wait for CONNACK as long as the transport lives.
      if (options().connect_timeout_ms == 0) return std::nullopt;
      return connect_deadline;
    case SessionState::Connected:
      // While a PINGREQ is out no second one is sent: only its deadline counts.
      if (ping_deadline) return ping_deadline;
      if (keep_alive_ms != 0) return last_sent + keep_alive_ms;
      return std::nullopt;
    case SessionState::WaitingToReconnect:
      return reconnect_at;
    default:
      return std::nullopt;
  }
}

// --- ClientSession ------------------------------------------------------------

ClientSession::ClientSession(SessionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ClientSession::~ClientSession() = default;
ClientSession::ClientSession(ClientSession&&) noexcept = default;
ClientSession& ClientSession::operator=(ClientSession&&) noexcept = default;

SessionState ClientSession::state() const { return impl_->state(); }
const SessionOptions& ClientSession::options() const { return impl_->options(); }

void ClientSession::start(std::int64_t now) { impl_->start(now); }
void ClientSession::transport_open(std::int64_t now) { impl_->transport_open(now); }
void ClientSession::receive(std::span<const std::uint8_t> bytes, std::int64_t now) { impl_->receive(bytes, now); }
void ClientSession::transport_closed(std::int64_t now, std::string why) {
  impl_->transport_closed(now, std::move(why));
}
void ClientSession::tick(std::int64_t now) { impl_->tick(now); }

Result<Token> ClientSession::publish(Publish message, std::int64_t now) {
  return impl_->publish(std::move(message), now);
}
Result<Token> ClientSession::publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos,
                                     bool retain, std::int64_t now) {
  return impl_->publish(topic, payload, qos, retain, now);
}
Result<Token> ClientSession::subscribe(std::vector<Subscription> subscriptions, Properties properties,
                                       std::int64_t now) {
  return impl_->subscribe(std::move(subscriptions), std::move(properties), now);
}
Result<Token> ClientSession::unsubscribe(std::vector<std::string> filters, Properties properties, std::int64_t now) {
  return impl_->unsubscribe(std::move(filters), std::move(properties), now);
}
Status ClientSession::auth(Auth packet, std::int64_t now) { return impl_->auth(std::move(packet), now); }
void ClientSession::disconnect(std::int64_t now, ReasonCode reason, Properties properties) {
  impl_->disconnect(now, reason, std::move(properties));
}

void ClientSession::set_event_sink(EventSink* sink) { impl_->sink = sink; }

Output ClientSession::take_output() {
  Output taken = std::move(impl_->out);
  impl_->out = Output{};
  return taken;
}

void ClientSession::take_output(Output& into) {
  into.bytes.clear();
  into.journal.clear();
  // A one-off burst should not stay pinned to the session.
  if (into.bytes.capacity() > (1U << 20)) Bytes().swap(into.bytes);
  into.events.clear();
  into.open_transport = false;
  into.close_transport = false;
  std::swap(impl_->out, into);
}

bool ClientSession::has_output() const {
  const Output& o = impl_->out;
  return !o.bytes.empty() || !o.journal.empty() || !o.events.empty() || o.open_transport || o.close_transport;
}

std::optional<std::int64_t> ClientSession::next_deadline() const { return impl_->next_deadline(); }
std::size_t ClientSession::inflight_count() const { return impl_->inflight.size(); }
std::size_t ClientSession::queued_count() const { return impl_->queue.size(); }
std::size_t ClientSession::queued_bytes() const { return impl_->queued_bytes; }

}  // namespace tpgate::mqtt
