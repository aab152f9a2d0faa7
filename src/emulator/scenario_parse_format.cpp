// $.gateway.format (docs/scenario.md "Custom format") and $.provision
// (docs/scenario.md "Provisioning").
#include <string>

#include "emulator/scenario_parse_parts.hpp"

namespace tpgate::emulator {
namespace {

bool parse_template(Reader& r, const json& obj, const std::string& path, std::string_view key, bool message_id,
                    bool downlink, bool require_message_id, std::optional<std::string>& out) {
  const json* v = Reader::member(obj, key);
  if (v == nullptr || v->is_null()) return true;
  const std::string at = member_path(path, key);
  std::string text;
  if (!r.string(*v, at, text)) return false;
  const std::string problem = check_topic_template(text, message_id, downlink, require_message_id);
  if (!problem.empty()) return r.fail_message(at, "a topic template with {device_number} / {message_id}", problem);
  out = std::move(text);
  return true;
}

bool parse_script(Reader& r, const json& obj, const std::string& path, std::string_view name, FormatScript& out) {
  const json* v = Reader::member(obj, name);
  if (v == nullptr || v->is_null()) return true;
  const std::string at = member_path(path, name);
  if (!r.object(*v, at, {"source", "file"})) return false;
  if (Reader::member(*v, "file") != nullptr && Reader::member(*v, "source") == nullptr) {
    return r.fail_message(member_path(at, "file"), "the script text as \"source\"",
                          "script files are read by `tpgate emulate` (relative to the scenario file); through "
                          "createEmulator give the script text as \"source\"");
  }
  const json* source = Reader::member(*v, "source");
  if (source == nullptr) {
    return r.fail_message(member_path(at, "source"), "a Lua script", "missing; expected the Lua text of the script");
  }
  if (!r.string(*source, member_path(at, "source"), out.source, true)) return false;
  script::Failure failure;
  auto compiled = script::Script::compile(out.source, name, script::Limits{}, failure);
  if (!compiled) {
    std::string message = "does not compile";
    if (failure.line > 0) message += " (line " + std::to_string(failure.line) + ")";
    message += ": " + failure.message;
    return r.fail_message(member_path(at, "source"), "a Lua script defining encodeInp(msg, topic)", message);
  }
  out.compiled = std::move(compiled);
  return true;
}

}  // namespace

bool parse_format(Reader& r, const json& v, const std::string& path, std::shared_ptr<const FormatSpec>& out) {
  if (v.is_null()) return true;
  if (!r.object(v, path, {"uplink", "downlink", "scripts"})) return false;
  auto f = std::make_shared<FormatSpec>();
  if (const json* up = Reader::member(v, "uplink")) {
    const std::string at = member_path(path, "uplink");
    if (!r.object(*up, at, {"telemetry", "attributes", "event"})) return false;
    for (std::size_t k = 0; k < kUpKinds; ++k) {
      const auto kind = static_cast<UpKind>(k);
      // Telemetry has no message_id (docs/thingspanel.md#topics).
      if (!parse_template(r, *up, at, up_kind_name(kind), kind != UpKind::Telemetry, false, false, f->up_topics[k])) {
        return false;
      }
    }
  }
  if (const json* down = Reader::member(v, "downlink")) {
    const std::string at = member_path(path, "downlink");
    if (!r.object(*down, at, {"command", "attribute_set", "attribute_get", "control"})) return false;
    for (std::size_t k = 0; k < kDownKinds; ++k) {
      const auto kind = static_cast<DownKind>(k);
      // Commands and attribute sets are answered on .../response/{message_id}.
      const bool required = kind == DownKind::Command || kind == DownKind::AttributeSet;
      if (!parse_template(r, *down, at, down_kind_name(kind), true, true, required, f->down_topics[k])) return false;
    }
    // Two kinds on one topic: a downlink could not be told apart.
    for (std::size_t a = 0; a < kDownKinds; ++a) {
      for (std::size_t b = a + 1; b < kDownKinds; ++b) {
        if (f->down_topics[a] && f->down_topics[b] && downlink_filter(*f->down_topics[a], "x") == downlink_filter(*f->down_topics[b], "x")) {
          return r.fail_message(member_path(at, down_kind_name(static_cast<DownKind>(b))), "a topic of its own",
                                "is the same topic as " + std::string(down_kind_name(static_cast<DownKind>(a))) +
                                    "; each downlink kind needs a topic of its own");
        }
      }
    }
  }
  if (const json* scripts = Reader::member(v, "scripts")) {
    const std::string at = member_path(path, "scripts");
    if (!r.object(*scripts, at, {"telemetry_up", "attributes_up", "event_up", "command_down", "attributes_down", "telemetry_down"})) {
      return false;
    }
    for (std::size_t k = 0; k < kUpKinds; ++k) {
      if (!parse_script(r, *scripts, at, up_script_name(static_cast<UpKind>(k)), f->up_scripts[k])) return false;
    }
    for (std::size_t k = 0; k < kDownScripts; ++k) {
      if (!parse_script(r, *scripts, at, down_script_name(static_cast<DownScript>(k)), f->down_scripts[k])) return false;
    }
  }
  out = std::move(f);
  return true;
}

json format_json(const FormatSpec& f) {
  json uplink = json::object();
  for (std::size_t k = 0; k < kUpKinds; ++k) {
    if (f.up_topics[k]) uplink[std::string(up_kind_name(static_cast<UpKind>(k)))] = *f.up_topics[k];
  }
  json downlink = json::object();
  for (std::size_t k = 0; k < kDownKinds; ++k) {
    if (f.down_topics[k]) downlink[std::string(down_kind_name(static_cast<DownKind>(k)))] = *f.down_topics[k];
  }
  json scripts = json::object();
  for (std::size_t k = 0; k < kUpKinds; ++k) {
    if (f.up_scripts[k]) scripts[std::string(up_script_name(static_cast<UpKind>(k)))] = {{"source", f.up_scripts[k].source}};
  }
  for (std::size_t k = 0; k < kDownScripts; ++k) {
    if (f.down_scripts[k]) {
      scripts[std::string(down_script_name(static_cast<DownScript>(k)))] = {{"source", f.down_scripts[k].source}};
    }
  }
  return {{"uplink", uplink}, {"downlink", downlink}, {"scripts", scripts}};
}

bool parse_provision(Reader& r, const json& v, const std::string& path, ProvisionSpec& p) {
  if (!r.object(v, path, {"api_url", "template_secret", "concurrency", "retries", "vouchers_file", "sub_devices"})) return false;
  const json* url = Reader::member(v, "api_url");
  if (url == nullptr) {
    return r.fail_message(member_path(path, "api_url"), "an http:// or https:// URL",
                          "missing; expected the platform's URL, e.g. \"http://127.0.0.1:9999\" (or pass --provision-url)");
  }
  if (!r.string(*url, member_path(path, "api_url"), p.api_url, true)) return false;
  if (p.api_url.rfind("http://", 0) != 0 && p.api_url.rfind("https://", 0) != 0) {
    return r.fail(member_path(path, "api_url"), "an http:// or https:// URL", *url);
  }
  const json* secret = Reader::member(v, "template_secret");
  if (secret == nullptr) {
    return r.fail_message(member_path(path, "template_secret"), "a non-empty string",
                          "missing; expected the device template's secret (or pass --template-secret)");
  }
  if (!r.string(*secret, member_path(path, "template_secret"), p.template_secret, true) ||
      !r.opt_int(v, path, "concurrency", 1, 1000, p.concurrency) || !r.opt_int(v, path, "retries", 0, 100, p.retries) ||
      !r.opt_boolean(v, path, "sub_devices", p.sub_devices)) {
    return false;
  }
  if (const json* file = Reader::member(v, "vouchers_file"); file != nullptr && !file->is_null()) {
    std::string f;
    if (!r.string(*file, member_path(path, "vouchers_file"), f, true)) return false;
    p.vouchers_file = f;
  }
  return true;
}

json provision_json(const ProvisionSpec& p) {
  return {{"api_url", p.api_url},
          {"template_secret", p.template_secret},
          {"concurrency", p.concurrency},
          {"retries", p.retries},
          {"vouchers_file", p.vouchers_file ? json(*p.vouchers_file) : json(nullptr)},
          {"sub_devices", p.sub_devices}};
}

}  // namespace tpgate::emulator
