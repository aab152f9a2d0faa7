#include "emulator/scenario_reader.hpp"

#include <cmath>

#include "emulator/json_writer.hpp"

namespace tpgate::emulator {
namespace {

bool plain_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string range_text(double lo, double hi) { return format_number(lo) + " to " + format_number(hi); }

}  // namespace

std::string member_path(const std::string& path, std::string_view key) {
  if (plain_key(key)) return path + "." + std::string(key);
  std::string out = path + "[";
  append_string(out, key);
  return out + "]";
}

std::string index_path(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

std::string describe(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string one_of(std::initializer_list<std::string_view> names) {
  std::string out = "one of ";
  bool first = true;
  for (auto name : names) {
    if (!first) out += ", ";
    first = false;
    append_string(out, name);
  }
  return out;
}

bool Reader::fail(const std::string& path, std::string expected, const json& got) {
  if (error_) return false;
  std::string message = path + ": expected " + expected + ", got " + describe(got);
  error_ = ScenarioError{path, std::move(expected), std::move(message)};
  return false;
}

bool Reader::fail_message(const std::string& path, std::string expected, std::string message) {
  if (error_) return false;
  error_ = ScenarioError{path, std::move(expected), path + ": " + message};
  return false;
}

const json* Reader::member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

bool Reader::any_object(const json& value, const std::string& path) {
  if (error_) return false;
  if (!value.is_object()) return fail(path, "an object", value);
  return true;
}

bool Reader::object(const json& value, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!any_object(value, path)) return false;
  for (const auto& [key, member_value] : value.items()) {
    bool known = false;
    for (auto name : allowed) known = known || key == name;
    if (!known) {
      // A typo must not be silently ignored (docs/scenario.md).
      const std::string expected = one_of(allowed);
      return fail_message(member_path(path, key), expected, "unknown field; expected " + expected);
    }
  }
  return true;
}

bool Reader::number(const json& value, const std::string& path, double lo, double hi, double& out) {
  if (error_) return false;
  if (!value.is_number()) return fail(path, "a number from " + range_text(lo, hi), value);
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) return fail(path, "a number from " + range_text(lo, hi), value);
  out = v;
  return true;
}

bool Reader::integer(const json& value, const std::string& path, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (error_) return false;
  const std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  std::int64_t v = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return fail(path, expected, value);
    v = static_cast<std::int64_t>(u);
  } else if (value.is_number_integer()) {
    v = value.get<std::int64_t>();
  } else if (value.is_number_float()) {
    // 5.0 is an integer written with a fraction; 5.5 is not.
    const double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) return fail(path, expected, value);
    v = static_cast<std::int64_t>(d);
  } else {
    return fail(path, expected, value);
  }
  if (v < lo || v > hi) return fail(path, expected, value);
  out = v;
  return true;
}

bool Reader::boolean(const json& value, const std::string& path, bool& out) {
  if (error_) return false;
  if (!value.is_boolean()) return fail(path, "true or false", value);
  out = value.get<bool>();
  return true;
}

bool Reader::string(const json& value, const std::string& path, std::string& out, bool non_empty) {
  if (error_) return false;
  const char* expected = non_empty ? "a non-empty string" : "a string";
  if (!value.is_string()) return fail(path, expected, value);
  const auto& s = value.get_ref<const std::string&>();
  if (non_empty && s.empty()) return fail(path, expected, value);
  out = s;
  return true;
}

bool Reader::opt_number(const json& obj, const std::string& path, std::string_view key, double lo, double hi,
                        double& out) {
  const json* m = member(obj, key);
  return m == nullptr ? !error_ : number(*m, member_path(path, key), lo, hi, out);
}

bool Reader::opt_integer(const json& obj, const std::string& path, std::string_view key, std::int64_t lo,
                         std::int64_t hi, std::int64_t& out) {
  const json* m = member(obj, key);
  return m == nullptr ? !error_ : integer(*m, member_path(path, key), lo, hi, out);
}

bool Reader::opt_boolean(const json& obj, const std::string& path, std::string_view key, bool& out) {
  const json* m = member(obj, key);
  return m == nullptr ? !error_ : boolean(*m, member_path(path, key), out);
}

bool Reader::opt_string(const json& obj, const std::string& path, std::string_view key, std::string& out,
                        bool non_empty) {
  const json* m = member(obj, key);
  return m == nullptr ? !error_ : string(*m, member_path(path, key), out, non_empty);
}

}  // namespace tpgate::emulator
