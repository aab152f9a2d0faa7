// A sans-I/O MQTT 3.1.1 / 5.0 client session.
//
// The session never touches a socket or a clock. The host (JS, a test, the
// emulator) owns the transport and time:
//
//   host                                  ClientSession
//   ----                                  -------------
//   start(now)                       ->   output.open_transport = true
//   (opens a socket) transport_open(now) ->   CONNECT bytes in output.bytes
//   receive(bytes, now)              ->   ConnectedEvent, MessageEvent, ... + reply bytes
//   publish/subscribe/...(now)       ->   a Token now; a *CompleteEvent later
//   tick(now) at next_deadline()     ->   PINGREQ, timeouts, reconnect (open_transport)
//   transport_closed(now)            ->   DisconnectedEvent, reconnect scheduled
//
// After every call the host drains take_output(): writes `bytes` in order,
// then opens/closes the transport as asked, handles `events`, and arranges to
// call tick() at next_deadline().
//
// Delivery guarantees kept across reconnects: QoS 1/2 publishes not yet
// acknowledged are resent (DUP=1 when the server kept the session, as new
// publishes when it did not), PUBREL is resent for QoS 2 publishes that got
// their PUBREC, incoming QoS 2 messages are delivered exactly once, and
// subscriptions are sent again when the server has no session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt/packets.hpp"
#include "mqtt/session_store.hpp"
#include "mqtt/types.hpp"

