// ClientSession: the user's operations. publish/subscribe/unsubscribe calls,
// checks made before anything is queued, the queue (offline, or waiting for
// the server's Receive Maximum or a free packet identifier) and sending.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/session_impl.hpp"
#include "mqtt/topic.hpp"

namespace tpgate::mqtt {

namespace {

bool has_wildcard(const std::string& filter) { return filter.find_first_of("+#") != std::string::npos; }

// Encoded size of `packet` held by the caller, without copying its payload.
template <class T>
Status check_size(T& packet, const EncodeOptions& options) {
  Packet wire(std::in_place_type<T>, std::move(packet));
  Result<std::size_t> size = encoded_size(wire, options);
  packet = std::move(*std::get_if<T>(&wire));
  if (!size) return size.error();
  return ok_status();
}

// A std::list node: the operation and two links.
constexpr std::size_t kQueuedNode = sizeof(Operation) + 2 * sizeof(void*);

std::size_t properties_heap(const Properties& p) {
  std::size_t n = p.subscription_identifiers.size() * sizeof(std::uint32_t);
  if (p.content_type) n += p.content_type->size();
  if (p.response_topic) n += p.response_topic->size();
  if (p.correlation_data) n += p.correlation_data->size();
  for (const UserProperty& u : p.user_properties) n += sizeof(UserProperty) + u.first.size() + u.second.size();
  return n;
}

}  // namespace

std::size_t queued_cost(std::string_view topic, std::size_t payload_size) {
  return kQueuedNode + topic.size() + payload_size;
}

std::size_t queued_cost(const Operation& op) {
  if (const auto* p = std::get_if<Publish>(&op.packet)) {
    return queued_cost(p->topic, p->payload.size()) + properties_heap(p->properties);
  }
  std::size_t n = kQueuedNode;
  if (const auto* s = std::get_if<Subscribe>(&op.packet)) {
    n += properties_heap(s->properties);
    for (const Subscription& sub : s->subscriptions) n += sizeof(Subscription) + sub.filter.size();
  } else if (const auto* u = std::get_if<Unsubscribe>(&op.packet)) {
    n += properties_heap(u->properties);
    for (const std::string& filter : u->filters) n += sizeof(std::string) + filter.size();
  }
  return n;
}

Token ClientSession::Impl::new_token() {
  if (++last_token == 0) ++last_token;  // 0 is never a token
  return last_token;
}

Status ClientSession::Impl::check_room(std::size_t cost) const {
  if (queue.size() >= options().max_queued) {
    return make_error(ReasonCode::QuotaExceeded, "offline queue full (" + std::to_string(queue.size()) +
                                                     " messages); wait for completions or raise max_queued");
  }
  // An empty queue takes one operation of any size: a limit below one message would
  // otherwise refuse everything, even what goes out at once.
  const std::size_t limit = options().max_queued_bytes;
  if (limit != 0 && queued_bytes != 0 && cost > limit - std::min(limit, queued_bytes)) {
    return make_error(ReasonCode::QuotaExceeded, "offline queue full (" + std::to_string(queued_bytes) + " of " +
                                                     std::to_string(limit) +
                                                     " bytes); wait for completions or raise max_queued_bytes");
  }
  return ok_status();
}

Status ClientSession::Impl::check_capabilities(QoS qos, bool retain) const {
  if (static_cast<std::uint8_t>(qos) > static_cast<std::uint8_t>(server.maximum_qos)) {
    // [MQTT-3.2.2-11]
    return make_error(ReasonCode::QoSNotSupported,
                      "QoS " + std::to_string(static_cast<int>(qos)) + " is above the server's Maximum QoS " +
                          std::to_string(static_cast<int>(server.maximum_qos)));
  }
  if (retain && !server.retain_available) {
    // [MQTT-3.2.2-14]
    return make_error(ReasonCode::RetainNotSupported, "the server does not support retained messages");
  }
  return ok_status();
}

Result<Token> ClientSession::Impl::publish(Publish message, std::int64_t now) {
  if (state() == SessionState::Closed) return make_error(ReasonCode::UnspecifiedError, "the session is closed");
  // The session owns packet identifiers, the DUP flag [MQTT-3.3.1-1] and topic
  // aliases (valid only on one connection [MQTT-3.3.2-7]).
  message.packet_id = 0;
  message.dup = false;
  message.properties.topic_alias.reset();
  if (Status valid = validate_topic_name(message.topic); !valid) return valid.error();
  if (!message.properties.subscription_identifiers.empty()) {
    // A received message's properties passed on as they are would carry one.
    return make_error(ReasonCode::ProtocolError,
                      "a PUBLISH from a client carries no Subscription Identifier [MQTT-3.3.4-6]: remove "
                      "subscriptionIdentifiers from the properties");
  }
  if (Status capable = check_capabilities(message.qos, message.retain); !capable) return capable.error();
  if (Status room = check_room(queued_cost(message.topic, message.payload.size()) + properties_heap(message.properties));
      !room) {
    return room.error();
  }
  // Too large for the server: refuse now rather than fail later
  // [MQTT-3.2.2-15]. The identifier is a placeholder of the right size.
  if (message.qos != QoS::AtMostOnce) message.packet_id = 1;
  Status fits = check_size(message, encode_options());
  message.packet_id = 0;
  if (!fits) return fits.error();

  const Token token = new_token();
  submit(Operation{token, ++last_order, std::move(message), false}, now);
  return token;
}

Result<Token> ClientSession::Impl::publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos,
                                           bool retain, std::int64_t now) {
  // The checks of publish(Publish) above, in the same order.
  if (state() == SessionState::Closed) return make_error(ReasonCode::UnspecifiedError, "the session is closed");
  if (Status valid = validate_topic_name(topic); !valid) return valid.error();
  if (Status capable = check_capabilities(qos, retain); !capable) return capable.error();
  if (Status room = check_room(queued_cost(topic, payload.size())); !room) return room.error();
  // The topic is checked and there are no properties: what is left for the
  // encoder is the size [MQTT-3.2.2-15], with a placeholder identifier.
  PublishView view{topic, payload, qos, retain, false, static_cast<std::uint16_t>(qos != QoS::AtMostOnce ? 1 : 0)};
  Result<PublishPlan> plain = plan_publish(view, encode_options());
  if (!plain) return plain.error();

  const Token token = new_token();
  if (qos == QoS::AtMostOnce && state() == SessionState::Connected) {
    // What submit() and try_send() do for it: written at once, done once
    // written [MQTT-4.3.1-1], never queued.
    ++last_order;
    write_publish(view, *plain, now);
    if (sink != nullptr) {
      sink->published(token);
    } else {
      emit(PublishCompleteEvent{token, QoS::AtMostOnce, 0, 0, {}});
    }
    return token;
  }
  Publish message;
  message.qos = qos;
  message.retain = retain;
  message.topic.assign(topic);
  message.payload.assign(payload.begin(), payload.end());
  submit(Operation{token, ++last_order, std::move(message), false}, now);
  return token;
}

