#include <cstdint>

#include "json/scan.hpp"

namespace tpgate::json {

Match match_string_members(std::string_view text, std::span<const std::string_view> names,
                           std::span<std::string_view> values) {
  if (names.size() > 64 || values.size() < names.size()) return Match::NotHandled;
  Scanner s(text);
  const char first = s.peek();
  // Not an object, or not JSON; unless a byte order mark (which nlohmann
  // skips) comes first.
  if (first != '{') return static_cast<unsigned char>(first) == 0xEF ? Match::NotHandled : Match::No;
  s.take('{');
  std::uint64_t seen = 0;  // bit i: names[i] was read
  for (std::size_t member = 0; member < names.size(); ++member) {
    if (member > 0 && !s.take(',')) return Match::No;  // fewer members, or not JSON
    if (s.peek() != '"') return Match::No;                // {}, or not JSON
    std::string_view name;
    if (!s.string(name)) return Match::NotHandled;
    std::size_t at = 0;
    while (at < names.size() && names[at] != name) ++at;
    if (at == names.size()) return Match::No;  // another member (or not JSON)
    // A repeated name: nlohmann keeps the last value, and the object may
    // still have exactly these members.
    if (seen & (std::uint64_t{1} << at)) return Match::NotHandled;
    seen |= std::uint64_t{1} << at;
    if (!s.take(':')) return Match::No;
    // Not a string (or one with escapes): the name may come again with one.
    if (s.peek() != '"' || !s.string(values[at])) return Match::NotHandled;
  }
  if (s.peek() == ',') return Match::NotHandled;  // more members, maybe repeating these
  if (!s.take('}')) return Match::No;
  return s.done() ? Match::Yes : Match::No;  // trailing bytes: not JSON
}

}  // namespace tpgate::json
