#include "json/writer.hpp"

#include <algorithm>
#include <cmath>

namespace tpgate::json {

void Writer::grow(std::size_t at_least) {
  // Steps of at least double, within the capacity the string already has
  // when that is enough (a writer per call on a growing record reallocates
  // no more often than appending would).
  const auto used = static_cast<std::size_t>(at_ - s_.data());
  const std::size_t needed = used + at_least;
  std::size_t size = std::max(s_.size() * 2, needed + 256);
  if (size > s_.capacity() && needed <= s_.capacity()) size = s_.capacity();
  s_.resize(size);
  at_ = s_.data() + used;
  end_ = s_.data() + s_.size();
}

void Writer::quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  put('"');
  std::size_t plain = 0;  // start of the run that needs no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    put(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\n': put("\\n"); break;
      case '\r': put("\\r"); break;
      case '\t': put("\\t"); break;
      case '\b': put("\\b"); break;
      case '\f': put("\\f"); break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        put(std::string_view(escape, sizeof escape));
      }
    }
  }
  put(text.substr(plain));
  put('"');
}

void Writer::number_text(double x) {
  if (!std::isfinite(x)) {
    put("null");
    return;
  }
  // What dump() calls: libc++ 14 (Emscripten) has no floating-point
  // std::to_chars, and this is faster than trying printf precisions.
  char digits[64];
  char* end = nlohmann::detail::to_chars(digits, digits + sizeof digits, x);
  put(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

Writer& Writer::number(double x) {
  separate();
  number_text(x);
  return done();
}

// value() without the writer's comma state: a tree's own commas are known.
void Writer::bare(const Value& v) {
  switch (v.type()) {
    case Value::value_t::object: {
      put('{');
      for (auto it = v.begin(); it != v.end(); ++it) {
        quoted(it.key());
        put(':');
        bare(it.value());
        put(',');
      }
      if (at_[-1] == ',') at_[-1] = '}';
      else put('}');
      return;
    }
    case Value::value_t::array: {
      put('[');
      for (const Value& item : v) {
        bare(item);
        put(',');
      }
      if (at_[-1] == ',') at_[-1] = ']';
      else put(']');
      return;
    }
    case Value::value_t::string: quoted(v.get_ref<const std::string&>()); return;
    case Value::value_t::boolean: put(v.get<bool>() ? std::string_view("true") : std::string_view("false")); return;
    case Value::value_t::number_integer: digits(v.get<Value::number_integer_t>()); return;
    case Value::value_t::number_unsigned: digits(v.get<Value::number_unsigned_t>()); return;
    case Value::value_t::number_float: number_text(v.get<double>()); return;
    case Value::value_t::null: put("null"); return;
    case Value::value_t::binary:
    case Value::value_t::discarded:
      // Never read from JSON text; dump() says what it says.
      put(v.dump(-1, ' ', false, Value::error_handler_t::replace));
      return;
  }
}

Writer& Writer::value(const Value& v) {
  separate();
  bare(v);
  return done();
}

}  // namespace tpgate::json