// The common tail of subscribe() and unsubscribe(): room in the queue, a size
// the server accepts (measured with a placeholder identifier), then queued.
template <class T>
Result<Token> ClientSession::Impl::submit_request(T packet, std::int64_t now) {
  Operation op{0, 0, std::move(packet), false};
  T& held = *std::get_if<T>(&op.packet);
  if (Status room = check_room(queued_cost(op)); !room) return room.error();
  held.packet_id = 1;
  Status fits = check_size(held, encode_options());
  held.packet_id = 0;
  if (!fits) return fits.error();
  const Token token = new_token();
  op.token = token;
  op.order = ++last_order;
  submit(std::move(op), now);
  return token;
}

Result<Token> ClientSession::Impl::subscribe(std::vector<Subscription> subscriptions, Properties properties,
                                             std::int64_t now) {
  if (state() == SessionState::Closed) return make_error(ReasonCode::UnspecifiedError, "the session is closed");
  if (subscriptions.empty()) {
    return make_error(ReasonCode::ProtocolError, "SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-2]");
  }
  for (const Subscription& s : subscriptions) {
    if (Status valid = validate_topic_filter(s.filter); !valid) return valid.error();
    // What the server said it does not support (3.2.2.3.12-14) would only
    // come back as a refusal.
    if (!server.wildcard_subscription_available && has_wildcard(s.filter)) {
      return make_error(ReasonCode::WildcardSubscriptionsNotSupported,
                        "the server does not support wildcard subscriptions ('" + s.filter + "')");
    }
    if (!server.shared_subscription_available && parse_shared_subscription(s.filter)) {
      return make_error(ReasonCode::SharedSubscriptionsNotSupported,
                        "the server does not support shared subscriptions ('" + s.filter + "')");
    }
  }
  if (!properties.subscription_identifiers.empty() && !server.subscription_identifier_available) {
    return make_error(ReasonCode::SubscriptionIdentifiersNotSupported,
                      "the server does not support subscription identifiers");
  }
  return submit_request(Subscribe{0, std::move(properties), std::move(subscriptions)}, now);
}

