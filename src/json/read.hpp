// Reading JSON text: nlohmann's parser, never throwing (the wasm build has no
// exceptions and nlohmann is built with JSON_NOEXCEPTION there). Fast paths that
// skip it for common inputs are in scan.hpp; each answers only where it agrees
// with parse().
#pragma once

#include <string>
#include <string_view>

#include "json/value.hpp"

namespace tpgate::json {

// The value, or a discarded one (Value::is_discarded()) when `text` is not JSON.
Value parse(std::string_view text);

// Why `text` is not JSON, with nlohmann's position: "parse error at line 1,
// column 5: syntax error while parsing value - ...". Empty for valid JSON.
std::string parse_error(std::string_view text);

}  // namespace tpgate::json
