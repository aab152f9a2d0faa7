// Embind registration of mqtt::ClientSession as `ClientSession`.
//
// One JS call per received frame (receive) and one per output drain
// (takeOutput); everything a call caused comes back in that one object.
// Operations that can fail return {ok: true, ...} or {ok: false, code, reason,
// message}; nothing throws. The JS owner must call delete() when done.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "convert.hpp"
#include "mqtt/session.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

using mqtt::ClientSession;

const char* state_name(mqtt::SessionState state) {
  switch (state) {
    case mqtt::SessionState::Idle: return "idle";
    case mqtt::SessionState::Connecting: return "connecting";
    case mqtt::SessionState::AwaitingConnAck: return "awaitingConnAck";
    case mqtt::SessionState::Connected: return "connected";
    case mqtt::SessionState::WaitingToReconnect: return "waitingToReconnect";
    case mqtt::SessionState::Disconnecting: return "disconnecting";
    case mqtt::SessionState::Closed: return "closed";
  }
  return "unknown";
}

// `now` arrives as a JS number of milliseconds; NaN and infinities (host bugs)
// become 0 rather than undefined behaviour in the conversion.
std::int64_t to_millis(double now) {
  if (!std::isfinite(now)) return 0;
  constexpr double kLimit = static_cast<double>(kMaxSafeInteger);
  return static_cast<std::int64_t>(std::clamp(now, -kLimit, kLimit));
}

// Shared, frozen {ok: true}: success costs no allocation on the hot path.
const val& ok_object() {
  static const val ok = [] {
    val o = val::object();
    o.set("ok", true);
    return val::global("Object").call<val>("freeze", o);
  }();
  return ok;
}

val token_result(const mqtt::Result<mqtt::Token>& result) {
  if (!result) return failure_to_js(result.error());
  val out = val::object();
  out.set("ok", true);
  out.set("token", result.value());
  return out;
}

val status_result(const mqtt::Status& status) { return status ? ok_object() : failure_to_js(status.error()); }

class ClientSessionBinding : private mqtt::EventSink {
 public:
  explicit ClientSessionBinding(val options) {
    auto parsed = session_options_from_js(options);
    if (parsed) {
      session_.emplace(std::move(*parsed));
    } else {
      options_error_ = parsed.error();
    }
  }

  // null, or the failure that left this session unusable (bad options).
  val optionsError() const { return options_error_ ? failure_to_js(*options_error_) : val::null(); }

  void start(double now) {
    if (session_) session_->start(to_millis(now));
  }
  void transportOpen(double now) {
    if (session_) session_->transport_open(to_millis(now));
  }
  val receive(val bytes, double now) {
    if (!session_) return failure_to_js(*options_error_);
    auto data = bytes_from_js(bytes);
    if (!data) return failure_to_js(data.error());
    session_->receive(*data, to_millis(now));
    return ok_object();
  }
  void transportClosed(double now, val why) {
    if (!session_) return;
    session_->transport_closed(to_millis(now), why.isString() ? why.as<std::string>() : "connection lost");
  }
  void tick(double now) {
    if (session_) session_->tick(to_millis(now));
  }