Result<Token> ClientSession::Impl::unsubscribe(std::vector<std::string> filters, Properties properties,
                                               std::int64_t now) {
  if (state() == SessionState::Closed) return make_error(ReasonCode::UnspecifiedError, "the session is closed");
  if (filters.empty()) {
    return make_error(ReasonCode::ProtocolError, "UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]");
  }
  for (const std::string& filter : filters) {
    if (Status valid = validate_topic_filter(filter); !valid) return valid.error();
  }
  return submit_request(Unsubscribe{0, std::move(properties), std::move(filters)}, now);
}

bool ClientSession::Impl::is_throttled(const Operation& op) const {
  const Publish* p = std::get_if<Publish>(&op.packet);
  return p != nullptr && p->qos != QoS::AtMostOnce;
}

void ClientSession::Impl::enqueue(Operation op, bool front) {
  journal_placed(op, 0);
  if (!is_throttled(op)) ++queued_unthrottled;
  op.queued_cost = queued_cost(op);
  queued_bytes += op.queued_cost;
  if (front) {
    queue.push_front(std::move(op));
  } else {
    queue.push_back(std::move(op));
  }
}

std::list<Operation>::iterator ClientSession::Impl::dequeue(std::list<Operation>::iterator it, bool throttled) {
  if (!throttled) --queued_unthrottled;
  queued_bytes -= it->queued_cost;
  return queue.erase(it);
}

void ClientSession::Impl::submit(Operation op, std::int64_t now) {
  // A QoS > 0 PUBLISH queued for Receive Maximum keeps its place in line;
  // everything else goes at once when connected.
  const bool waits_in_line = is_throttled(op) && queue.size() > queued_unthrottled;
  if (state() == SessionState::Connected && !waits_in_line) {
    if (try_send(op, now) != SendResult::Blocked) return;
  }
  enqueue(std::move(op), false);
}

Status ClientSession::Impl::write_publish(Publish& publish, std::int64_t now) {
  OutboundTopicAliases::Assignment alias;
  if (v5() && options().auto_topic_alias) alias = outbound_aliases.assign(publish.topic);
  if (alias.alias == 0) return send_publish(view_of(publish), now);

  // A known alias goes with an empty topic; a new one with the topic, which
  // (re)maps it on the server (3.3.2.3.4) [MQTT-3.3.2-9].
  publish.properties.topic_alias = alias.alias;
  PublishView aliased = view_of(publish);
  if (alias.known) aliased.topic = {};
  Status status = send_publish(aliased, now);
  publish.properties.topic_alias.reset();
  if (status) return status;
  // The alias is an optimisation of ours: it must never make a PUBLISH that
  // fits the server's Maximum Packet Size [MQTT-3.1.2-24] too large (a new
  // alias adds 3 bytes; a known one can too, for a 1-byte topic). Send it
  // plain instead; the server's mappings stay as they were.
  if (!alias.known) outbound_aliases.forget(alias.alias);
  if (status.error().reason != ReasonCode::PacketTooLarge) return status;
  return send_publish(view_of(publish), now);
}

void ClientSession::Impl::write_publish(const PublishView& publish, const PublishPlan& plain, std::int64_t now) {
  OutboundTopicAliases::Assignment alias;
  if (v5() && options().auto_topic_alias) alias = outbound_aliases.assign(publish.topic);
  // Keep alive counts from the last packet sent [MQTT-3.1.2-20].
  last_sent = now;
  if (alias.alias != 0) {
    // As in write_publish(Publish&): the topic with a new alias, none with a
    // known one, and plain when the alias would not fit.
    PublishView aliased = publish;
    aliased.topic_alias = alias.alias;
    if (alias.known) aliased.topic = {};
    if (Result<PublishPlan> p = plan_publish(aliased, encode_options())) {
      mqtt::write_publish(aliased, *p, options().version, out.bytes);
      return;
    }
    if (!alias.known) outbound_aliases.forget(alias.alias);
  }
  mqtt::write_publish(publish, plain, options().version, out.bytes);
}

