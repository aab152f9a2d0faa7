// ClientSession: what the server sends. The receive loop over the decoder,
// dispatch by packet type, incoming PUBLISH at each QoS (exactly once for
// QoS 2), PUBREL, the server's DISCONNECT and AUTH.
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

// What the receive loop decodes into. A Packet and a ReceivedPublish are large (every
// property of every packet type), and only a receive() in progress needs them, so the
// sessions of a thread share one pair instead of each keeping its own: a fleet of
// thousands of sessions in one wasm module saves about a kilobyte per session. A
// receive() entered while another is using them (a sink that feeds another session)
// decodes into a pair of its own.
struct ReceiveScratch {
  Packet packet;
  ReceivedPublish publish;
  bool busy = false;
};

class ScratchLease {
 public:
  ScratchLease() {
#if defined(__EMSCRIPTEN__)
    // One thread in the wasm modules; Emscripten's thread_local without threads is
    // not to be relied on for objects with constructors.
    static ReceiveScratch shared;
#else
    static thread_local ReceiveScratch shared;
#endif
    scratch_ = &shared;
    if (shared.busy) scratch_ = &own_.emplace();
    scratch_->busy = true;
  }
  ~ScratchLease() { scratch_->busy = false; }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  ReceiveScratch& operator*() { return *scratch_; }

 private:
  std::optional<ReceiveScratch> own_;
  ReceiveScratch* scratch_ = nullptr;
};

}  // namespace

void ClientSession::Impl::receive(std::span<const std::uint8_t> bytes, std::int64_t now) {
  // Bytes of a connection we already ended (or never had) mean nothing.
  if (!transport_up()) return;
  decoder.feed(bytes);
  ScratchLease lease;
  Packet& packet = (*lease).packet;
  ReceivedPublish& received = (*lease).publish;
  Error error;
  // Stops as soon as a packet ends the connection: what follows it is not read.
  while (transport_up()) {
    // With a sink, a PUBLISH after CONNACK is read in place and handed over
    // as a view; before CONNACK it goes through on_packet(), which refuses it.
    const bool in_place = sink != nullptr && state() == SessionState::Connected;
    switch (in_place ? decoder.next(packet, received, error) : decoder.next(packet, error)) {
      case Decoder::Status::NeedMore:
        return;
      case Decoder::Status::Error:
        fail_connection(std::move(error), now);
        return;
      case Decoder::Status::Packet:
        if (in_place && received.set) {
          on_publish(received.view, received.properties, now);
        } else {
          on_packet(packet, now);
        }
        break;
    }
  }
}