namespace tpgate::mqtt {

// Handle of one publish/subscribe/unsubscribe call; its completion event
// carries the same token. Never 0.
using Token = std::uint32_t;

struct ReconnectPolicy {
  bool enabled = true;
  std::uint32_t min_delay_ms = 500;
  std::uint32_t max_delay_ms = 30'000;
  // Exponential backoff with full jitter: before attempt n (0-based, reset by
  // a successful CONNACK) the delay is uniform in
  // [min_delay_ms, min(max_delay_ms, min_delay_ms * 2^n)].
};

struct SessionOptions {
  ProtocolVersion version = ProtocolVersion::v5;
  std::string client_id;
  bool clean_start = true;
  std::uint16_t keep_alive_s = 60;
  std::optional<std::string> username;
  std::optional<Bytes> password;
  std::optional<Will> will;
  // v5 CONNECT properties (session expiry, receive maximum, topic alias
  // maximum, maximum packet size, authentication method/data, ...). The
  // session enforces the limits it announces here on what it receives.
  Properties connect_properties;
  // Publishes, subscribes and unsubscribes waiting for a connection or for
  // room under the server's Receive Maximum. Past this, publish() fails with
  // QuotaExceeded instead of dropping anything.
  std::size_t max_queued = 10'000;
  // The same queue bounded by memory: about the heap bytes its operations hold
  // (ClientSession::queued_bytes()). Past it, publish() fails with QuotaExceeded
  // too; an empty queue takes any one operation. 0: no bound but max_queued.
  std::size_t max_queued_bytes = 0;
  std::uint32_t connect_timeout_ms = 30'000;  // transport open -> CONNACK
  // Time allowed for PINGRESP after a PINGREQ; 0 = min(keep alive, 30 s).
  std::uint32_t ping_timeout_ms = 0;
  ReconnectPolicy reconnect;
  std::uint64_t random_seed = 1;  // jitter source; the host seeds it
  // v5: give repeated outbound topics aliases, up to the server's Topic Alias
  // Maximum, least recently used evicted first.
  bool auto_topic_alias = true;
  // Resubscribe to everything subscribed so far when a (re)connect finds no
  // session on the server.
  bool resubscribe = true;
  // How many completed incoming QoS 2 messages to remember (identifier and a
  // fingerprint of topic and payload) so that a broker's resend of one of them
  // (DUP set) is acknowledged but not delivered twice. 0 turns it off.
  std::size_t inbound_qos2_window = 256;
  // Write every change to the state a restart must keep to Output::journal,
  // for a session store (mqtt/session_store.hpp).
  bool journal = false;
};

enum class SessionState : std::uint8_t {
  Idle,              // created, start() not called
  Connecting,        // waiting for the host to open the transport
  AwaitingConnAck,   // CONNECT sent
  Connected,
  WaitingToReconnect,
  Disconnecting,     // DISCONNECT sent, waiting for the host to close
  Closed,            // ended by the user or by a permanent refusal
};

struct ConnectedEvent {
  bool session_present = false;
  ConnAck connack;  // with the server's v5 properties
};

struct MessageEvent {
  Publish publish;  // topic already resolved from a topic alias
};

// PUBACK (QoS 1), PUBCOMP (QoS 2), an error PUBREC (QoS 2), or the write of a
// QoS 0 publish.
struct PublishCompleteEvent {
  Token token = 0;
  QoS qos = QoS::AtMostOnce;
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;  // < 0x80 success
  Properties properties;
};

struct SubscribeCompleteEvent {
  Token token = 0;
  SubAck suback;
};

struct UnsubscribeCompleteEvent {
  Token token = 0;
  UnsubAck unsuback;
};

// An operation that will never complete: the session was closed, the server
// refused it outright, or it could not be encoded.
struct OperationFailedEvent {
  Token token = 0;
  Error error;
};

struct DisconnectedEvent {
  Error reason;            // why (server's reason code, keep-alive timeout, refusal, transport loss)
  bool by_server = false;  // a DISCONNECT or refusing CONNACK from the server
  Properties properties;   // of the server's DISCONNECT/CONNACK (reason string, server reference)
  std::optional<std::int64_t> reconnect_at;  // when the next attempt starts, if one will
};

// The server sent AUTH; answer with ClientSession::auth().
struct AuthEvent {
  Auth auth;
};

// Something wrong that did not end the connection (for example an
// acknowledgement for an unknown packet id).
struct ErrorEvent {
  Error error;
};

using Event = std::variant<ConnectedEvent, MessageEvent, PublishCompleteEvent, SubscribeCompleteEvent,
                           UnsubscribeCompleteEvent, OperationFailedEvent, DisconnectedEvent, AuthEvent,
                           ErrorEvent>;

struct Output {
  Bytes bytes;                 // write these to the transport, in order
  // With SessionOptions::journal: entries for the store, to be appended to it
  // before `bytes` are written (mqtt/session_store.hpp).
  Bytes journal;
  std::vector<Event> events;   // in the order they happened
  bool open_transport = false;   // open a transport, then call transport_open()
  bool close_transport = false;  // close the transport (after writing `bytes`)
};

// Where a host that packs the output its own way (the wasm bindings) takes
// events as they happen, received messages read in place among them: see
// ClientSession::set_event_sink().
class EventSink {
 public:
  virtual ~EventSink() = default;
  // A received message, topic resolved from its alias (and the Topic Alias
  // property removed), exactly when a MessageEvent would be emitted. Topic,
  // payload and properties are views valid during this call only.
  virtual void message(const PublishView& message) = 0;
  // Every other event, in order with the messages.
  virtual void event(Event&& event) = 0;
  // A QoS 0 message of publish(topic, payload, ...) was written: what a
  // PublishCompleteEvent{token, QoS 0} says, without building one.
  virtual void published(Token token) { event(PublishCompleteEvent{token, QoS::AtMostOnce, 0, 0, {}}); }
};

class ClientSession {
 public:
  explicit ClientSession(SessionOptions options);

  // --- transport life cycle -------------------------------------------------
  // Begin connecting: asks the host to open a transport.
  void start(std::int64_t now);
  // The transport is open: sends CONNECT.
  void transport_open(std::int64_t now);
  // Bytes from the transport, any chunking.
  void receive(std::span<const std::uint8_t> bytes, std::int64_t now);
  // The transport closed (or failed to open). Schedules a reconnect if allowed.
  void transport_closed(std::int64_t now, std::string why = "connection lost");
  // Timers: call at or after next_deadline().
  void tick(std::int64_t now);

