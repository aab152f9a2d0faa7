// The byte buffer frames are written into: growable, without std::vector's
// per-element construction and destruction, which the size-optimised (-Oz)
// wasm build leaves as a call per byte.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace tpgate::frame {

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(data_); }

  void clear() { size_ = 0; }
  // Makes room for `more` bytes past size() and returns where they go.
  std::uint8_t* grow(std::size_t more) {
    if (size_ + more > capacity_) reserve_more(more);
    std::uint8_t* at = data_ + size_;
    size_ += more;
    return at;
  }
  void append(const void* data, std::size_t size) {
    if (size != 0) std::memcpy(grow(size), data, size);
  }
  // Gives back the last `less` bytes of a grow() that reserved more than it used.
  void shrink(std::size_t less) { size_ -= less; }
  // Gives back memory above `keep` bytes (after a one-off burst).
  void trim(std::size_t keep) {
    if (capacity_ <= keep || size_ > keep) return;
    auto* smaller = static_cast<std::uint8_t*>(std::realloc(data_, keep));
    if (smaller == nullptr) return;
    data_ = smaller;
    capacity_ = keep;
  }
  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void reserve_more(std::size_t more) {
    const std::size_t capacity = std::max({size_ + more, capacity_ * 2, std::size_t{256}});
    auto* bigger = static_cast<std::uint8_t*>(std::realloc(data_, capacity));
    if (bigger == nullptr) std::abort();  // out of wasm memory: nothing sensible is left to do
    data_ = bigger;
    capacity_ = capacity;
  }

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tpgate::frame