void ClientSession::Impl::on_packet(Packet& packet, std::int64_t now) {
  const PacketType type = packet_type(packet);
  if (type == PacketType::Auth && (!v5() || !options().connect_properties.authentication_method)) {
    // No Authentication Method in CONNECT, no AUTH from the server [MQTT-4.12.0-6].
    fail_connection(make_error(ReasonCode::ProtocolError, "AUTH without enhanced authentication"), now);
    return;
  }
  if (state() == SessionState::AwaitingConnAck) {
    switch (type) {
      case PacketType::ConnAck:
        on_connack(*std::get_if<ConnAck>(&packet), now);
        return;
      case PacketType::Auth:
        // Enhanced authentication before CONNACK (4.12): the host answers with auth().
        emit(AuthEvent{std::move(*std::get_if<Auth>(&packet))});
        return;
      case PacketType::Disconnect:
        on_server_disconnect(*std::get_if<Disconnect>(&packet), now);
        return;
      default:
        // [MQTT-3.2.0-1]
        fail_connection(make_error(ReasonCode::ProtocolError,
                                   std::string(packet_type_name(static_cast<std::uint8_t>(type))) +
                                       " before CONNACK"),
                        now);
        return;
    }
  }
  switch (type) {
    case PacketType::Publish:
      on_publish(*std::get_if<Publish>(&packet), now);
      return;
    case PacketType::PubAck:
      on_puback(*std::get_if<PubAck>(&packet), now);
      return;
    case PacketType::PubRec:
      on_pubrec(*std::get_if<PubRec>(&packet), now);
      return;
    case PacketType::PubRel:
      on_pubrel(*std::get_if<PubRel>(&packet), now);
      return;
    case PacketType::PubComp:
      on_pubcomp(*std::get_if<PubComp>(&packet), now);
      return;
    case PacketType::SubAck:
      on_suback(*std::get_if<SubAck>(&packet), now);
      return;
    case PacketType::UnsubAck:
      on_unsuback(*std::get_if<UnsubAck>(&packet), now);
      return;
    case PacketType::PingResp:
      ping_deadline.reset();
      return;
    case PacketType::Disconnect:
      on_server_disconnect(*std::get_if<Disconnect>(&packet), now);
      return;
    case PacketType::Auth:
      // Re-authentication started by the server or answering ours (4.12.1).
      emit(AuthEvent{std::move(*std::get_if<Auth>(&packet))});
      return;
    case PacketType::ConnAck:
      // [MQTT-3.2.0-2]
      fail_connection(make_error(ReasonCode::ProtocolError, "a second CONNACK on one connection"), now);
      return;
    default:
      // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ go to servers only.
      fail_connection(make_error(ReasonCode::ProtocolError,
                                 std::string(packet_type_name(static_cast<std::uint8_t>(type))) +
                                     " is never sent to a client"),
                      now);
      return;
  }
}

namespace {

// Identifies a message by content for the QoS 2 resend check; std::hash is
// enough: a collision needs the same packet identifier and DUP as well.
std::uint64_t fingerprint_of(const PublishView& publish) {
  const std::string_view payload(reinterpret_cast<const char*>(publish.payload.data()), publish.payload.size());
  const std::uint64_t topic_hash = std::hash<std::string_view>{}(publish.topic);
  const std::uint64_t payload_hash = std::hash<std::string_view>{}(payload);
  return topic_hash ^ (payload_hash + 0x9E3779B97F4A7C15ULL + (topic_hash << 6) + (topic_hash >> 2));
}

Publish publish_of(const PublishView& view) {
  Publish p;
  p.dup = view.dup;
  p.qos = view.qos;
  p.retain = view.retain;
  p.topic.assign(view.topic);
  p.packet_id = view.packet_id;
  if (view.properties != nullptr) p.properties = *view.properties;
  p.payload.assign(view.payload.begin(), view.payload.end());
  return p;
}

}  // namespace

void ClientSession::Impl::on_publish(Publish& publish, std::int64_t now) {
  if (v5()) {
    if (Status resolved = inbound_aliases.resolve(publish); !resolved) {
      fail_connection(resolved.error(), now);
      return;
    }
  }
  accept_publish(view_of(publish), &publish, now);
}

void ClientSession::Impl::on_publish(PublishView& publish, Properties& properties, std::int64_t now) {
  if (v5()) {
    if (Status resolved = inbound_aliases.resolve(publish.topic, properties); !resolved) {
      fail_connection(resolved.error(), now);
      return;
    }
  }
  accept_publish(publish, nullptr, now);
}

void ClientSession::Impl::deliver(const PublishView& publish, Publish* owned) {
  if (sink != nullptr) {
    sink->message(publish);
  } else {
    emit(MessageEvent{owned != nullptr ? std::move(*owned) : publish_of(publish)});
  }
}

