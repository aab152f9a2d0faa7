// Private state of ClientSession, shared by the session_*.cpp files:
//   session.cpp            public entry points, timers, deadlines
//   session_connection.cpp CONNECT/CONNACK, ending a connection, reconnect
//   session_outbound.cpp   publish/subscribe/unsubscribe calls, queue, sending
//   session_acks.cpp       PUBACK, PUBREC/PUBCOMP, SUBACK, UNSUBACK
//   session_resume.cpp     in-flight operations on a new connection
//   session_inbound.cpp    the receive loop and the server's packets
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mqtt/backoff.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/packet_id.hpp"
#include "mqtt/session.hpp"
#include "mqtt/topic_alias.hpp"

namespace tpgate::mqtt {

// One publish/subscribe/unsubscribe call, from the moment it is made until it
// completes or fails.
struct Operation {
  Token token = 0;  // 0: a resubscribe started by the session itself (no completion event)
  std::uint64_t order = 0;  // call order: resends keep it [MQTT-4.6.0-1]
  std::variant<Publish, Subscribe, Unsubscribe> packet;
  bool released = false;  // QoS 2: PUBREC received and PUBREL sent [MQTT-4.3.3-4]
  // QoS 2: the PUBREL was sent again on a resumed session, so the server may
  // have completed the exchange already (MQTT 5.0 3.7.2.1).
  bool release_resent = false;
  bool journaled = false;  // a put entry for it is in the journal (session_store.cpp)
  bool restored = false;   // taken up from a store by restore()
  std::size_t queued_cost = 0;  // what it counts in queued_bytes while queued (enqueue())
};

// About the heap bytes an operation holds while queued: its list node and what its
// packet points to (SessionOptions::max_queued_bytes).
std::size_t queued_cost(const Operation& op);
std::size_t queued_cost(std::string_view topic, std::size_t payload_size);

// What the server told us in CONNACK (3.2.2.3), with the defaults that apply
// to absent properties.
struct ServerLimits {
  std::uint16_t receive_maximum = 65'535;
  QoS maximum_qos = QoS::ExactlyOnce;
  bool retain_available = true;
  bool wildcard_subscription_available = true;
  bool subscription_identifier_available = true;
  bool shared_subscription_available = true;
  std::uint16_t topic_alias_maximum = 0;
  std::uint32_t maximum_packet_size = 0;  // 0 = protocol maximum
};

// A subscription the server granted, remembered so it can be made again when
// a reconnect finds no session.
struct GrantedSubscription {
  Subscription subscription;
  std::uint32_t subscription_identifier = 0;  // 0 = none (0 is not a valid identifier)
};

// An incoming QoS 2 message between PUBLISH and PUBCOMP: its identifier and a
// fingerprint of its topic and payload.
struct InboundQoS2 {
  std::uint16_t packet_id = 0;
  std::uint64_t fingerprint = 0;
};

// How a connection ends.
struct Ending {
  explicit Ending(Error why) : reason(std::move(why)) {}
  Error reason;
  bool by_server = false;
  Properties properties;          // of the server's DISCONNECT or CONNACK
  bool send_disconnect = false;   // v5: send DISCONNECT with reason.reason first
  bool close_transport = true;    // false when the transport is already gone
  bool permanent = false;         // never reconnect
};

struct ClientSession::Impl {
  explicit Impl(SessionOptions session_options);

  // --- session.cpp ----------------------------------------------------------
  const SessionOptions& options() const { return options_; }
  SessionState& state() { return state_; }
  SessionState state() const { return state_; }
  bool v5() const { return options().version == ProtocolVersion::v5; }
  bool transport_up() const;
  void tick(std::int64_t now);
  std::optional<std::int64_t> next_deadline() const;
  std::uint32_t ping_timeout_ms() const;
  // Encodes `packet` after the bytes already waiting; on error nothing is written.
  Status send(const Packet& packet, std::int64_t now);
  // send() for a PUBLISH, without a Packet.
  Status send_publish(const PublishView& publish, std::int64_t now);
  // Same, for a packet the session keeps: moved into a Packet and back, so
  // its payload is not copied.
  template <class T>
  Status send_kept(T& packet, std::int64_t now) {
    Packet wire(std::in_place_type<T>, std::move(packet));
    Status status = send(wire, now);
    packet = std::move(*std::get_if<T>(&wire));
    return status;
  }
  void emit(Event event) {
    if (sink != nullptr) {
      sink->event(std::move(event));
    } else {
      out.events.push_back(std::move(event));
    }
  }
  void error_event(ReasonCode reason, std::string message);