ClientSession::Impl::SendResult ClientSession::Impl::try_send(Operation& op, std::int64_t now) {
  Publish* publish = std::get_if<Publish>(&op.packet);
  if (publish != nullptr) {
    // Limits may have changed since the call (a new connection's CONNACK).
    if (Status capable = check_capabilities(publish->qos, publish->retain); !capable) {
      fail_operation(op, capable.error());
      return SendResult::Failed;
    }
    if (publish->qos == QoS::AtMostOnce) {
      // QoS 0 needs no identifier and is not limited by Receive Maximum
      // (4.9); it is done once written [MQTT-4.3.1-1].
      if (Status written = write_publish(*publish, now); !written) {
        fail_operation(op, written.error());
        return SendResult::Failed;
      }
      journal_order(StoreEntry::Done, op);
      emit(PublishCompleteEvent{op.token, QoS::AtMostOnce, 0, 0, {}});
      return SendResult::Sent;
    }
    // [MQTT-3.3.4-7] [MQTT-4.9.0-2]
    if (inflight_publishes >= server.receive_maximum) return SendResult::Blocked;
  }

  const std::uint16_t id =
      packet_ids.next(inflight.size(), [this](std::uint16_t candidate) { return inflight.count(candidate) != 0; });
  if (id == 0) return SendResult::Blocked;

  Status sent = ok_status();
  if (publish != nullptr) {
    publish->packet_id = id;
    sent = write_publish(*publish, now);
    if (!sent) publish->packet_id = 0;
  } else if (auto* subscribe = std::get_if<Subscribe>(&op.packet)) {
    subscribe->packet_id = id;
    sent = send_kept(*subscribe, now);
  } else if (auto* unsubscribe = std::get_if<Unsubscribe>(&op.packet)) {
    unsubscribe->packet_id = id;
    sent = send_kept(*unsubscribe, now);
  }
  if (!sent) {
    fail_operation(op, sent.error());
    return SendResult::Failed;
  }
  if (publish != nullptr) ++inflight_publishes;
  journal_placed(inflight.emplace(id, std::move(op)).first->second, id);
  return SendResult::Sent;
}

void ClientSession::Impl::pump(std::int64_t now) {
  if (state() != SessionState::Connected) return;
  bool publishes_blocked = false;
  std::size_t unthrottled_left = queued_unthrottled;
  for (auto it = queue.begin(); it != queue.end();) {
    // Once QoS > 0 publishes must wait, only the others can still go; stop
    // when none of those is left so that each acknowledgement costs O(1).
    if (publishes_blocked && unthrottled_left == 0) break;
    const bool throttled = is_throttled(*it);
    if (throttled && publishes_blocked) {
      ++it;
      continue;
    }
    if (!throttled) --unthrottled_left;
    if (try_send(*it, now) == SendResult::Blocked) {
      if (!throttled) break;  // no packet identifier free: nothing else can go either
      publishes_blocked = true;
      ++it;
      continue;
    }
    it = dequeue(it, throttled);
  }
}

void ClientSession::Impl::fail_operation(Operation& op, Error error) {
  journal_order(StoreEntry::Done, op);  // refused: it would be refused again
  if (op.token != 0) {
    emit(OperationFailedEvent{op.token, std::move(error)});
  } else {
    error_event(error.reason, "resubscribe failed: " + error.message);
  }
}

void ClientSession::Impl::fail_all_pending(const Error& error) {
  std::vector<Operation*> pending;
  pending.reserve(inflight.size() + queue.size());
  for (auto& entry : inflight) pending.push_back(&entry.second);
  for (Operation& op : queue) pending.push_back(&op);
  std::sort(pending.begin(), pending.end(), [](const Operation* a, const Operation* b) { return a->order < b->order; });
  for (Operation* op : pending) {
    if (op->token != 0) emit(OperationFailedEvent{op->token, error});
  }
  inflight.clear();
  inflight_publishes = 0;
  queue.clear();
  queued_unthrottled = 0;
  queued_bytes = 0;
}

}  // namespace tpgate::mqtt
