// ClientSession: the connection life cycle. CONNECT/CONNACK, enhanced
// authentication, ending a connection (by us, the server or the transport),
// the reconnect schedule, and the user's disconnect().
#include <algorithm>
#include <string>
#include <utility>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

// CONNACK refusals that the same CONNECT would meet again: reconnecting cannot
// help, the configuration (credentials, client id, version, will) must change.
bool is_permanent_refusal(ReasonCode reason) {
  switch (reason) {
    case ReasonCode::UnsupportedProtocolVersion:
    case ReasonCode::ClientIdentifierNotValid:
    case ReasonCode::BadUserNameOrPassword:
    case ReasonCode::NotAuthorized:
    case ReasonCode::Banned:
    case ReasonCode::BadAuthenticationMethod:
    case ReasonCode::RetainNotSupported:  // will retain refused [MQTT-3.2.2-13]
    case ReasonCode::QoSNotSupported:     // will QoS refused [MQTT-3.2.2-12]
      return true;
    default:
      return false;
  }
}

std::string describe(std::string_view what, ReasonCode reason, const Properties& properties) {
  std::string text(what);
  text += reason_code_name(static_cast<std::uint8_t>(reason));
  if (properties.reason_string) text += " (" + *properties.reason_string + ")";
  return text;
}

}  // namespace

void ClientSession::Impl::start(std::int64_t now) {
  if (state() == SessionState::WaitingToReconnect) {
    // The host knows better than the timer (the network came back): try now,
    // keeping the backoff attempt count.
    state() = SessionState::Connecting;
    out.open_transport = true;
    return;
  }
  if (state() != SessionState::Idle && state() != SessionState::Closed) return;
  reconnect_attempt = 0;
  if (!v5() && client_id.empty() && !clean_start) {
    // Every CONNECT would be refused [MQTT-3.1.3-7] [MQTT-3.1.3-8]: say so
    // before a transport is opened.
    state() = SessionState::Connecting;
    Ending ending{make_error(ReasonCode::ClientIdentifierNotValid,
                             "an empty client identifier needs clean start (CleanSession 1) in MQTT 3.1.1 "
                             "[MQTT-3.1.3-7]: set a client identifier, or use MQTT 5 where the server assigns one")};
    ending.close_transport = false;
    ending.permanent = true;
    end_connection(std::move(ending), now);
    return;
  }
  state() = SessionState::Connecting;
  out.open_transport = true;
}

void ClientSession::Impl::transport_open(std::int64_t now) {
  if (state() != SessionState::Connecting) {
    // A transport nobody asked for (the session closed meanwhile): drop it.
    if (!transport_up()) out.close_transport = true;
    return;
  }
  const SessionOptions& o = options();
  decoder.reset();
  decoder.set_version(o.version);
  // Nothing is known about the new connection until its CONNACK.
  server = ServerLimits{};
  ping_deadline.reset();
  keep_alive_ms = static_cast<std::uint32_t>(o.keep_alive_s) * 1000U;
  outbound_aliases.reset(0);
  if (v5()) {
    // We enforce what we announce: a larger packet is refused by the decoder
    // [MQTT-3.1.2-24], aliases above our maximum by the alias table.
    decoder.set_max_packet_size(o.connect_properties.maximum_packet_size.value_or(0));
    inbound_aliases.reset(o.connect_properties.topic_alias_maximum.value_or(0));
  }

  Connect connect;
  connect.version = o.version;
  connect.clean_start = clean_start;
  connect.keep_alive = o.keep_alive_s;
  connect.client_id = client_id;
  connect.will = o.will;
  connect.username = o.username;
  connect.password = o.password;
  if (v5()) connect.properties = o.connect_properties;
  sent_clean_start = clean_start;

  state() = SessionState::AwaitingConnAck;
  connect_deadline = now + o.connect_timeout_ms;
  // The first packet on the connection [MQTT-3.1.0-1].
  if (Status sent = send(connect, now); !sent) {
    // Options the encoder refuses (a will topic with a wildcard, ...) would be
    // refused on every attempt.
    Ending ending{make_error(sent.error().reason, "CONNECT cannot be sent: " + sent.error().message)};
    ending.permanent = true;
    end_connection(std::move(ending), now);
  }
}

