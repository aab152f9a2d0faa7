// Uplink reports of a VirtualGateway. Telemetry is the hot path (every device, every
// interval, thousands of gateways), so its payload is written as text straight from the
// value slots; attribute and event reports are rare and go through GatewayRole, which
// validates them and tracks their acks (both ack families, docs/thingspanel.md#ack-topics).
#include <cmath>

#include "emulator/json_writer.hpp"
#include "json/read.hpp"
#include "emulator/random.hpp"
#include "emulator/virtual_gateway.hpp"
#include "gateway/topics.hpp"

namespace tpgate::emulator {

bool VirtualGateway::device_included(std::uint32_t device, std::int64_t now) const {
  const FlatDevice& d = topo().devices[device];
  if (d.interval_group == FlatDevice::kNoGroup || group_due_[d.interval_group] > now) return false;
  // Historical devices show up once their batch is full (report_telemetry sampled first).
  const int batch = d.spec->historical_batch;
  return batch == 0 || history_count_[device] >= batch;
}

bool VirtualGateway::node_has_content(std::uint32_t node, std::int64_t now) const {
  const FlatNode& n = topo().nodes[node];
  if (device_included(n.device, now)) return true;
  for (std::uint32_t d : n.sub_devices) {
    if (device_included(d, now)) return true;
  }
  for (std::uint32_t g : n.sub_gateways) {
    if (node_has_content(g, now)) return true;
  }
  return false;
}

void VirtualGateway::write_device_values(tpgate::json::Writer& w, std::uint32_t device, std::int64_t now) {
  (void)now;
  const FlatDevice& d = topo().devices[device];
  w.begin_object();
  for (std::size_t k = 0; k < d.spec->telemetry.size(); ++k) {
    w.key(d.spec->telemetry[k].key);
    write_value(w, d.spec->telemetry[k].generator, slots_[d.first_telemetry_slot + k], owned_texts_);
  }
  for (const Extra& e : extras_) {
    if (e.device != device || e.attribute) continue;
    w.key(e.key).raw(e.text);
  }
  w.end_object();
}

// Spec "Multi-Level Gateway": gateway_data, sub_device_data, sub_gateway_data (recursive),
// each present only when some device in it is due.
void VirtualGateway::write_node(tpgate::json::Writer& w, std::uint32_t node, std::int64_t now) {
  const FlatNode& n = topo().nodes[node];
  const auto body = [&](std::uint32_t device) {
    if (topo().devices[device].spec->historical_batch > 0) {
      // Historical mode (docs/thingspanel.md#historical-mode): [{"ts":ms,"values":{...}}, ...],
      // the records joined by commas as they were sampled.
      w.begin_array().raw(history_[device]).end_array();
      history_[device].clear();
      history_count_[device] = 0;
    } else {
      write_device_values(w, device, now);
    }
  };
  w.begin_object();
  if (device_included(n.device, now)) {
    w.key("gateway_data");
    body(n.device);
  }
  bool open = false;
  for (std::uint32_t d : n.sub_devices) {
    if (!device_included(d, now)) continue;
    if (!open) w.key("sub_device_data").begin_object();
    open = true;
    w.key(topo().devices[d].address);
    body(d);
  }
  if (open) w.end_object();
  open = false;
  for (std::uint32_t g : n.sub_gateways) {
    if (!node_has_content(g, now)) continue;
    if (!open) w.key("sub_gateway_data").begin_object();
    open = true;
    w.key(topo().devices[topo().nodes[g].device].address);
    write_node(w, g, now);
  }
  if (open) w.end_object();
  w.end_object();
}

void VirtualGateway::report_telemetry(std::int64_t now) {
  const Topology& t = topo();
  // 1. Every due device takes its next sample; historical devices keep it in their batch.
  for (std::uint32_t i = 0; i < t.devices.size(); ++i) {
    const FlatDevice& d = t.devices[i];
    if (d.interval_group == FlatDevice::kNoGroup || group_due_[d.interval_group] > now) continue;
    for (std::size_t k = 0; k < d.spec->telemetry.size(); ++k) {
      advance(d.spec->telemetry[k].generator, slots_[d.first_telemetry_slot + k], now);
    }
    if (d.spec->historical_batch > 0) {
      std::string& h = history_[i];
      if (!h.empty()) h += ',';
      tpgate::json::Writer w(h);
      // docs/thingspanel.md#timestamps: produce milliseconds.
      w.begin_object().key("ts");
      write_number(w, static_cast<double>(now));
      w.key("values");
      write_device_values(w, i, now);
      w.end_object();
      ++history_count_[i];
    }
  }
  // 2. One gateway/telemetry message with every device that has something to say.
  if (node_has_content(0, now)) {
    // One text buffer for every gateway's telemetry: its capacity stays, so the
    // writer neither reallocates nor copies per message (publish() copies it out).
    // The core is single-threaded (one module instance drives every gateway).
    static std::string payload;
    payload.clear();
    {
      tpgate::json::Writer w(payload);
      write_node(w, 0, now);
    }
    publish(gateway::telemetry_topic(), payload, static_cast<std::uint8_t>(scenario_->broker.qos), now,
            Published::Telemetry);
  }
  // 3. Next due times; a late tick skips the missed intervals instead of bursting.
  for (std::size_t g = 0; g < group_due_.size(); ++g) {
    if (group_due_[g] > now) continue;
    const std::int64_t interval = t.intervals_ms[g];
    const std::int64_t missed = (now - group_due_[g]) / interval;
    group_due_[g] += (missed + 1) * interval;
  }
}

json VirtualGateway::device_attributes(std::uint32_t device, const std::vector<std::string>* keys) const {
  const FlatDevice& d = topo().devices[device];
  const auto wanted = [&](const std::string& key) {
    if (keys == nullptr || keys->empty()) return true;
    for (const auto& k : *keys) {
      if (k == key) return true;
    }
    return false;
  };
  json values = json::object();
  for (std::size_t k = 0; k < d.spec->attributes.size(); ++k) {
    const auto& named = d.spec->attributes[k];
    if (wanted(named.key)) values[named.key] = slot_value(named.generator, slots_[d.first_attribute_slot + k], owned_texts_);
  }
  for (const Extra& e : extras_) {
    if (e.device == device && e.attribute && wanted(e.key)) values[e.key] = tpgate::json::parse(e.text);
  }
  return values;
}

void VirtualGateway::report_attributes(std::optional<std::uint32_t> only_device, std::int64_t now) {
  gateway::GatewayNode node;
  const auto add = [&](std::uint32_t device) {
    json values = device_attributes(device, nullptr);
    if (!values.empty()) gateway::put_body(node, topo().devices[device].target, std::move(values));
  };
  if (only_device) {
    add(*only_device);
  } else {
    for (std::uint32_t i = 0; i < topo().devices.size(); ++i) add(i);
  }
  if (!node.empty()) report(gateway::PayloadKind::Attributes, node, now);
}

void VirtualGateway::fire_event(std::size_t index, std::int64_t now) {
  const FlatEvent& e = topo().events[index];
  const EventSpec& spec = *e.spec;
  json params = json::object();
  for (std::size_t k = 0; k < spec.params.size(); ++k) {
    Slot& slot = slots_[e.first_param_slot + k];
    advance(spec.params[k].generator, slot, now);
    params[spec.params[k].key] = slot_value(spec.params[k].generator, slot, owned_texts_);
  }
  json body = {{"method", spec.method}, {"params", std::move(params)}};
  report(gateway::PayloadKind::Event, gateway::wrap(topo().devices[e.device].target, std::move(body)), now);
  ++context_.metrics->counters.events_sent;
  if (spec.poisson) {
    event_due_[index] = now + std::max<std::int64_t>(1, std::llround(next_exponential(rng_, spec.mean_interval_s) * 1000));
  } else {
    const auto every = std::max<std::int64_t>(1, std::llround(spec.every_s * 1000));
    const std::int64_t missed = (now - event_due_[index]) / every;
    event_due_[index] += (missed + 1) * every;
  }
}

void VirtualGateway::report(gateway::PayloadKind kind, const gateway::GatewayNode& node, std::int64_t now) {
  auto r = kind == gateway::PayloadKind::Event ? role_.report_event(node, now) : role_.report_attributes(node, now);
  if (!r) {
    count_error(context_.metrics->counters, ErrorKind::Protocol);
    std::string record = log_head(now, "error");
    record += ",\"message\":";
    append_string(record, r.error().message);
    log(record + "}");
    return;
  }
  publish(std::move(r->publication.topic), r->publication.payload, r->publication.qos, now,
          kind == gateway::PayloadKind::Event ? Published::Event : Published::Attributes);
}

}  // namespace tpgate::emulator
