// The events of one kind among a role's outputs (gateway or platform role), in order.
#pragma once

#include <variant>
#include <vector>

namespace tpgate::test {

template <class T, class Outputs>
std::vector<T> events_of(const Outputs& out) {
  std::vector<T> found;
  for (const auto& e : out.events) {
    if (const T* t = std::get_if<T>(&e)) found.push_back(*t);
  }
  return found;
}

}  // namespace tpgate::test
