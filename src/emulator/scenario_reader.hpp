// Typed, non-throwing access to the scenario JSON with path-naming errors. Every check
// records the FIRST failure only ("$.broker.keepalive_s: expected an integer from 1 to
// 300, got 600") and then turns every later call into a no-op returning false, so the
// parser can be written as a straight sequence of reads. Never calls a throwing
// nlohmann accessor: types are checked before get<> (the wasm build has JSON_NOEXCEPTION).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/scenario.hpp"

namespace tpgate::emulator {

std::string member_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, std::size_t index);
// A short rendering of a value for "got ..." (JSON, cut at 60 characters).
std::string describe(const json& value);
// `one of "a", "b", "c"`
std::string one_of(std::initializer_list<std::string_view> names);

class Reader {
 public:
  bool failed() const { return error_.has_value(); }
  const ScenarioError& error() const { return *error_; }

  // Records "{path}: expected {expected}, got {describe(got)}"; always returns false.
  bool fail(const std::string& path, std::string expected, const json& got);
  // Records "{path}: {expected-free message}" with an explicit expected text.
  bool fail_message(const std::string& path, std::string expected, std::string message);

  // `value` is an object whose keys are all in `allowed` (else "unknown field").
  bool object(const json& value, const std::string& path, std::initializer_list<std::string_view> allowed);
  bool any_object(const json& value, const std::string& path);

  // The member `key` of object `obj` when present (nullptr when absent).
  static const json* member(const json& obj, std::string_view key);

  bool number(const json& value, const std::string& path, double lo, double hi, double& out);
  bool integer(const json& value, const std::string& path, std::int64_t lo, std::int64_t hi, std::int64_t& out);
  bool boolean(const json& value, const std::string& path, bool& out);
  bool string(const json& value, const std::string& path, std::string& out, bool non_empty = false);

  // The same for an optional member: absent leaves `out` unchanged and succeeds.
  bool opt_number(const json& obj, const std::string& path, std::string_view key, double lo, double hi, double& out);
  bool opt_integer(const json& obj, const std::string& path, std::string_view key, std::int64_t lo, std::int64_t hi,
                   std::int64_t& out);
  template <class Int>
  bool opt_int(const json& obj, const std::string& path, std::string_view key, std::int64_t lo, std::int64_t hi,
               Int& out) {
    std::int64_t v = static_cast<std::int64_t>(out);
    if (!opt_integer(obj, path, key, lo, hi, v)) return false;
    out = static_cast<Int>(v);
    return true;
  }
  bool opt_boolean(const json& obj, const std::string& path, std::string_view key, bool& out);
  bool opt_string(const json& obj, const std::string& path, std::string_view key, std::string& out,
                  bool non_empty = false);

 private:
  std::optional<ScenarioError> error_;
};

}  // namespace tpgate::emulator
