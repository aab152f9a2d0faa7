// One virtual gateway: an MQTT ClientSession + the ThingsPanel GatewayRole + the device
// state of the scenario's topology, sans-I/O like ClientSession (no I/O, no clock read).
//
//   host                                   VirtualGateway
//   ----                                   --------------
//   start(now)                        ->   SUBSCRIBEs queued (one filter each,
//                                          docs/thingspanel.md#one-filter-per-subscribe),
//                                          open request; telemetry / event timers armed
//   transport_open(now)               ->   CONNECT
//   receive(bytes, now)               ->   CONNACK: attribute report of every device;
//                                          downlinks answered per the scenario's behaviours
//   tick(now) at next_deadline()      ->   telemetry of every due device in ONE
//                                          gateway/telemetry message, events, delayed
//                                          answers, churn, keep-alive, report timeouts
//   transport_closed(now)             ->   reconnect per broker.reconnect
//   stop(now)                         ->   DISCONNECT, close, ended for good
//
// Every call writes what the host must do into an OutputSink, in order: bytes to write,
// then requests to close / open the transport.
//
// Memory: the Scenario is shared and immutable; a gateway keeps a flat vector of value
// slots, a few timers and the session/role state (see test_emulator_gateway's size note).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "emulator/generator.hpp"
#include "emulator/identity.hpp"
#include "emulator/metrics.hpp"
#include "emulator/scenario.hpp"
#include "gateway/gateway_role.hpp"
#include "mqtt/session.hpp"

namespace tpgate::emulator {

// What the host must do, flags of an output record (bindings/emulator_bindings.cpp).
inline constexpr std::uint8_t kOpenTransport = 1;
inline constexpr std::uint8_t kCloseTransport = 2;
inline constexpr std::uint8_t kEnded = 4;

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // Bytes to write to the gateway's transport, in order.
  virtual void write(std::span<const std::uint8_t> bytes) = 0;
  // kCloseTransport (after the bytes written so far), kOpenTransport, kEnded.
  virtual void request(std::uint8_t flags) = 0;
};

// Where a gateway counts and logs; shared by a fleet. `events` may be null (off).
struct GatewayContext {
  Metrics* metrics = nullptr;
  EventLog* events = nullptr;
  std::uint32_t local_index = 0;  // the gateway's number in event records
  // The offline buffer's bound in bytes (mqtt::SessionOptions::max_queued_bytes; 0: none),
  // the gateway's share of the fleet's offline budget (FleetOptions).
  std::size_t offline_bytes = 0;
};

class VirtualGateway {
 public:
  // `seed` is the scenario's (or an override); with the identity's global index it
  // seeds every random stream of this gateway (random.hpp).
  VirtualGateway(std::shared_ptr<const Scenario> scenario, const GatewayIdentity& identity, std::uint32_t seed,
                 GatewayContext context);

  void start(std::int64_t now, OutputSink& out);
  void transport_open(std::int64_t now, OutputSink& out);
  void receive(std::span<const std::uint8_t> bytes, std::int64_t now, OutputSink& out);
  void transport_closed(std::int64_t now, OutputSink& out);
  void tick(std::int64_t now, OutputSink& out);
  // Clean DISCONNECT, close, never reconnect (kEnded).
  void stop(std::int64_t now, OutputSink& out);

  std::optional<std::int64_t> next_deadline() const;
  bool connected() const { return connected_; }
  bool ended() const { return ended_; }
  std::uint32_t global_index() const { return global_index_; }
  const mqtt::ClientSession& session() const { return session_; }

  // The current value of a device's telemetry / attribute key as JSON (tests, tools);
  // null when the device or key is unknown.
  json telemetry_value(const std::string& device, const std::string& key) const;
  json attribute_value(const std::string& device, const std::string& key) const;
  // Heap bytes held by this gateway's own containers (not the session / role).
  std::size_t state_heap_bytes() const;