void ClientSession::Impl::transport_closed(std::int64_t now, std::string why) {
  switch (state()) {
    case SessionState::Connecting:
    case SessionState::AwaitingConnAck:
    case SessionState::Connected: {
      Ending ending{make_error(ReasonCode::UnspecifiedError, std::move(why))};
      ending.close_transport = false;
      end_connection(std::move(ending), now);
      break;
    }
    default:
      // Already ended by us (the host is confirming the close), or not started.
      break;
  }
}

void ClientSession::Impl::apply_server_limits(const Properties& p) {
  server = ServerLimits{};
  // Receive Maximum [MQTT-3.3.4-7], Maximum QoS [MQTT-3.2.2-11], Retain
  // Available [MQTT-3.2.2-14], Maximum Packet Size [MQTT-3.2.2-15], Topic
  // Alias Maximum [MQTT-3.2.2-17]; absent means the protocol default.
  server.receive_maximum = p.receive_maximum.value_or(65'535);
  if (server.receive_maximum == 0) server.receive_maximum = 65'535;  // 0 is a Protocol Error; the decoder refuses it
  server.maximum_qos = static_cast<QoS>(std::min<std::uint8_t>(p.maximum_qos.value_or(2), 2));
  server.retain_available = p.retain_available.value_or(1) != 0;
  server.wildcard_subscription_available = p.wildcard_subscription_available.value_or(1) != 0;
  server.subscription_identifier_available = p.subscription_identifier_available.value_or(1) != 0;
  server.shared_subscription_available = p.shared_subscription_available.value_or(1) != 0;
  server.topic_alias_maximum = p.topic_alias_maximum.value_or(0);
  server.maximum_packet_size = p.maximum_packet_size.value_or(0);
  // The server's keep alive replaces ours [MQTT-3.2.2-21].
  if (p.server_keep_alive) keep_alive_ms = static_cast<std::uint32_t>(*p.server_keep_alive) * 1000U;
  // Reconnects must present the identifier the server made up for us, or the
  // server cannot find the session again (3.2.2.3.7).
  if (p.assigned_client_identifier && *p.assigned_client_identifier != client_id) {
    client_id = *p.assigned_client_identifier;
    journal_client_id(client_id);
  }
  outbound_aliases.reset(options().auto_topic_alias ? server.topic_alias_maximum : 0);
}

void ClientSession::Impl::on_connack(ConnAck& connack, std::int64_t now) {
  const bool refused = v5() ? connack.reason_code >= 0x80 : connack.reason_code != 0;
  if (refused) {
    const ReasonCode reason =
        v5() ? static_cast<ReasonCode>(connack.reason_code) : reason_from_311_connack(connack.reason_code);
    Ending ending{make_error(reason, describe("connection refused: ", reason, connack.properties))};
    ending.by_server = true;
    ending.properties = std::move(connack.properties);
    ending.permanent = is_permanent_refusal(reason);
    // The server closes the connection after a refusal [MQTT-3.2.2-7]; we close our side too.
    end_connection(std::move(ending), now);
    return;
  }
  if (connack.session_present && sent_clean_start) {
    // We asked for a new session and hold none to resume [MQTT-3.2.2-4].
    fail_connection(make_error(ReasonCode::ProtocolError, "CONNACK has Session Present set after Clean Start"),
                    now);
    return;
  }

  state() = SessionState::Connected;
  reconnect_attempt = 0;
  if (v5()) apply_server_limits(connack.properties);
  // Reconnects in v5 send Clean Start 0, whatever the first connect used:
  // with a Session Expiry Interval the server kept our session and resumes it
  // [MQTT-3.1.2-5], without one it has none and says so in Session Present,
  // which restart_session() handles. The user's clean_start therefore means
  // "start this session afresh", not "lose state on every network blip".
  // In 3.1.1 the flag also sets whether the server keeps the session at all
  // (3.1.2.4), so it stays as configured.
  if (v5()) clean_start = false;

  const bool present = connack.session_present;
  emit(ConnectedEvent{present, std::move(connack)});
  if (present) {
    resume_session(now);
  } else {
    restart_session(now);
  }
  pump(now);
}

void ClientSession::Impl::end_connection(Ending ending, std::int64_t now) {
  if (ending.send_disconnect && v5()) {
    Disconnect disconnect;
    disconnect.reason_code = static_cast<std::uint8_t>(ending.reason.reason);
    (void)send(disconnect, now);
  }
  if (ending.close_transport) out.close_transport = true;
  ping_deadline.reset();

  DisconnectedEvent event;
  event.reason = ending.reason;
  event.by_server = ending.by_server;
  event.properties = std::move(ending.properties);

  if (!ending.permanent && options().reconnect.enabled) {
    const ReconnectPolicy& policy = options().reconnect;
    const std::uint32_t delay =
        reconnect_delay_ms(policy.min_delay_ms, policy.max_delay_ms, reconnect_attempt, jitter.next());
    if (reconnect_attempt != UINT32_MAX) ++reconnect_attempt;
    reconnect_at = now + delay;
    state() = SessionState::WaitingToReconnect;
    event.reconnect_at = reconnect_at;
    emit(std::move(event));
    return;
  }
  state() = SessionState::Closed;
  emit(std::move(event));
  fail_all_pending(make_error(ending.reason.reason, "the session closed: " + ending.reason.message));
}

void ClientSession::Impl::fail_connection(Error error, std::int64_t now) {
  // A Malformed Packet or Protocol Error from the server closes the
  // connection, after a DISCONNECT with the reason in v5 [MQTT-4.13.1-1] (4.13).
  Ending ending{std::move(error)};
  ending.send_disconnect = true;
  end_connection(std::move(ending), now);
}

void ClientSession::Impl::disconnect(std::int64_t now, ReasonCode reason, Properties properties) {
  if (state() == SessionState::Closed) return;
  const bool was_up = transport_up();
  if (was_up) {
    Disconnect disconnect;
    if (v5()) {
      disconnect.reason_code = static_cast<std::uint8_t>(reason);
      disconnect.properties = std::move(properties);
    }
    if (!send(disconnect, now)) {
      // Properties above the server's Maximum Packet Size: they are optional,
      // the DISCONNECT is not [MQTT-3.14.2-3].
      disconnect.properties = Properties{};
      (void)send(disconnect, now);
    }
  }
  if (was_up || state() == SessionState::Connecting) out.close_transport = true;
  state() = SessionState::Closed;
  ping_deadline.reset();
  if (was_up) emit(DisconnectedEvent{make_error(reason, "disconnected by the client"), false, {}, std::nullopt});
  fail_all_pending(make_error(ReasonCode::UnspecifiedError, "the session was closed by disconnect()"));
}

Status ClientSession::Impl::auth(Auth packet, std::int64_t now) {
  if (!v5()) return make_error(ReasonCode::ProtocolError, "AUTH exists only in MQTT 5");
  if (!transport_up()) return make_error(ReasonCode::UnspecifiedError, "AUTH needs an open connection");
  const auto& method = options().connect_properties.authentication_method;
  if (!method) {
    // [MQTT-4.12.0-7]
    return make_error(ReasonCode::ProtocolError, "AUTH needs an Authentication Method in the CONNECT properties");
  }
  // Before CONNACK the client only answers the server's challenge, with 0x18
  // [MQTT-4.12.0-3]; after it, 0x19 starts a re-authentication [MQTT-4.12.1-1]
  // and 0x18 continues one.
  const auto reason = static_cast<ReasonCode>(packet.reason_code);
  const bool before_connack = state() == SessionState::AwaitingConnAck;
  if (reason != ReasonCode::ContinueAuthentication && (before_connack || reason != ReasonCode::ReAuthenticate)) {
    return make_error(ReasonCode::ProtocolError,
                      "AUTH from a client carries reason code 0x18 (Continue authentication)" +
                          std::string(before_connack ? " before CONNACK [MQTT-4.12.0-3]"
                                                     : " or 0x19 (Re-authenticate) [MQTT-4.12.1-1]") +
                          ", not 0x" + [](std::uint8_t c) {
                            constexpr char kHex[] = "0123456789abcdef";
                            return std::string{kHex[c >> 4], kHex[c & 15]};
                          }(packet.reason_code));
  }
  // Every AUTH carries the method of the CONNECT [MQTT-4.12.0-5] [MQTT-4.12.1-1].
  if (!packet.properties.authentication_method) {
    packet.properties.authentication_method = method;
  } else if (*packet.properties.authentication_method != *method) {
    return make_error(ReasonCode::ProtocolError, "AUTH must carry the Authentication Method of the CONNECT ('" +
                                                     *method + "'), not '" + *packet.properties.authentication_method +
                                                     "' [MQTT-4.12.0-5]");
  }
  return send_kept(packet, now);
}

}  // namespace tpgate::mqtt