  // --- session_connection.cpp ----------------------------------------------
  void start(std::int64_t now);
  void transport_open(std::int64_t now);
  void transport_closed(std::int64_t now, std::string why);
  void on_connack(ConnAck& connack, std::int64_t now);
  void apply_server_limits(const Properties& properties);
  // Closes the connection (asking the host to), reports it, and either
  // schedules a reconnect or closes the session.
  void end_connection(Ending ending, std::int64_t now);
  // Protocol violation by the server: v5 DISCONNECT with the reason, close.
  void fail_connection(Error error, std::int64_t now);
  void disconnect(std::int64_t now, ReasonCode reason, Properties properties);
  Status auth(Auth packet, std::int64_t now);

  // --- session_outbound.cpp, session_acks.cpp, session_resume.cpp ----------
  Result<Token> publish(Publish message, std::int64_t now);
  Result<Token> publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos, bool retain,
                        std::int64_t now);
  Result<Token> subscribe(std::vector<Subscription> subscriptions, Properties properties, std::int64_t now);
  Result<Token> unsubscribe(std::vector<std::string> filters, Properties properties, std::int64_t now);
  Token new_token();
  template <class T>
  Result<Token> submit_request(T packet, std::int64_t now);
  // Room in the queue for one more operation of `cost` (queued_cost()).
  Status check_room(std::size_t cost) const;
  // Checks the server's limits that apply to a PUBLISH [MQTT-3.2.2-11] [MQTT-3.2.2-14].
  Status check_capabilities(QoS qos, bool retain) const;
  void submit(Operation op, std::int64_t now);
  enum class SendResult : std::uint8_t { Sent, Blocked, Failed };
  // Sends a new operation if the protocol allows it now; Blocked when it must
  // wait (Receive Maximum reached or no packet identifier free); Failed (and
  // reported) when it can never be sent.
  SendResult try_send(Operation& op, std::int64_t now);
  // Writes a PUBLISH, giving it a topic alias when that is on.
  Status write_publish(Publish& publish, std::int64_t now);
  // Same for a message without properties whose plain form (`plain`, the
  // topic checked) fits the server's Maximum Packet Size: cannot fail.
  void write_publish(const PublishView& publish, const PublishPlan& plain, std::int64_t now);
  EncodeOptions encode_options() const { return EncodeOptions{options().version, server.maximum_packet_size}; }
  // Sends queued operations while there is room.
  void pump(std::int64_t now);
  void fail_operation(Operation& op, Error error);
  void fail_all_pending(const Error& error);
  void complete_publish(std::map<std::uint16_t, Operation>::iterator it, std::uint8_t reason,
                        Properties properties, std::int64_t now);
  // After CONNACK with Session Present: resend what the server's session is
  // still waiting for, with the original identifiers [MQTT-4.4.0-1].
  void resume_session(std::int64_t now);
  // After CONNACK without a session: start over in a fresh flow.
  void restart_session(std::int64_t now);
  void on_puback(PubAck& ack, std::int64_t now);
  void on_pubrec(PubRec& rec, std::int64_t now);
  void on_pubcomp(PubComp& comp, std::int64_t now);
  void on_suback(SubAck& ack, std::int64_t now);
  void on_unsuback(UnsubAck& ack, std::int64_t now);
  bool is_throttled(const Operation& op) const;
  // Every way into and out of the queue, so that queued_bytes stays the sum.
  void enqueue(Operation op, bool front);
  std::list<Operation>::iterator dequeue(std::list<Operation>::iterator it, bool throttled);