void ClientSession::Impl::accept_publish(const PublishView& publish, Publish* owned, std::int64_t now) {
  const std::uint16_t id = publish.packet_id;
  switch (publish.qos) {
    case QoS::AtMostOnce:
      deliver(publish, owned);
      return;
    case QoS::AtLeastOnce:
      // Acknowledged whether or not the application wants it [MQTT-4.5.0-2] [MQTT-4.3.2-4].
      deliver(publish, owned);
      (void)send(PubAck{id, 0, {}}, now);
      return;
    case QoS::ExactlyOnce: {
      auto pos = std::lower_bound(inbound_qos2.begin(), inbound_qos2.end(), id,
                                  [](const InboundQoS2& m, std::uint16_t key) { return m.packet_id < key; });
      if (pos != inbound_qos2.end() && pos->packet_id == id) {
        // Until PUBREL: PUBREC again, no second delivery [MQTT-4.3.3-10].
        (void)send(PubRec{id, 0, {}}, now);
        return;
      }
      const std::uint64_t fingerprint = fingerprint_of(publish);
      // A resend (DUP) of a message this session already completed. The
      // protocol forbids it once PUBREL was sent [MQTT-4.3.3-5], but brokers
      // do it: mosquitto 2.0.x, restarted from its persistence file, resends
      // QoS 2 messages whose PUBCOMP it had received. Same identifier, same
      // topic and payload, DUP set: acknowledge it and deliver nothing, so the
      // application still sees the message exactly once.
      const bool redelivery =
          publish.dup && std::any_of(completed_qos2.begin(), completed_qos2.end(), [&](const InboundQoS2& m) {
            return m.packet_id == id && m.fingerprint == fingerprint;
          });
      // No Receive Maximum check here, on purpose. Our quota (4.9) counts
      // messages we have not acknowledged, and every PUBLISH is answered at
      // once (PUBREC just below), so a conforming server never exceeds it.
      // Servers differ on when a QoS 2 message stops counting: mosquitto
      // 2.0.x frees its quota on PUBREC, not on PUBCOMP, so counting the
      // messages awaiting PUBREL would disconnect a healthy broker (0x93)
      // and lose messages under load. What this keeps is bounded anyway:
      // at most one entry per packet identifier.
      inbound_qos2.insert(pos, InboundQoS2{id, fingerprint});
      journal_inbound(id, fingerprint);
      if (!redelivery) deliver(publish, owned);
      // [MQTT-4.3.3-8]
      (void)send(PubRec{id, 0, {}}, now);
      return;
    }
  }
}

void ClientSession::Impl::on_pubrel(const PubRel& rel, std::int64_t now) {
  auto pos = std::lower_bound(inbound_qos2.begin(), inbound_qos2.end(), rel.packet_id,
                              [](const InboundQoS2& m, std::uint16_t key) { return m.packet_id < key; });
  if (pos != inbound_qos2.end() && pos->packet_id == rel.packet_id) {
    // The identifier is free for a new message from here on [MQTT-4.3.3-12];
    // the message is remembered a while to recognise a broker's resend.
    if (options().inbound_qos2_window > 0) {
      if (completed_qos2.size() >= options().inbound_qos2_window) completed_qos2.pop_front();
      completed_qos2.push_back(*pos);
    }
    inbound_qos2.erase(pos);
    journal_completed(rel.packet_id);
    (void)send(PubComp{rel.packet_id, 0, {}}, now);  // [MQTT-4.3.3-11]
    return;
  }
  // Not an error during recovery: the PUBCOMP for it may have been lost with
  // the previous connection (3.7.2.1).
  const std::uint8_t code = v5() ? static_cast<std::uint8_t>(ReasonCode::PacketIdentifierNotFound) : 0;
  (void)send(PubComp{rel.packet_id, code, {}}, now);
}

void ClientSession::Impl::on_server_disconnect(Disconnect& disconnect, std::int64_t now) {
  const auto reason = static_cast<ReasonCode>(disconnect.reason_code);
  std::string message = "server sent DISCONNECT: ";
  message += reason_code_name(disconnect.reason_code);
  if (disconnect.properties.reason_string) message += " (" + *disconnect.properties.reason_string + ")";
  Ending ending{make_error(reason, std::move(message))};
  ending.by_server = true;
  ending.properties = std::move(disconnect.properties);
  end_connection(std::move(ending), now);
}

}  // namespace tpgate::mqtt
