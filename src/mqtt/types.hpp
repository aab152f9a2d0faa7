// Basic vocabulary of the MQTT core: versions, QoS, packet types, reason codes,
// and the error/result types every core API returns (no exception crosses the API).
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tpgate::mqtt {

using Bytes = std::vector<std::uint8_t>;

// The protocol level byte of CONNECT [MQTT-3.1.2-2].
enum class ProtocolVersion : std::uint8_t { v311 = 4, v5 = 5 };

enum class QoS : std::uint8_t { AtMostOnce = 0, AtLeastOnce = 1, ExactlyOnce = 2 };

// Control packet types, fixed header bits 7-4 (MQTT 5.0 2.1.2). 0 is reserved.
enum class PacketType : std::uint8_t {
  Connect = 1,
  ConnAck = 2,
  Publish = 3,
  PubAck = 4,
  PubRec = 5,
  PubRel = 6,
  PubComp = 7,
  Subscribe = 8,
  SubAck = 9,
  Unsubscribe = 10,
  UnsubAck = 11,
  PingReq = 12,
  PingResp = 13,
  Disconnect = 14,
  Auth = 15,
};

// MQTT 5.0 reason codes (2.4). Values are shared between packets; the same byte
// means different things in different packets (0x00 is Success, Normal
// disconnection and Granted QoS 0), so aliases are given for readability.
enum class ReasonCode : std::uint8_t {
  Success = 0x00,
  NormalDisconnection = 0x00,
  GrantedQoS0 = 0x00,
  GrantedQoS1 = 0x01,
  GrantedQoS2 = 0x02,
  DisconnectWithWillMessage = 0x04,
  NoMatchingSubscribers = 0x10,
  NoSubscriptionExisted = 0x11,
  ContinueAuthentication = 0x18,
  ReAuthenticate = 0x19,
  UnspecifiedError = 0x80,
  MalformedPacket = 0x81,
  ProtocolError = 0x82,
  ImplementationSpecificError = 0x83,
  UnsupportedProtocolVersion = 0x84,
  ClientIdentifierNotValid = 0x85,
  BadUserNameOrPassword = 0x86,
  NotAuthorized = 0x87,
  ServerUnavailable = 0x88,
  ServerBusy = 0x89,
  Banned = 0x8A,
  ServerShuttingDown = 0x8B,
  BadAuthenticationMethod = 0x8C,
  KeepAliveTimeout = 0x8D,
  SessionTakenOver = 0x8E,
  TopicFilterInvalid = 0x8F,
  TopicNameInvalid = 0x90,
  PacketIdentifierInUse = 0x91,
  PacketIdentifierNotFound = 0x92,
  ReceiveMaximumExceeded = 0x93,
  TopicAliasInvalid = 0x94,
  PacketTooLarge = 0x95,
  MessageRateTooHigh = 0x96,
  QuotaExceeded = 0x97,
  AdministrativeAction = 0x98,
  PayloadFormatInvalid = 0x99,
  RetainNotSupported = 0x9A,
  QoSNotSupported = 0x9B,
  UseAnotherServer = 0x9C,
  ServerMoved = 0x9D,
  SharedSubscriptionsNotSupported = 0x9E,
  ConnectionRateExceeded = 0x9F,
  MaximumConnectTime = 0xA0,
  SubscriptionIdentifiersNotSupported = 0xA1,
  WildcardSubscriptionsNotSupported = 0xA2,
};

// MQTT 3.1.1 CONNACK return codes (3.2.2.3).
enum class ConnectReturnCode311 : std::uint8_t {
  Accepted = 0,
  UnacceptableProtocolVersion = 1,
  IdentifierRejected = 2,
  ServerUnavailable = 3,
  BadUserNameOrPassword = 4,
  NotAuthorized = 5,
};

// Largest value the Variable Byte Integer can carry (1.5.5): 268,435,455.
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
// Largest whole packet: 1 type byte + 4 length bytes + remaining length.
inline constexpr std::uint32_t kMaxPacketSize = kMaxRemainingLength + 5;

// Stable, human-readable name of a reason code ("Malformed Packet").
std::string_view reason_code_name(std::uint8_t code);
// Name of a packet type ("PUBLISH"); "RESERVED" for 0 and out-of-range values.
std::string_view packet_type_name(std::uint8_t type);
// The MQTT 5 reason code that corresponds to a 3.1.1 CONNACK return code.
ReasonCode reason_from_311_connack(std::uint8_t return_code);

// What a failure is about.
enum class ErrorKind : std::uint8_t {
  Mqtt,      // an MQTT outcome: `reason` is the reason code a packet carries (or would)
  Argument,  // a caller's argument or option: `path` names it ("options.will.topic")
  Payload,   // received data that cannot be used: `path` is where in it ("gateway_data.t")
  Script,    // a data script failed (docs/thingspanel.md#data-scripts): `path` names the script
             // ("custom-gw.telemetry_up"), `message` carries Lua's "NAME:LINE: ..." text
  Store,     // a session store that cannot be used: `path` says why ("corrupt", "version",
             // "mismatch", "state"; mqtt/session_store.hpp)
};

// Every failure in the core is one of these. For ErrorKind::Mqtt, `reason` is
// the MQTT 5 reason code that applies (Malformed Packet, Protocol Error, Packet
// Too Large, Topic Name Invalid, ...); for the other kinds it is only a
// fallback for hosts that know nothing else, and `path` and `message` say what
// was wrong. `message` reads on its own (it names the path too).
struct Error {
  ReasonCode reason = ReasonCode::UnspecifiedError;
  std::string message;
  ErrorKind kind = ErrorKind::Mqtt;
  std::string path;
};

// A value or an Error; the core's replacement for exceptions. A tagged union
// rather than a std::variant: its destructor is a test and, for a success
// without a value (Status), nothing more, where the variant's is a call
// through a dispatch table on every return in the size-optimised wasm.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : ok_(true) { new (&value_) T(std::move(value)); }  // NOLINT(google-explicit-constructor)
  Result(Error error) : ok_(false) { new (&error_) Error(std::move(error)); }  // NOLINT(google-explicit-constructor)
  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(other.value_);
    } else {
      new (&error_) Error(other.error_);
    }
  }
  Result(Result&& other) noexcept : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) Error(std::move(other.error_));
    }
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      destroy();
      new (this) Result(other);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) {
      destroy();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const Error& error() const { return error_; }

 private:
  void destroy() {
    if (ok_) {
      value_.~T();
    } else {
      error_.~Error();
    }
  }

  bool ok_;
  union {
    T value_;
    Error error_;
  };
};

// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Status(Ok{}); }

// "mqtt", "argument", "payload", "script": the `kind` hosts see.
inline std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Argument: return "argument";
    case ErrorKind::Payload: return "payload";
    case ErrorKind::Script: return "script";
    case ErrorKind::Store: return "store";
    default: return "mqtt";
  }
}

inline Error make_error(ReasonCode reason, std::string message) {
  Error error;
  error.reason = reason;
  error.message = std::move(message);
  return error;
}

// "path: what was wrong", about received data at `path` ("(root)" when empty).
inline Error payload_error(ReasonCode reason, std::string path, const std::string& what) {
  std::string message = (path.empty() ? std::string("(root)") : path) + ": " + what;
  return Error{reason, std::move(message), ErrorKind::Payload, std::move(path)};
}

// "path: what was wrong", about the caller's argument or option at `path`.
inline Error argument_error(std::string path, const std::string& what) {
  std::string message = path.empty() ? what : path + ": " + what;
  return Error{ReasonCode::UnspecifiedError, std::move(message), ErrorKind::Argument, std::move(path)};
}

}  // namespace tpgate::mqtt
