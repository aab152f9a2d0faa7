#include "gateway/data_scripts.hpp"

#include <utility>

#include "json/read.hpp"
#include "json/writer.hpp"

namespace tpgate::gateway::platform {

namespace {

constexpr std::array<std::string_view, kScriptTypeCount> kNames = {
    "telemetry_up", "telemetry_down", "attributes_up", "attributes_down", "command_down", "event_up"};

}  // namespace

std::string_view script_type_name(ScriptType type) { return kNames[static_cast<std::size_t>(type)]; }

std::optional<ScriptType> script_type_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<ScriptType>(i);
  }
  return std::nullopt;
}

void wrap_script_result(std::string& output, ScriptType type) {
  const tpgate::json::Value value = tpgate::json::parse(output);
  if (value.is_object()) return;
  std::string wrapped;
  {
    tpgate::json::Writer w(wrapped);
    w.begin_object();
    if (type == ScriptType::EventUp) {
      w.key("method").string("_raw").key("params").begin_object().key("value");
    } else {
      w.key("_raw");
    }
    if (value.is_discarded()) {
      w.string(output);
    } else {
      w.raw(output);
    }
    if (type == ScriptType::EventUp) w.end_object();
    w.end_object();
  }
  output = std::move(wrapped);
}

mqtt::Status DataScripts::set(std::string_view configuration, ScriptType type, std::string_view source,
                              const script::Limits& limits) {
  if (configuration.empty()) return mqtt::argument_error("configuration", "must be a non-empty string");
  const std::string name = std::string(configuration) + "." + std::string(script_type_name(type));
  script::Failure failure;
  auto compiled = script::Script::compile(source, name, limits, failure);
  if (!compiled) {
    return mqtt::Error{mqtt::ReasonCode::ImplementationSpecificError,
                       name + " does not compile: " + failure.message, mqtt::ErrorKind::Script, name};
  }
  auto it = configurations_.find(configuration);
  if (it == configurations_.end()) it = configurations_.emplace(std::string(configuration), Scripts{}).first;
  it->second[static_cast<std::size_t>(type)] = std::move(compiled);
  return mqtt::ok_status();
}

void DataScripts::remove(std::string_view configuration, ScriptType type) {
  auto it = configurations_.find(configuration);
  if (it != configurations_.end()) it->second[static_cast<std::size_t>(type)].reset();
}

void DataScripts::assign(std::string_view device, std::string_view configuration) {
  if (configuration.empty()) {
    auto it = devices_.find(device);
    if (it != devices_.end()) devices_.erase(it);
    return;
  }
  devices_.insert_or_assign(std::string(device), std::string(configuration));
}

DataScripts::Found DataScripts::find(std::string_view device, std::string_view alternate, ScriptType type) {
  auto dev = devices_.find(device);
  if (dev == devices_.end() && !alternate.empty()) dev = devices_.find(alternate);
  if (dev == devices_.end()) return {};
  auto conf = configurations_.find(dev->second);
  if (conf == configurations_.end()) return {};
  return Found{conf->second[static_cast<std::size_t>(type)].get(), &conf->first};
}

mqtt::Error DataScripts::error(std::string_view who, const std::string& configuration, ScriptType type,
                               const script::Failure& failure) {
  std::string path = configuration + "." + std::string(script_type_name(type));
  std::string message = std::string(who) + ": " + std::string(script_type_name(type)) + " script of configuration " +
                        configuration + " failed (" + std::string(script::failure_kind_name(failure.kind)) +
                        "): " + failure.message;
  return mqtt::Error{mqtt::ReasonCode::ImplementationSpecificError, std::move(message), mqtt::ErrorKind::Script,
                     std::move(path)};
}

}  // namespace tpgate::gateway::platform
