//===- Buffer.h - Aligned host buffers --------------------------*- C++ -*-===//
//
// Aligned allocation for tensors handed to compiled kernels. The default
// alignment is 64 bytes, one cache line and one AVX-512 register, so aligned
// vector loads are legal on every buffer the runtime hands out.
//
// This library is plain C++17 with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_RUNTIME_BUFFER_H
#define QUANT_RUNTIME_BUFFER_H

#include <cstddef>

namespace mlir {
namespace qnt {
namespace rt {

inline constexpr size_t kDefaultAlignment = 64;

/// Returns true if `alignment` is a power of two.
bool isValidAlignment(size_t alignment);

/// Allocates `bytes` bytes aligned to `alignment` (0 means kDefaultAlignment;
/// values below sizeof(void *) are rounded up). Returns nullptr if the
/// alignment is not a power of two or memory is exhausted. A zero-byte request
/// returns a unique non-null pointer, so callers can treat nullptr as failure.
void *alignedAlloc(size_t bytes, size_t alignment = kDefaultAlignment);

/// Frees memory from alignedAlloc; nullptr is ignored.
void alignedFree(void *ptr);

/// Owns one aligned allocation. Move-only.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  /// Allocates `bytes` bytes; zero-filled unless `zeroFill` is false. On
  /// failure the buffer is empty and valid() returns false.
  explicit AlignedBuffer(size_t bytes, size_t alignment = kDefaultAlignment,
                         bool zeroFill = true);
  ~AlignedBuffer();

  AlignedBuffer(AlignedBuffer &&other) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;

  /// True when the buffer holds an allocation (also for zero bytes).
  bool valid() const { return ptr != nullptr; }
  explicit operator bool() const { return valid(); }

  void *data() { return ptr; }
  const void *data() const { return ptr; }
  size_t size() const { return bytes; }
  size_t alignment() const { return align; }

  template <typename T>
  T *as() {
    return static_cast<T *>(ptr);
  }
  template <typename T>
  const T *as() const {
    return static_cast<const T *>(ptr);
  }

  /// Frees the allocation and leaves the buffer empty.
  void reset();
  /// Gives up ownership; the caller frees the result with alignedFree.
  void *release();

private:
  void *ptr = nullptr;
  size_t bytes = 0;
  size_t align = 0;
};

} // namespace rt
} // namespace qnt
} // namespace mlir

#endif // QUANT_RUNTIME_BUFFER_H
