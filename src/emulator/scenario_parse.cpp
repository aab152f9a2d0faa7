// The top level of a scenario (docs/scenario.md "Top level"): name, seed, broker,
// gateways (identities), gateway (topology and format), churn, offline_buffer, provision.
#include <string>

#include "emulator/identity.hpp"
#include "emulator/scenario_parse_parts.hpp"
#include "json/read.hpp"

namespace tpgate::emulator {
namespace {

constexpr std::uint32_t kMaxGateways = 1'000'000;

ScenarioError json_error(std::string_view text) {
  return ScenarioError{"$", "valid JSON", "$: invalid JSON: " + tpgate::json::parse_error(text)};
}

bool parse_broker(Reader& r, const json& v, const std::string& path, BrokerSpec& b) {
  if (!r.object(v, path, {"url", "protocol_version", "keepalive_s", "clean_start", "qos", "connect_timeout_s", "reconnect"})) {
    return false;
  }
  if (!r.opt_string(v, path, "url", b.url, true)) return false;
  if (Reader::member(v, "url") != nullptr) {
    static constexpr std::string_view kSchemes[] = {"ws://", "wss://", "mqtt://", "mqtts://", "tcp://", "tls://", "ssl://"};
    bool known = false;
    for (auto scheme : kSchemes) known = known || b.url.rfind(scheme, 0) == 0;
    if (!known) return r.fail(member_path(path, "url"), "a ws://, wss://, mqtt://, mqtts://, tcp:// or tls:// URL", b.url);
  }
  if (const json* version = Reader::member(v, "protocol_version")) {
    if (!(version->is_number_integer() && (*version == 4 || *version == 5))) {
      return r.fail(member_path(path, "protocol_version"), "4 (MQTT 3.1.1) or 5", *version);
    }
    b.protocol_version = version->get<int>();
  }
  // docs/thingspanel.md#authentication: the ThingsPanel broker refuses a keep-alive above 300 s.
  if (!r.opt_int(v, path, "keepalive_s", 1, 300, b.keepalive_s) || !r.opt_boolean(v, path, "clean_start", b.clean_start) ||
      !r.opt_int(v, path, "qos", 0, 2, b.qos) || !r.opt_int(v, path, "connect_timeout_s", 1, 3600, b.connect_timeout_s)) {
    return false;
  }
  if (const json* reconnect = Reader::member(v, "reconnect")) {
    const std::string at = member_path(path, "reconnect");
    if (!r.object(*reconnect, at, {"min_delay_s", "max_delay_s"}) ||
        !r.opt_number(*reconnect, at, "min_delay_s", 0, 86'400, b.reconnect_min_delay_s) ||
        !r.opt_number(*reconnect, at, "max_delay_s", 0, 86'400, b.reconnect_max_delay_s)) {
      return false;
    }
    if (b.reconnect_max_delay_s < b.reconnect_min_delay_s) {
      return r.fail(member_path(at, "max_delay_s"), "a number >= min_delay_s", json(b.reconnect_max_delay_s));
    }
  }
  return true;
}

bool check_template_at(Reader& r, const std::string& text, const std::string& path, bool allow_dn) {
  const std::string problem = check_template(text, allow_dn);
  if (problem.empty()) return true;
  return r.fail_message(path, "a template using {i}, {i:N} or {device_number}", problem);
}

bool check_device_number(Reader& r, const std::string& tmpl, const std::string& path, std::uint64_t i) {
  if (!check_template_at(r, tmpl, path, false)) return false;
  const std::string dn = expand_template(tmpl, i, {});
  if (valid_topic_level(dn)) return true;
  // docs/thingspanel.md#topics: {dn} is one topic level of every downlink topic.
  return r.fail(path, "a template giving a non-empty device_number without '/', '+' or '#'", json(dn));
}

bool parse_credential(Reader& r, const json& v, const std::string& path, std::uint64_t i, Credential& c) {
  if (!r.object(v, path, {"device_number", "client_id", "username", "password"})) return false;
  const json* dn = Reader::member(v, "device_number");
  if (dn == nullptr) {
    return r.fail_message(member_path(path, "device_number"), "a non-empty string", "missing; expected a non-empty string");
  }
  if (!r.string(*dn, member_path(path, "device_number"), c.device_number, true) ||
      !check_device_number(r, c.device_number, member_path(path, "device_number"), i)) {
    return false;
  }
  c.client_id = "{device_number}";
  c.username = "{device_number}";
  if (!r.opt_string(v, path, "client_id", c.client_id, true) || !r.opt_string(v, path, "username", c.username)) return false;
  if (const json* password = Reader::member(v, "password"); password != nullptr && !password->is_null()) {
    std::string p;
    if (!r.string(*password, member_path(path, "password"), p)) return false;
    c.password = p;
  }
  return check_template_at(r, c.client_id, member_path(path, "client_id"), true) &&
         check_template_at(r, c.username, member_path(path, "username"), true) &&
         (!c.password || check_template_at(r, *c.password, member_path(path, "password"), true));
}

bool parse_gateways(Reader& r, const json& v, const std::string& path, GatewaysSpec& g) {
  if (!r.object(v, path, {"count", "first_index", "device_number", "client_id", "username", "password", "credentials"})) {
    return false;
  }
  if (!r.opt_int(v, path, "first_index", 0, 1'000'000'000'000LL, g.first_index)) return false;
  if (const json* credentials = Reader::member(v, "credentials")) {
    const std::string at = member_path(path, "credentials");
    if (!credentials->is_array() || credentials->empty()) return r.fail(at, "a non-empty array of credentials", *credentials);
    if (credentials->size() > kMaxGateways) return r.fail(at, "at most 1000000 credentials", json(credentials->size()));
    for (const char* key : {"device_number", "client_id", "username", "password"}) {
      if (Reader::member(v, key) != nullptr) {
        return r.fail_message(member_path(path, key), "either templates or credentials",
                              "cannot be given with credentials; expected either templates or credentials");
      }
    }
    for (std::size_t k = 0; k < credentials->size(); ++k) {
      Credential c;
      if (!parse_credential(r, (*credentials)[k], index_path(at, k), g.first_index + k, c)) return false;
      g.credentials.push_back(std::move(c));
    }
    g.count = static_cast<std::uint32_t>(g.credentials.size());
  }
  if (!r.opt_int(v, path, "count", 1, kMaxGateways, g.count)) return false;
  if (!g.credentials.empty() && g.count > g.credentials.size()) {
    return r.fail(member_path(path, "count"), "at most the number of credentials (" + std::to_string(g.credentials.size()) + ")",
                  json(g.count));
  }
  if (!g.credentials.empty()) return true;
  if (!r.opt_string(v, path, "device_number", g.device_number, true) ||
      !r.opt_string(v, path, "client_id", g.client_id, true) || !r.opt_string(v, path, "username", g.username)) {
    return false;
  }
  if (const json* password = Reader::member(v, "password"); password != nullptr && !password->is_null()) {
    std::string p;
    if (!r.string(*password, member_path(path, "password"), p)) return false;
    g.password = p;
  }
  if (!check_device_number(r, g.device_number, member_path(path, "device_number"), g.first_index) ||
      !check_template_at(r, g.client_id, member_path(path, "client_id"), true) ||
      !check_template_at(r, g.username, member_path(path, "username"), true) ||
      (g.password && !check_template_at(r, *g.password, member_path(path, "password"), true))) {
    return false;
  }
  // docs/thingspanel.md#authentication: client ids must be unique; device_numbers identify the gateway.
  if (g.count > 1 && !template_uses_index(g.device_number)) {
    return r.fail(member_path(path, "device_number"), "a template with {i} when count > 1 (device numbers must be unique)",
                  json(g.device_number));
  }
  if (g.count > 1 && !template_uses_index(g.client_id) && g.client_id.find("{device_number}") == std::string::npos) {
    return r.fail(member_path(path, "client_id"), "a template with {i} or {device_number} when count > 1 (client ids must be unique)",
                  json(g.client_id));
  }
  return true;
}

bool parse_churn(Reader& r, const json& v, const std::string& path, ChurnSpec& c) {
  return r.object(v, path, {"every_s", "jitter", "offline_s", "abrupt"}) &&
         r.opt_number(v, path, "every_s", 0.001, 1e7, c.every_s) && r.opt_number(v, path, "jitter", 0, 1, c.jitter) &&
         r.opt_number(v, path, "offline_s", 0, 1e7, c.offline_s) && r.opt_boolean(v, path, "abrupt", c.abrupt);
}

json template_or_null(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

}  // namespace

ScenarioResult parse_scenario_value(const json& v) {
  Reader r;
  auto scenario = std::make_shared<Scenario>();
  Scenario& s = *scenario;
  const std::string root = "$";
  if (r.object(v, root, {"name", "seed", "broker", "gateways", "gateway", "churn", "offline_buffer", "provision"}) &&
      r.opt_string(v, root, "name", s.name) && r.opt_int(v, root, "seed", 0, 4'294'967'295LL, s.seed) &&
      r.opt_int(v, root, "offline_buffer", 0, 1'000'000, s.offline_buffer)) {
    if (const json* b = Reader::member(v, "broker")) parse_broker(r, *b, "$.broker", s.broker);
    if (const json* g = Reader::member(v, "gateways"); g != nullptr && !r.failed()) parse_gateways(r, *g, "$.gateways", s.gateways);
    if (const json* g = Reader::member(v, "gateway"); g != nullptr && !r.failed()) {
      if (parse_gateway_spec(r, *g, "$.gateway", 5, 0, s.gateway)) {
        if (const json* f = Reader::member(*g, "format")) parse_format(r, *f, "$.gateway.format", s.format);
      }
    } else if (!r.failed()) {
      s.gateway.device.telemetry_interval_s = 5;
    }
    if (const json* c = Reader::member(v, "churn"); c != nullptr && !r.failed() && !c->is_null()) {
      ChurnSpec churn;
      if (parse_churn(r, *c, "$.churn", churn)) s.churn = churn;
    }
    if (const json* p = Reader::member(v, "provision"); p != nullptr && !r.failed() && !p->is_null()) {
      ProvisionSpec provision;
      if (parse_provision(r, *p, "$.provision", provision)) s.provision = std::move(provision);
    }
  }
  if (r.failed()) return ScenarioResult{nullptr, r.error()};
  // The tree is final and lives in the shared_ptr: pointers into it stay valid.
  s.topology = flatten(s.gateway);
  return ScenarioResult{std::move(scenario), {}};
}

ScenarioResult parse_scenario(std::string_view json_text) {
  json value = tpgate::json::parse(json_text);
  if (value.is_discarded()) return ScenarioResult{nullptr, json_error(json_text)};
  return parse_scenario_value(value);
}

json normalized_scenario(const Scenario& s) {
  json out = json::object();
  out["name"] = s.name;
  out["seed"] = s.seed;
  const BrokerSpec& b = s.broker;
  out["broker"] = {{"url", b.url},
                   {"protocol_version", b.protocol_version},
                   {"keepalive_s", b.keepalive_s},
                   {"clean_start", b.clean_start},
                   {"qos", b.qos},
                   {"connect_timeout_s", b.connect_timeout_s},
                   {"reconnect", {{"min_delay_s", b.reconnect_min_delay_s}, {"max_delay_s", b.reconnect_max_delay_s}}}};
  const GatewaysSpec& g = s.gateways;
  json gateways = {{"count", g.count}, {"first_index", g.first_index}};
  if (g.credentials.empty()) {
    gateways["device_number"] = g.device_number;
    gateways["client_id"] = g.client_id;
    gateways["username"] = g.username;
    gateways["password"] = template_or_null(g.password);
  } else {
    json list = json::array();
    for (const auto& c : g.credentials) {
      list.push_back({{"device_number", c.device_number},
                      {"client_id", c.client_id},
                      {"username", c.username},
                      {"password", template_or_null(c.password)}});
    }
    gateways["credentials"] = list;
  }
  out["gateways"] = gateways;
  out["gateway"] = gateway_spec_json(s.gateway);
  if (s.format) out["gateway"]["format"] = format_json(*s.format);
  if (s.churn) {
    out["churn"] = {{"every_s", s.churn->every_s},
                    {"jitter", s.churn->jitter},
                    {"offline_s", s.churn->offline_s},
                    {"abrupt", s.churn->abrupt}};
  }
  out["offline_buffer"] = s.offline_buffer;
  if (s.provision) out["provision"] = provision_json(*s.provision);
  return out;
}

std::string normalized_scenario_json(const Scenario& s) {
  return normalized_scenario(s).dump(2, ' ', false, json::error_handler_t::replace);
}

std::string_view generator_type_name(GeneratorType type) {
  switch (type) {
    case GeneratorType::Constant: return "constant";
    case GeneratorType::Uniform: return "uniform";
    case GeneratorType::RandomWalk: return "random_walk";
    case GeneratorType::Sine: return "sine";
    case GeneratorType::Sequence: return "sequence";
    case GeneratorType::Counter: return "counter";
    case GeneratorType::Toggle: return "toggle";
    case GeneratorType::Choice: return "choice";
  }
  return "constant";
}

}  // namespace tpgate::emulator