  val publish(val message, double now) {
    if (!session_) return failure_to_js(*options_error_);
    auto publish = publish_from_js(message, "publish");
    if (!publish) return failure_to_js(publish.error());
    return token_result(session_->publish(std::move(*publish), to_millis(now)));
  }
  val subscribe(val subscriptions, val properties, double now) {
    if (!session_) return failure_to_js(*options_error_);
    if (!subscriptions.isArray()) {
      return failure_to_js(mqtt::make_error(mqtt::ReasonCode::UnspecifiedError,
                                            "subscribe: expected an array of subscriptions"));
    }
    std::vector<mqtt::Subscription> list;
    const auto n = subscriptions["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      auto sub = subscription_from_js(subscriptions[i], "subscriptions[" + std::to_string(i) + "]");
      if (!sub) return failure_to_js(sub.error());
      list.push_back(std::move(*sub));
    }
    auto props = properties_from_js(properties, "properties");
    if (!props) return failure_to_js(props.error());
    return token_result(session_->subscribe(std::move(list), std::move(*props), to_millis(now)));
  }
  val unsubscribe(val filters, val properties, double now) {
    if (!session_) return failure_to_js(*options_error_);
    auto list = strings_from_js(filters, "filters");
    if (!list) return failure_to_js(list.error());
    auto props = properties_from_js(properties, "properties");
    if (!props) return failure_to_js(props.error());
    return token_result(session_->unsubscribe(std::move(*list), std::move(*props), to_millis(now)));
  }
  // `packet`: {reasonCode, properties}.
  val auth(val packet, double now) {
    if (!session_) return failure_to_js(*options_error_);
    ObjectReader in(packet, "auth");
    mqtt::Auth auth;
    in.integer("reasonCode", auth.reason_code);
    in.properties("properties", auth.properties);
    if (!in.ok()) return failure_to_js(in.error());
    return status_result(session_->auth(std::move(auth), to_millis(now)));
  }
  // `options`: undefined or {reasonCode, properties}.
  val disconnect(double now, val options) {
    if (!session_) return failure_to_js(*options_error_);
    ObjectReader in(options, "disconnect");
    std::uint8_t reason = 0;
    mqtt::Properties properties;
    in.integer("reasonCode", reason);
    in.properties("properties", properties);
    if (!in.ok()) return failure_to_js(in.error());
    session_->disconnect(to_millis(now), static_cast<mqtt::ReasonCode>(reason), std::move(properties));
    return ok_object();
  }

  ClientSessionBinding(const ClientSessionBinding&) = delete;
  ClientSessionBinding& operator=(const ClientSessionBinding&) = delete;
  ~ClientSessionBinding() override {
    if (session_) session_->set_event_sink(nullptr);
  }

  // {bytes, events, openTransport, closeTransport, deadline (-1 = none)}
  val takeOutput() {
    // The object path: events as objects again (records already packed for
    // takeFrame() are dropped; the two are not meant to be mixed).
    if (session_) session_->set_event_sink(nullptr);
    frame_taken_ = true;
    pending_side_ = val::undefined();
    has_side_ = false;
    val out = val::object();
    mqtt::Output output;
    if (session_) output = session_->take_output();
    out.set("bytes", bytes_to_js(output.bytes));
    val events = val::array();
    for (const auto& event : output.events) events.call<void>("push", event_to_js(event));
    out.set("events", events);
    out.set("journal", bytes_to_js(output.journal));
    out.set("openTransport", output.open_transport);
    out.set("closeTransport", output.close_transport);
    out.set("deadline", deadline());
    return out;
  }

  // --- session store (mqtt/session_store.hpp) ----------------------------------
  // {ok: true, report} or a failure with kind "store" and path "corrupt",
  // "version", "mismatch" or "state".
  val restore(val log, std::string server, bool recover) {
    if (!session_) return failure_to_js(*options_error_);
    auto data = bytes_from_js(log);
    if (!data) return failure_to_js(data.error());
    auto result = session_->restore(*data, server, recover);
    if (!result) return failure_to_js(result.error());
    const mqtt::RestoreReport& r = result.value();
    val report = val::object();
    report.set("intactBytes", static_cast<double>(r.intact_bytes));
    report.set("droppedBytes", static_cast<double>(r.dropped_bytes));
    report.set("corrupt", r.corrupt);
    report.set("entries", static_cast<double>(r.entries));
    report.set("outbound", static_cast<double>(r.outbound));
    report.set("queued", static_cast<double>(r.queued));
    report.set("inbound", static_cast<double>(r.inbound));
    report.set("subscriptions", static_cast<double>(r.subscriptions));
    report.set("notes", static_cast<double>(r.notes));
    report.set("sessionExpiry", r.session_expiry);
    report.set("clientId", r.client_id);
    report.set("server", r.server);
    val out = val::object();
    out.set("ok", true);
    out.set("report", report);
    return out;
  }
  val snapshot(std::string server) const {
    return session_ ? bytes_to_js(session_->snapshot(server)) : val::null();
  }
  void note(std::string key, val value) {
    if (!session_) return;
    if (auto data = bytes_from_js(value)) session_->note(key, *data);
  }
  void forget(std::string key) {
    if (session_) session_->forget(key);
  }
  // {key: Uint8Array}
  val notes() const {
    val out = val::object();
    if (session_) {
      for (const auto& [key, value] : session_->notes()) out.set(key, bytes_to_js(value));
    }
    return out;
  }
  // [{topic, payload, qos, retain}] of the restored publishes not yet complete, oldest first.
  val restoredPublishes() const {
    val out = val::array();
    if (!session_) return out;
    for (const mqtt::Publish* p : session_->restored_publishes()) {
      val m = val::object();
      m.set("topic", p->topic);
      m.set("payload", bytes_to_js(p->payload));
      m.set("qos", static_cast<int>(p->qos));
      m.set("retain", p->retain);
      out.call<void>("push", m);
    }
    return out;
  }

