// ClientSession: the server's acknowledgements of our packets. PUBACK,
// PUBREC/PUBCOMP (answered with PUBREL), SUBACK and UNSUBACK; each completes
// an in-flight operation and makes room for queued ones.
#include <string>
#include <utility>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

std::string id_text(std::uint16_t packet_id) { return std::to_string(packet_id); }

}  // namespace

void ClientSession::Impl::complete_publish(std::map<std::uint16_t, Operation>::iterator it, std::uint8_t reason,
                                           Properties properties, std::int64_t now) {
  const Publish& publish = *std::get_if<Publish>(&it->second.packet);
  journal_order(StoreEntry::Done, it->second);
  emit(PublishCompleteEvent{it->second.token, publish.qos, it->first, reason, std::move(properties)});
  --inflight_publishes;
  inflight.erase(it);
  pump(now);  // room under Receive Maximum and a free identifier
}

void ClientSession::Impl::on_puback(PubAck& ack, std::int64_t now) {
  auto it = inflight.find(ack.packet_id);
  const Publish* publish = it == inflight.end() ? nullptr : std::get_if<Publish>(&it->second.packet);
  if (publish == nullptr || publish->qos != QoS::AtLeastOnce) {
    error_event(ReasonCode::PacketIdentifierNotFound,
                "PUBACK for packet id " + id_text(ack.packet_id) + ", which has no QoS 1 PUBLISH in flight");
    return;
  }
  // [MQTT-4.3.2-3]; a failure code ends the delivery too [MQTT-4.4.0-2].
  complete_publish(it, ack.reason_code, std::move(ack.properties), now);
}

void ClientSession::Impl::on_pubrec(PubRec& rec, std::int64_t now) {
  auto it = inflight.find(rec.packet_id);
  Publish* publish = it == inflight.end() ? nullptr : std::get_if<Publish>(&it->second.packet);
  if (publish == nullptr || publish->qos != QoS::ExactlyOnce) {
    error_event(ReasonCode::PacketIdentifierNotFound,
                "PUBREC for packet id " + id_text(rec.packet_id) + ", which has no QoS 2 PUBLISH in flight");
    // Lets the server drop the state it keeps for the identifier (3.6.2.1).
    if (v5() && rec.reason_code < 0x80) {
      (void)send(PubRel{rec.packet_id, static_cast<std::uint8_t>(ReasonCode::PacketIdentifierNotFound), {}}, now);
    }
    return;
  }
  if (rec.reason_code >= 0x80) {
    // Refused: acknowledged, not retransmitted, no PUBREL [MQTT-4.4.0-2].
    complete_publish(it, rec.reason_code, std::move(rec.properties), now);
    return;
  }
  if (!it->second.released) {
    // The PUBLISH is never sent again [MQTT-4.3.3-6]: free its body.
    it->second.released = true;
    journal_order(StoreEntry::Released, it->second);
    publish->topic = std::string{};
    publish->payload = Bytes{};
    publish->properties = Properties{};
  }
  // Also answers a repeated PUBREC [MQTT-4.3.3-4].
  (void)send(PubRel{rec.packet_id, 0, {}}, now);
}

void ClientSession::Impl::on_pubcomp(PubComp& comp, std::int64_t now) {
  auto it = inflight.find(comp.packet_id);
  if (it == inflight.end() || !it->second.released) {
    error_event(ReasonCode::PacketIdentifierNotFound,
                "PUBCOMP for packet id " + id_text(comp.packet_id) + ", which has no PUBREL in flight");
    return;
  }
  std::uint8_t reason = comp.reason_code;
  if (reason == static_cast<std::uint8_t>(ReasonCode::PacketIdentifierNotFound)) {
    if (it->second.release_resent) {
      // The server completed the exchange before the connection dropped and
      // has forgotten the identifier: the message was delivered. "Not an error
      // during recovery" (MQTT 5.0 3.7.2.1); failing it would invite a resend,
      // a second delivery.
      reason = 0;
    } else {
      error_event(ReasonCode::PacketIdentifierNotFound,
                  "PUBCOMP for packet id " + id_text(comp.packet_id) +
                      " says Packet Identifier not found, but the server answered its PUBLISH with PUBREC on "
                      "this connection: the server lost the exchange, the message may not have been delivered");
    }
  }
  // [MQTT-4.3.3-5]
  complete_publish(it, reason, std::move(comp.properties), now);
}

void ClientSession::Impl::on_suback(SubAck& ack, std::int64_t now) {
  auto it = inflight.find(ack.packet_id);
  Subscribe* subscribe = it == inflight.end() ? nullptr : std::get_if<Subscribe>(&it->second.packet);
  if (subscribe == nullptr) {
    error_event(ReasonCode::PacketIdentifierNotFound,
                "SUBACK for packet id " + id_text(ack.packet_id) + ", which has no SUBSCRIBE in flight");
    return;
  }
  if (ack.reason_codes.size() != subscribe->subscriptions.size()) {
    // [MQTT-3.8.4-6] one code per filter; the missing ones count as refused.
    error_event(ReasonCode::ProtocolError, "SUBACK for packet id " + id_text(ack.packet_id) + " has " +
                                               std::to_string(ack.reason_codes.size()) + " reason codes for " +
                                               std::to_string(subscribe->subscriptions.size()) + " filters");
  }
  const std::uint32_t identifier = subscribe->properties.subscription_identifiers.empty()
                                       ? 0
                                       : subscribe->properties.subscription_identifiers.front();
  const Token token = it->second.token;
  for (std::size_t i = 0; i < subscribe->subscriptions.size(); ++i) {
    const Subscription& s = subscribe->subscriptions[i];
    const std::uint8_t code = i < ack.reason_codes.size() ? ack.reason_codes[i] : 0x80;
    if (code < 0x80) {
      journal_granted(granted[s.filter] = GrantedSubscription{s, identifier});
    } else if (token == 0) {
      error_event(static_cast<ReasonCode>(code), "resubscribe to '" + s.filter + "' refused: " +
                                                     std::string(reason_code_name(code)));
    }
  }
  journal_order(StoreEntry::Done, it->second);
  inflight.erase(it);
  if (token != 0) emit(SubscribeCompleteEvent{token, std::move(ack)});
  pump(now);
}

void ClientSession::Impl::on_unsuback(UnsubAck& ack, std::int64_t now) {
  auto it = inflight.find(ack.packet_id);
  Unsubscribe* unsubscribe = it == inflight.end() ? nullptr : std::get_if<Unsubscribe>(&it->second.packet);
  if (unsubscribe == nullptr) {
    error_event(ReasonCode::PacketIdentifierNotFound,
                "UNSUBACK for packet id " + id_text(ack.packet_id) + ", which has no UNSUBSCRIBE in flight");
    return;
  }
  for (std::size_t i = 0; i < unsubscribe->filters.size(); ++i) {
    // 3.1.1 UNSUBACK has no codes: every filter is gone. In v5 0x11 (No
    // subscription existed) is a success too.
    const bool removed = ack.reason_codes.empty() || (i < ack.reason_codes.size() && ack.reason_codes[i] < 0x80);
    if (removed && granted.erase(unsubscribe->filters[i]) != 0) journal_ungranted(unsubscribe->filters[i]);
  }
  const Token token = it->second.token;
  journal_order(StoreEntry::Done, it->second);
  inflight.erase(it);
  emit(UnsubscribeCompleteEvent{token, std::move(ack)});
  pump(now);
}

}  // namespace tpgate::mqtt
