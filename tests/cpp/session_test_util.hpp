// Scripted conversations with a ClientSession on a fake clock: the test plays
// the host and the server, feeds annotated bytes and checks every output
// (bytes written, events, open/close requests, next deadline).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>

#include "mqtt/session.hpp"

namespace tpgate::mqtt::test {

// "10 0f 00 04": byte mismatches print readably.
inline std::string hex(const Bytes& bytes) {
  std::string text;
  char buffer[4];
  for (std::uint8_t b : bytes) {
    std::snprintf(buffer, sizeof buffer, "%02x ", b);
    text += buffer;
  }
  if (!text.empty()) text.pop_back();
  return text;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

inline Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

inline std::string event_name(const Event& event) {
  static constexpr const char* kNames[] = {"Connected",     "Message",           "PublishComplete",
                                           "SubscribeComplete", "UnsubscribeComplete", "OperationFailed",
                                           "Disconnected",  "Auth",              "Error"};
  return kNames[event.index()];
}

// "Connected PublishComplete": the kinds of events, in order.
inline std::string event_names(const Output& out) {
  std::string names;
  for (const Event& e : out.events) {
    if (!names.empty()) names += ' ';
    names += event_name(e);
  }
  return names;
}

template <class T>
const T* event_at(const Output& out, std::size_t index) {
  return index < out.events.size() ? std::get_if<T>(&out.events[index]) : nullptr;
}

inline SessionOptions options_v5() {
  SessionOptions o;
  o.version = ProtocolVersion::v5;
  o.client_id = "c1";
  o.keep_alive_s = 60;
  o.reconnect.min_delay_ms = 1000;
  o.reconnect.max_delay_ms = 8000;
  return o;
}

inline SessionOptions options_311() {
  SessionOptions o = options_v5();
  o.version = ProtocolVersion::v311;
  return o;
}

inline Publish message(std::string topic, std::string_view payload, QoS qos, bool retain = false) {
  Publish p;
  p.topic = std::move(topic);
  p.payload = text_bytes(payload);
  p.qos = qos;
  p.retain = retain;
  return p;
}

// CONNECT of options_v5(): Clean Start as given, keep alive 60, client "c1".
inline Bytes connect_v5(bool clean_start = true) {
  return {0x10, 0x0F,                          // CONNECT, remaining length 15
          0x00, 0x04, 'M', 'Q', 'T', 'T',      // protocol name
          0x05,                                // protocol version 5
          std::uint8_t(clean_start ? 0x02 : 0x00),  // connect flags: clean start
          0x00, 0x3C,                          // keep alive 60 s
          0x00,                                // no properties
          0x00, 0x02, 'c', '1'};               // client identifier "c1"
}

// CONNECT of options_311().
inline Bytes connect_311(bool clean_session = true) {
  return {0x10, 0x0E,                          // CONNECT, remaining length 14
          0x00, 0x04, 'M', 'Q', 'T', 'T',      // protocol name
          0x04,                                // protocol level 4 (3.1.1)
          std::uint8_t(clean_session ? 0x02 : 0x00),  // connect flags: clean session
          0x00, 0x3C,                          // keep alive 60 s
          0x00, 0x02, 'c', '1'};               // client identifier "c1"
}

inline const Bytes kConnAckV5 = {0x20, 0x03, 0x00, 0x00, 0x00};         // CONNACK v5: no session, success, no properties
inline const Bytes kConnAckV5Present = {0x20, 0x03, 0x01, 0x00, 0x00};  // CONNACK v5: session present, success
inline const Bytes kConnAck311 = {0x20, 0x02, 0x00, 0x00};              // CONNACK 3.1.1: no session, accepted
inline const Bytes kConnAck311Present = {0x20, 0x02, 0x01, 0x00};       // CONNACK 3.1.1: session present, accepted

// The host side of one session. Every call forwards `now` and returns what
// the session asked for.
class Conversation {
 public:
  explicit Conversation(SessionOptions options) : session(std::move(options)) {}

  Output take() { return session.take_output(); }
  Output start() {
    session.start(now);
    return take();
  }
  Output open() {
    session.transport_open(now);
    return take();
  }
  Output receive(const Bytes& bytes) {
    session.receive(bytes, now);
    return take();
  }
  Output closed(std::string why = "connection lost") {
    session.transport_closed(now, std::move(why));
    return take();
  }
  // Moves the clock to `t` and calls tick().
  Output at(std::int64_t t) {
    now = t;
    session.tick(now);
    return take();
  }
  // start(), transport_open() (CONNECT out) and the CONNACK given; returns the
  // output of the CONNACK.
  Output connect(const Bytes& connack) {
    start();
    open();
    return receive(connack);
  }
  Token publish(Publish p) {
    Result<Token> token = session.publish(std::move(p), now);
    EXPECT_TRUE(token.ok()) << (token.ok() ? "" : token.error().message);
    return token.ok() ? token.value() : 0;
  }
  Token subscribe(std::vector<Subscription> s, Properties properties = {}) {
    Result<Token> token = session.subscribe(std::move(s), std::move(properties), now);
    EXPECT_TRUE(token.ok()) << (token.ok() ? "" : token.error().message);
    return token.ok() ? token.value() : 0;
  }

  ClientSession session;
  std::int64_t now = 0;
};

}  // namespace tpgate::mqtt::test