  // --- hot paths (session_packed.hpp) -----------------------------------------
  // The whole output as one frame in this session's frame buffer; returns
  // its address (the frame's header holds its length). Valid until the next
  // call into the module: JS copies it out of the heap at once. One crossing
  // per drain, and no JS object made on this side.
  double takeFrame() {
    if (session_) {
      session_->take_output(output_);
      // From the first frame on, events are packed as they happen and
      // received messages are read in place (set_event_sink()).
      session_->set_event_sink(this);
    }
    PackedBuffer& frame = records();
    // Side values are JS objects: only touched when there are some.
    if (has_side_ || !side_.isUndefined()) {
      side_ = std::move(pending_side_);
      pending_side_ = val::undefined();
      has_side_ = false;
    }
    finish_frame(output_, deadline(), frame, side_);
    output_.events.clear();  // no event object outlives its frame
    // JS copies the frame before its next call; the records after it start
    // a new frame then.
    frame_taken_ = true;
    return static_cast<double>(reinterpret_cast<std::uintptr_t>(frame.data()));
  }
  // The side values of the last takeFrame() (an array), or undefined.
  val takeSide() {
    val side = side_;
    side_ = val::undefined();
    return side;
  }
  // `length` received bytes that the host put at reserveScratch().
  void receiveScratch(unsigned length, double now) {
    if (session_) session_->receive(scratch(length), to_millis(now));
  }
  // A PUBLISH whose topic (UTF-8) and payload the host put at
  // reserveScratch(), back to back. The token, or 0: see lastFailure().
  double publishScratch(unsigned topic_length, unsigned payload_length, unsigned qos, bool retain, double now) {
    if (!session_) {
      last_failure_ = *options_error_;
      return 0;
    }
    const auto data = scratch(std::size_t{topic_length} + payload_length);
    if (topic_length > data.size()) {
      last_failure_ = mqtt::make_error(mqtt::ReasonCode::UnspecifiedError, "publishScratch: lengths past the scratch area");
      return 0;
    }
    // Read in place: a QoS 0 message goes from here straight into the output.
    const std::string_view topic(reinterpret_cast<const char*>(data.data()), topic_length);
    // Above 2 is refused like any QoS above the server's maximum [MQTT-3.3.1-4].
    const auto level = static_cast<mqtt::QoS>(std::min(qos, 255u));
    auto result = session_->publish(topic, data.subspan(topic_length), level, retain, to_millis(now));
    if (!result) {
      last_failure_ = result.error();
      return 0;
    }
    return static_cast<double>(result.value());
  }
  // The binding's address in the heap, for the plain exports below.
  double address() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(this)); }
  // Why the last publishScratch() returned 0.
  val lastFailure() const { return last_failure_ ? failure_to_js(*last_failure_) : val::null(); }

  double deadline() const {
    auto next = session_ ? session_->next_deadline() : std::nullopt;
    return next ? static_cast<double>(*next) : -1.0;
  }
  bool hasOutput() const {
    return session_ && (session_->has_output() || (!frame_taken_ && records_.size() > kPackedHeaderSize));
  }
  std::string state() const { return session_ ? state_name(session_->state()) : "closed"; }
  unsigned inflightCount() const { return session_ ? static_cast<unsigned>(session_->inflight_count()) : 0; }
  unsigned queuedCount() const { return session_ ? static_cast<unsigned>(session_->queued_count()) : 0; }

 private:
  // mqtt::EventSink: records for the next takeFrame(), in event order.
  void message(const mqtt::PublishView& message) override {
    pack_message(message, records());
    has_side_ = has_side_ || !pending_side_.isUndefined();
  }
  void event(mqtt::Event&& event) override {
    pack_event(event, records(), pending_side_);
    has_side_ = has_side_ || !pending_side_.isUndefined();
  }
  void published(mqtt::Token token) override { pack_published(token, records()); }

  // The frame being written: the records since the last takeFrame().
  PackedBuffer& records() {
    if (frame_taken_) {
      records_.clear();
      records_.trim(4096);  // one per session: do not pin a burst
      start_frame(records_);
      frame_taken_ = false;
    }
    return records_;
  }

  std::optional<ClientSession> session_;
  std::optional<mqtt::Error> options_error_;
  std::optional<mqtt::Error> last_failure_;
  val side_ = val::undefined();          // of the last takeFrame()
  val pending_side_ = val::undefined();  // of the records not taken yet
  bool has_side_ = false;                // pending_side_ holds values
  PackedBuffer records_;                 // the frame: header, then events since the last takeFrame()
  bool frame_taken_ = true;              // records_ holds a frame JS has copied
  mqtt::Output output_;                  // the last drain, its memory kept

};