 private:
  struct Extra {  // a key a control / attribute set added that the scenario does not name
    std::uint32_t device = 0;
    bool attribute = false;
    std::string key;
    std::string text;  // JSON
  };
  struct PendingAnswer {
    std::int64_t due = 0;
    std::int64_t received = 0;  // when the request arrived
    std::uint64_t request_id = 0;
    std::uint32_t device = 0;
    gateway::DownlinkKind kind = gateway::DownlinkKind::Control;
    bool fail = false;
    std::int32_t latency_ms = 0;
    const Behaviour* behaviour = nullptr;
    json body;
  };
  struct InflightPublish {
    mqtt::Token token = 0;
    std::int64_t sent = 0;
  };
  enum class Link : std::uint8_t { Down, Opening, Up, Closing };

  const Topology& topo() const { return scenario_->topology; }

  // virtual_gateway.cpp: life cycle, session events, drain
  void drain(std::int64_t now, OutputSink& out);
  void subscribe(std::int64_t now);
  void on_session_event(mqtt::Event& event, std::int64_t now);
  void on_role_output(gateway::GatewayOutput& output, std::int64_t now);
  void publish(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now, Published kind);
  void send(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now, Published kind);

  // virtual_gateway_format.cpp: the custom format at the publish / receive boundary
  void publish_custom(std::string topic, std::string_view payload, std::uint8_t qos, std::int64_t now, Published kind);
  void receive_message(std::string_view topic, std::string_view payload, std::int64_t now);
  void script_failed(std::string_view script, const script::Failure& failure, std::string_view topic, std::int64_t now);
  void format_error(std::string message, std::string_view topic, std::int64_t now);
  void churn(std::int64_t now, OutputSink& out);
  std::int64_t local_deadline() const;
  void log(const std::string& object);
  std::string log_head(std::int64_t now, const char* type) const;

  // virtual_gateway_reports.cpp: telemetry, attributes, events
  void report_telemetry(std::int64_t now);
  bool device_included(std::uint32_t device, std::int64_t now) const;
  bool node_has_content(std::uint32_t node, std::int64_t now) const;
  void write_node(tpgate::json::Writer& w, std::uint32_t node, std::int64_t now);
  void write_device_values(tpgate::json::Writer& w, std::uint32_t device, std::int64_t now);
  void report_attributes(std::optional<std::uint32_t> only_device, std::int64_t now);
  json device_attributes(std::uint32_t device, const std::vector<std::string>* keys) const;
  void fire_event(std::size_t event, std::int64_t now);
  void report(gateway::PayloadKind kind, const gateway::GatewayNode& node, std::int64_t now);

  // virtual_gateway_requests.cpp: downlinks and their answers
  void serve(gateway::Request& request, std::int64_t now);
  void answer(PendingAnswer& pending, std::int64_t now);
  void set_telemetry(std::uint32_t device, const std::string& key, const json& value);
  void set_attribute(std::uint32_t device, const std::string& key, const json& value);
  void apply_effects(std::uint32_t device, const Behaviour& behaviour, const json& params);

  std::shared_ptr<const Scenario> scenario_;
  GatewayContext context_;
  std::string device_number_;
  std::uint32_t global_index_ = 0;
  std::uint64_t rng_ = 0;
  mqtt::ClientSession session_;
  gateway::GatewayRole role_;

  std::vector<Slot> slots_;
  std::vector<std::string> owned_texts_;
  std::vector<Extra> extras_;
  std::vector<std::int64_t> group_due_;  // per telemetry interval group
  std::vector<std::int64_t> event_due_;  // per FlatEvent
  std::vector<PendingAnswer> pending_;
  std::vector<InflightPublish> inflight_;
  // Historical mode (docs/thingspanel.md#historical-mode): samples waiting per device, "{...},{...}".
  std::vector<std::string> history_;
  std::vector<std::uint16_t> history_count_;

  std::int64_t churn_due_ = kNever;
  std::int64_t offline_until_ = kNever;
  std::uint32_t connections_ = 0;
  Link link_ = Link::Down;
  bool started_ = false;
  bool subscribed_ = false;  // the SUBSCRIBEs are queued (first transport_open)
  bool stopping_ = false;
  bool ended_ = false;
  bool connected_ = false;
  bool pending_open_ = false;

 public:
  static constexpr std::int64_t kNever = INT64_MAX;
};

}  // namespace tpgate::emulator
