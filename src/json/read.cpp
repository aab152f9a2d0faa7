#include "json/read.hpp"

namespace tpgate::json {
namespace {

// parse() says only "discarded"; the SAX interface reports where and why.
struct ErrorOnlySax {
  std::size_t position = 0;
  std::string message;
  bool failed = false;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Value::number_integer_t) { return true; }
  bool number_unsigned(Value::number_unsigned_t) { return true; }
  bool number_float(Value::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(Value::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(std::string&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) {
    failed = true;
    position = pos;
    message = ex.what();
    return false;
  }
};

}  // namespace

Value parse(std::string_view text) { return Value::parse(text.begin(), text.end(), nullptr, false); }

std::string parse_error(std::string_view text) {
  ErrorOnlySax sax;
  Value::sax_parse(text, &sax, Value::input_format_t::json, false);
  if (!sax.failed) return {};
  std::string message = sax.message;
  // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> "parse error at ..."
  if (const auto bracket = message.find("] "); message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
    message = message.substr(bracket + 2);
  }
  if (message.empty()) message = "invalid JSON at byte " + std::to_string(sax.position);
  return message;
}

}  // namespace tpgate::json
