// Embind registration of `heapStats()`: how much of the wasm heap is in use.
//
// Leak tests (tests/js/heap.test.js) compare it before and after thousands of
// sessions come and go; operators can log it next to a fleet's size. Reading
// the allocator's counters allocates nothing, so the reading does not disturb
// what it measures.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>

namespace tpgate::bindings {
namespace {

using emscripten::val;

val heap_stats() {
  const struct mallinfo info = mallinfo();
  val out = val::object();
  // The wasm linear memory as a whole; it only ever grows.
  out.set("heapSize", static_cast<double>(emscripten_get_heap_size()));
  // The allocator's high-water mark: the top of the memory sbrk has handed out.
  out.set("sbrkTop", static_cast<double>(reinterpret_cast<std::uintptr_t>(sbrk(0))));
  // Bytes in live malloc'ed blocks: what a leak makes grow.
  out.set("inUse", static_cast<double>(info.uordblks));
  // Bytes the allocator holds but has not handed out.
  out.set("free", static_cast<double>(info.fordblks));
  return out;
}

}  // namespace

EMSCRIPTEN_BINDINGS(tpgate_diagnostics) { emscripten::function("heapStats", &heap_stats); }

}  // namespace tpgate::bindings
