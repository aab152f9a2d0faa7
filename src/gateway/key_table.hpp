// Member names by id: the ids the platform role's frames refer to keys by
// (src/frame/frame.hpp, key records). The view (platform_view.hpp) gives a
// telemetry key its id once and keeps it beside the key's value, so that a
// reading costs no lookup here; other values look names up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tpgate::gateway {

// An open-addressing hash table (FNV-1a): a lookup costs one hash and one
// compare, not a tree walk of string compares.
class KeyTable {
 public:
  static constexpr std::uint32_t kMissing = 0xFFFFFFFF;
  // Past this many names, new ones get no id (written in place): a payload
  // of random keys must not grow the table for good.
  static constexpr std::size_t kMaxKeys = 4096;

  std::size_t size() const { return names_.size(); }

  std::uint32_t find(std::string_view name) const {
    if (slots_.empty()) return kMissing;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(name) & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) return kMissing;
      if (names_[slot - 1] == name) return slot - 1;
    }
  }

  // The id of `name`, added when new; kMissing when the table is full.
  std::uint32_t id(std::string_view name) {
    const std::uint32_t known = find(name);
    if (known != kMissing || names_.size() >= kMaxKeys) return known;
    return add(name);
  }

  const std::string& name(std::uint32_t id) const { return names_[id]; }

 private:
  // Adds `name` (not in the table) and returns its id.
  std::uint32_t add(std::string_view name) {
    if ((names_.size() + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 64 : slots_.size() * 2);
    names_.emplace_back(name);
    const auto id = static_cast<std::uint32_t>(names_.size() - 1);
    place(id);
    return id;
  }

  static std::size_t hash(std::string_view name) {
    std::uint32_t h = 2166136261U;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619U;
    return h;
  }
  void place(std::uint32_t id) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(names_[id]) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = id + 1;
  }
  void rehash(std::size_t size) {
    slots_.assign(size, 0);
    for (std::uint32_t id = 0; id < names_.size(); ++id) place(id);
  }

  std::vector<std::string> names_;
  std::vector<std::uint32_t> slots_;  // id + 1; 0 is empty
};

}  // namespace tpgate::gateway
