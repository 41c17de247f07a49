//===- Bandwidth.h - Streaming reads and cache flushing ---------*- C++ -*-===//
//
// What a benchmark of a memory-bound kernel compares against: the fastest
// single-thread read of a buffer the machine manages (the widest vector loads
// the CPU has, several independent accumulators, software prefetch), and a
// cache flush that makes each timed run start cold, as a layer of a model
// larger than the last-level cache does.
//
// This library is plain C++17 with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_RUNTIME_BANDWIDTH_H
#define QUANT_RUNTIME_BANDWIDTH_H

#include "quant/Runtime/Buffer.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlir {
namespace qnt {
namespace rt {

/// The implementations of streamRead, widest last.
enum class StreamReadVariant { Generic, Avx2, Avx512 };

/// Returns true if this build has `variant` and the CPU can run it.
bool isStreamReadSupported(StreamReadVariant variant);

/// The variant streamRead uses: the widest one supported.
StreamReadVariant getStreamReadVariant();

/// The name of `variant`: "generic", "avx2" or "avx512f".
const char *getStreamReadVariantName(StreamReadVariant variant);

/// Reads `bytes` bytes at `data` (any alignment) as fast as one core can and
/// returns the sum, modulo 2^64, of its 64-bit words (native byte order,
/// counted from `data`), the last one zero-padded. The sum depends on every
/// byte, so the read cannot be optimized away.
uint64_t streamRead(const void *data, size_t bytes);

/// streamRead with a given supported variant (for tests).
uint64_t streamReadWith(StreamReadVariant variant, const void *data,
                        size_t bytes);

/// A buffer whose streaming read evicts what a timed run left in the caches.
class CacheFlusher {
public:
  CacheFlusher() = default;
  /// Allocates and writes `bytes` bytes (written, so that the pages are real
  /// and not the shared zero page). On failure valid() returns false.
  explicit CacheFlusher(size_t bytes);

  bool valid() const { return buffer.valid(); }
  explicit operator bool() const { return valid(); }
  size_t size() const { return buffer.size(); }
  const void *data() const { return buffer.data(); }

  /// Reads the whole buffer; returns streamRead's sum, for the caller to use.
  uint64_t flush() const;

private:
  AlignedBuffer buffer;
};

/// A mapped, readable range of memory.
struct MemoryRange {
  const void *data = nullptr;
  size_t size = 0;
};

/// The read-only, non-executable PT_LOAD segments of the loaded ELF object
/// `handle` (from dlopen; dlopen(nullptr) for the main program), in program
/// header order: where quant-compile's weight constants (.rodata) live, for
/// timing a read of the very pages a model reads. Empty if `handle` is null,
/// not a loaded object, or the object has no such segment.
std::vector<MemoryRange> getReadOnlyDataSegments(void *handle);

} // namespace rt
} // namespace qnt
} // namespace mlir

#endif // QUANT_RUNTIME_BANDWIDTH_H
