// ClientSession options from JS, session events to JS.
#include <utility>

#include "convert.hpp"

namespace tpgate::bindings {

using mqtt::Result;

Result<mqtt::SessionOptions> session_options_from_js(const val& value) {
  ObjectReader in(value, "options");
  mqtt::SessionOptions options;
  if (in.ok() && in.has("version")) {
    auto version = version_from_js(in.get("version"));
    if (!version) return version.error();
    options.version = *version;
  }
  in.string("clientId", options.client_id);
  in.boolean("cleanStart", options.clean_start);
  in.integer("keepAlive", options.keep_alive_s);
  in.string("username", options.username);
  in.bytes("password", options.password);
  if (in.ok() && in.has("will")) {
    auto will = will_from_js(in.get("will"), "options.will");
    if (!will) return will.error();
    options.will = std::move(*will);
  }
  in.properties("properties", options.connect_properties);
  in.integer("maxQueued", options.max_queued);
  in.integer("connectTimeout", options.connect_timeout_ms);
  in.integer("pingTimeout", options.ping_timeout_ms);
  in.integer("randomSeed", options.random_seed);
  in.boolean("autoTopicAlias", options.auto_topic_alias);
  in.boolean("resubscribe", options.resubscribe);
  in.boolean("journal", options.journal);
  if (!in.ok()) return in.error();

  ObjectReader reconnect(in.get("reconnect"), "options.reconnect");
  reconnect.boolean("enabled", options.reconnect.enabled);
  reconnect.integer("minDelay", options.reconnect.min_delay_ms);
  reconnect.integer("maxDelay", options.reconnect.max_delay_ms);
  if (!reconnect.ok()) return reconnect.error();
  return options;
}

namespace {

val event_object(const char* type) {
  val out = val::object();
  out.set("type", type);
  return out;
}

struct EventWriter {
  val operator()(const mqtt::ConnectedEvent& e) const {
    val out = event_object("connected");
    out.set("sessionPresent", e.session_present);
    out.set("connack", packet_to_js(e.connack));
    return out;
  }
  val operator()(const mqtt::MessageEvent& e) const {
    val out = event_object("message");
    out.set("publish", packet_to_js(e.publish));
    return out;
  }
  val operator()(const mqtt::PublishCompleteEvent& e) const {
    val out = event_object("publishComplete");
    out.set("token", e.token);
    out.set("qos", static_cast<std::uint8_t>(e.qos));
    out.set("packetId", e.packet_id);
    out.set("reasonCode", e.reason_code);
    out.set("properties", properties_to_js(e.properties));
    return out;
  }
  val operator()(const mqtt::SubscribeCompleteEvent& e) const {
    val out = event_object("subscribeComplete");
    out.set("token", e.token);
    out.set("suback", packet_to_js(e.suback));
    return out;
  }
  val operator()(const mqtt::UnsubscribeCompleteEvent& e) const {
    val out = event_object("unsubscribeComplete");
    out.set("token", e.token);
    out.set("unsuback", packet_to_js(e.unsuback));
    return out;
  }
  val operator()(const mqtt::OperationFailedEvent& e) const {
    val out = event_object("operationFailed");
    out.set("token", e.token);
    out.set("error", error_to_js(e.error));
    return out;
  }
  val operator()(const mqtt::DisconnectedEvent& e) const {
    val out = event_object("disconnected");
    out.set("error", error_to_js(e.reason));
    out.set("byServer", e.by_server);
    out.set("properties", properties_to_js(e.properties));
    // ms timestamps fit a JS number exactly for the next 285,000 years.
    if (e.reconnect_at) out.set("reconnectAt", static_cast<double>(*e.reconnect_at));
    return out;
  }
  val operator()(const mqtt::AuthEvent& e) const {
    val out = event_object("auth");
    out.set("auth", packet_to_js(e.auth));
    return out;
  }
  val operator()(const mqtt::ErrorEvent& e) const {
    val out = event_object("error");
    out.set("error", error_to_js(e.error));
    return out;
  }
};

}  // namespace

val event_to_js(const mqtt::Event& event) { return std::visit(EventWriter{}, event); }

}  // namespace tpgate::bindings