  // --- session_store.cpp ----------------------------------------------------
  // Journal entries (mqtt/session_store.hpp), each a no-op without options().journal.
  bool journaling() const { return options_.journal; }
  // `op` now waits under packet id `id` (0: in the queue): a put entry the
  // first time, a move entry after that. Resubscribes (token 0) are not kept.
  void journal_placed(Operation& op, std::uint16_t id);
  // A released or done entry for a journaled operation.
  void journal_order(StoreEntry kind, Operation& op);
  void journal_inbound(std::uint16_t packet_id, std::uint64_t fingerprint);
  void journal_completed(std::uint16_t packet_id);
  void journal_cleared();
  void journal_granted(const GrantedSubscription& granted);
  void journal_ungranted(const std::string& filter);
  void journal_client_id(const std::string& id);
  // The put entry of `op` under packet id `id`.
  void write_put(Bytes& into, const Operation& op, std::uint16_t id) const;
  Result<RestoreReport> restore(std::span<const std::uint8_t> log, std::string_view server, bool recover);
  Bytes snapshot(std::string_view server) const;

  // --- session_inbound.cpp --------------------------------------------------
  void receive(std::span<const std::uint8_t> bytes, std::int64_t now);
  void on_packet(Packet& packet, std::int64_t now);
  void on_publish(Publish& publish, std::int64_t now);
  // A PUBLISH read in place (the decoder's ReceivedPublish).
  void on_publish(PublishView& publish, Properties& properties, std::int64_t now);
  // The QoS flows of a received PUBLISH, its topic resolved; `owned` is the
  // Publish that `publish` views when there is one (moved into the event).
  void accept_publish(const PublishView& publish, Publish* owned, std::int64_t now);
  void deliver(const PublishView& publish, Publish* owned);
  void on_pubrel(const PubRel& rel, std::int64_t now);
  void on_server_disconnect(Disconnect& disconnect, std::int64_t now);

  // All of the session's state lives here, so ClientSession moves as one pointer.
  SessionOptions options_;
  SessionState state_ = SessionState::Idle;
  Decoder decoder;
  Output out;
  EventSink* sink = nullptr;  // set_event_sink()
  // What receive() decodes into is shared by the sessions of a thread (session_inbound.cpp).

  // Connection.
  std::string client_id;        // configured, then the server's Assigned Client Identifier
  bool clean_start = true;      // for the next CONNECT
  bool sent_clean_start = true; // in the CONNECT of the current connection
  ServerLimits server;
  std::uint32_t keep_alive_ms = 0;
  std::int64_t last_sent = 0;
  std::int64_t connect_deadline = 0;
  std::optional<std::int64_t> ping_deadline;  // set while a PINGREQ awaits its PINGRESP
  std::int64_t reconnect_at = 0;
  std::uint32_t reconnect_attempt = 0;
  JitterSource jitter;

  // Operations.
  Token last_token = 0;
  std::uint64_t last_order = 0;
  PacketIdCursor packet_ids;
  std::map<std::uint16_t, Operation> inflight;  // by packet identifier
  std::size_t inflight_publishes = 0;  // QoS > 0 PUBLISH counted against Receive Maximum
  std::list<Operation> queue;
  std::size_t queued_unthrottled = 0;  // queued operations not subject to Receive Maximum
  std::size_t queued_bytes = 0;        // the queued_cost of every queued operation
  std::map<std::string, GrantedSubscription> granted;  // by topic filter
  // QoS 2 messages received and answered with PUBREC, awaiting PUBREL (sorted by id).
  std::vector<InboundQoS2> inbound_qos2;
  // The last QoS 2 messages completed with PUBCOMP, oldest first, at most
  // options().inbound_qos2_window of them; see on_publish.
  std::deque<InboundQoS2> completed_qos2;
  // The host's records kept with the session (ClientSession::note()).
  std::map<std::string, Bytes, std::less<>> notes;
  OutboundTopicAliases outbound_aliases;
  InboundTopicAliases inbound_aliases;
};

}  // namespace tpgate::mqtt