  // --- operations -----------------------------------------------------------
  // packet_id in `message` is ignored (the session allocates one). Fails at
  // once for invalid topics, QoS above the server's maximum, packets above the
  // server's Maximum Packet Size, or a full queue.
  Result<Token> publish(Publish message, std::int64_t now);
  // publish() of a message without properties, its topic and payload read
  // where they are: the same checks, packet, events and errors, but while
  // connected a QoS 0 message is validated, measured and written once,
  // straight into the output; nothing is copied unless the message must be
  // kept (QoS 1 and 2, or waiting for a connection or the Receive Maximum).
  Result<Token> publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos, bool retain,
                        std::int64_t now);
  Result<Token> subscribe(std::vector<Subscription> subscriptions, Properties properties, std::int64_t now);
  Result<Token> unsubscribe(std::vector<std::string> filters, Properties properties, std::int64_t now);
  // Continue or start (ReAuthenticate) an enhanced authentication exchange.
  Status auth(Auth packet, std::int64_t now);
  // Graceful end: sends DISCONNECT (with `reason`, v5), asks the host to close,
  // never reconnects. Every pending operation fails with OperationFailedEvent.
  void disconnect(std::int64_t now, ReasonCode reason = ReasonCode::NormalDisconnection,
                  Properties properties = {});

  // --- session store (mqtt/session_store.hpp) ----------------------------------
  // Before start(): takes up the state a store's log describes (a snapshot and
  // the journals appended after it). `server` names the server the host
  // connects to; a log of another client identifier or server is refused
  // (ErrorKind::Store, path "mismatch"), as is one written by a newer format
  // ("version"). A log cut short inside its last entry (a crash during an
  // append) is read up to that entry: what the torn entry protected was never
  // written to the server. Damage before the last entry is refused
  // ("corrupt") unless `recover`, which keeps the entries before it. With
  // clean_start, only outbound messages are taken (the server will have no
  // session). Restored operations get new tokens.
  Result<RestoreReport> restore(std::span<const std::uint8_t> log, std::string_view server, bool recover = false);
  // The whole state as a log that restore() reads: a store replaces its
  // content with it to compact. Leaves Output::journal alone.
  Bytes snapshot(std::string_view server) const;
  // The host's own records, kept in the store with the session: journaled now,
  // part of every snapshot, restored by restore(). Only with journal on.
  void note(std::string_view key, std::span<const std::uint8_t> value);
  void forget(std::string_view key);
  const std::map<std::string, Bytes, std::less<>>& notes() const;
  // Publishes restored by restore() and not yet complete, oldest first.
  std::vector<const Publish*> restored_publishes() const;

  // --- results --------------------------------------------------------------
  // From now on events go to `sink` as they happen, and Output::events stays
  // empty; received PUBLISH packets are then read in place (no copy of topic
  // or payload on the way). nullptr goes back to Output::events. The sink
  // must outlive the session or be unset first.
  void set_event_sink(EventSink* sink);
  Output take_output();
  // The same into `into` (emptied first), which gives its memory to the
  // session for the next output: no allocation per drain.
  void take_output(Output& into);
  bool has_output() const;
  std::optional<std::int64_t> next_deadline() const;
  SessionState state() const;
  const SessionOptions& options() const;
  // Counts for diagnostics and tests.
  std::size_t inflight_count() const;
  std::size_t queued_count() const;
  // About the heap bytes the queued operations hold (SessionOptions::max_queued_bytes).
  std::size_t queued_bytes() const;

 private:
  struct Impl;  // every piece of state (session_impl.hpp)
  std::unique_ptr<Impl> impl_;

 public:
  ~ClientSession();
  ClientSession(ClientSession&&) noexcept;
  ClientSession& operator=(ClientSession&&) noexcept;
};

}  // namespace tpgate::mqtt