unsigned reserveScratch(unsigned size) { return static_cast<unsigned>(reserve_scratch(size)); }

ClientSessionBinding* binding_at(std::uintptr_t address) { return reinterpret_cast<ClientSessionBinding*>(address); }

}  // namespace
}  // namespace tpgate::bindings

// The client's three hot calls as plain wasm exports, taking the address
// that ClientSession.address() gave: an Embind method call goes through a
// generic invoker (about 150 ns here), an export is called directly. Same
// behaviour as the methods of the same name; npm/src/packed.js calls them.
extern "C" {

EMSCRIPTEN_KEEPALIVE double tpgate_session_take_frame(std::uintptr_t session) {
  return tpgate::bindings::binding_at(session)->takeFrame();
}

EMSCRIPTEN_KEEPALIVE void tpgate_session_receive(std::uintptr_t session, unsigned length, double now) {
  tpgate::bindings::binding_at(session)->receiveScratch(length, now);
}

EMSCRIPTEN_KEEPALIVE double tpgate_session_publish(std::uintptr_t session, unsigned topic_length,
                                                   unsigned payload_length, unsigned qos, int retain, double now) {
  return tpgate::bindings::binding_at(session)->publishScratch(topic_length, payload_length, qos, retain != 0, now);
}

}  // extern "C"

EMSCRIPTEN_BINDINGS(tpgate_session) {
  using tpgate::bindings::ClientSessionBinding;
  emscripten::class_<ClientSessionBinding>("ClientSession")
      .constructor<emscripten::val>()
      .function("optionsError", &ClientSessionBinding::optionsError)
      .function("start", &ClientSessionBinding::start)
      .function("transportOpen", &ClientSessionBinding::transportOpen)
      .function("receive", &ClientSessionBinding::receive)
      .function("transportClosed", &ClientSessionBinding::transportClosed)
      .function("tick", &ClientSessionBinding::tick)
      .function("publish", &ClientSessionBinding::publish)
      .function("subscribe", &ClientSessionBinding::subscribe)
      .function("unsubscribe", &ClientSessionBinding::unsubscribe)
      .function("auth", &ClientSessionBinding::auth)
      .function("disconnect", &ClientSessionBinding::disconnect)
      .function("takeOutput", &ClientSessionBinding::takeOutput)
      .function("deadline", &ClientSessionBinding::deadline)
      .function("hasOutput", &ClientSessionBinding::hasOutput)
      .function("state", &ClientSessionBinding::state)
      .function("inflightCount", &ClientSessionBinding::inflightCount)
      .function("queuedCount", &ClientSessionBinding::queuedCount)
      .function("takeFrame", &ClientSessionBinding::takeFrame)
      .function("takeSide", &ClientSessionBinding::takeSide)
      .function("receiveScratch", &ClientSessionBinding::receiveScratch)
      .function("publishScratch", &ClientSessionBinding::publishScratch)
      .function("lastFailure", &ClientSessionBinding::lastFailure)
      .function("address", &ClientSessionBinding::address)
      .function("restore", &ClientSessionBinding::restore)
      .function("snapshot", &ClientSessionBinding::snapshot)
      .function("note", &ClientSessionBinding::note)
      .function("forget", &ClientSessionBinding::forget)
      .function("notes", &ClientSessionBinding::notes)
      .function("restoredPublishes", &ClientSessionBinding::restoredPublishes);
  emscripten::function("reserveScratch", &tpgate::bindings::reserveScratch);
}
