// ClientSession: in-flight operations when a new connection is acknowledged.
// With a session on the server they are resumed (same identifiers, DUP,
// PUBREL); without one they start over and subscriptions are made again.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

std::vector<std::map<std::uint16_t, Operation>::iterator> in_call_order(std::map<std::uint16_t, Operation>& inflight) {
  std::vector<std::map<std::uint16_t, Operation>::iterator> ordered;
  ordered.reserve(inflight.size());
  for (auto it = inflight.begin(); it != inflight.end(); ++it) ordered.push_back(it);
  std::sort(ordered.begin(), ordered.end(), [](auto a, auto b) { return a->second.order < b->second.order; });
  return ordered;
}

}  // namespace

void ClientSession::Impl::resume_session(std::int64_t now) {
  // Unacknowledged PUBLISH and PUBREL again, with their original identifiers
  // [MQTT-4.4.0-1], in the order first sent [MQTT-4.6.0-1]. A SUBSCRIBE or
  // UNSUBSCRIBE without its ack is sent again too: the server may never have
  // seen it, and repeating one is harmless [MQTT-3.8.4-3].
  for (auto it : in_call_order(inflight)) {
    Operation& op = it->second;
    Status sent = ok_status();
    if (auto* publish = std::get_if<Publish>(&op.packet)) {
      if (op.released) {
        sent = send(PubRel{it->first, 0, {}}, now);
        op.release_resent = true;
      } else {
        publish->dup = true;  // a re-delivery [MQTT-3.3.1-1]
        sent = write_publish(*publish, now);
      }
    } else if (auto* subscribe = std::get_if<Subscribe>(&op.packet)) {
      sent = send_kept(*subscribe, now);
    } else if (auto* unsubscribe = std::get_if<Unsubscribe>(&op.packet)) {
      sent = send_kept(*unsubscribe, now);
    }
    if (!sent) {
      fail_operation(op, sent.error());
      if (std::holds_alternative<Publish>(op.packet)) --inflight_publishes;
      inflight.erase(it);
    }
  }
}

void ClientSession::Impl::restart_session(std::int64_t now) {
  (void)now;
  // The server has no session: ours goes too [MQTT-3.2.2-5]. Messages we
  // answered with PUBREC were delivered already; their PUBREL will not come.
  if (!inbound_qos2.empty()) journal_cleared();
  inbound_qos2.clear();
  std::vector<Operation> again;
  for (auto it : in_call_order(inflight)) {
    Operation& op = it->second;
    auto* publish = std::get_if<Publish>(&op.packet);
    if (publish != nullptr && op.released) {
      // The server took ownership when it sent PUBREC [MQTT-4.3.3-8]; sending
      // the message again would deliver it twice.
      journal_order(StoreEntry::Done, op);
      emit(PublishCompleteEvent{op.token, publish->qos, it->first, 0, {}});
      continue;
    }
    if (op.token == 0) continue;  // a resubscribe: made again below
    // A fresh flow: new identifier, DUP 0 [MQTT-4.3.2-2] [MQTT-4.3.3-2].
    if (publish != nullptr) {
      publish->packet_id = 0;
      publish->dup = false;
    }
    again.push_back(std::move(op));
  }
  inflight.clear();
  inflight_publishes = 0;
  for (Operation& op : again) enqueue(std::move(op), false);
  queue.sort([](const Operation& a, const Operation& b) { return a.order < b.order; });

  if (!options().resubscribe || granted.empty()) return;
  // One SUBSCRIBE per Subscription Identifier (a SUBSCRIBE carries at most one).
  std::map<std::uint32_t, Subscribe> by_identifier;
  for (const auto& entry : granted) {
    const GrantedSubscription& g = entry.second;
    Subscribe& packet = by_identifier[g.subscription_identifier];
    if (packet.subscriptions.empty() && g.subscription_identifier != 0) {
      packet.properties.subscription_identifiers.push_back(g.subscription_identifier);
    }
    packet.subscriptions.push_back(g.subscription);
  }
  // Ahead of everything queued: the user's later subscribes and unsubscribes
  // then apply on top of them.
  for (auto it = by_identifier.rbegin(); it != by_identifier.rend(); ++it) {
    enqueue(Operation{0, 0, std::move(it->second), false, false}, true);
  }
}

}  // namespace tpgate::mqtt
