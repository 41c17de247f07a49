//===- Buffer.cpp - Aligned host buffers ----------------------------------===//

#include "quant/Runtime/Buffer.h"

#include <cstdlib>
#include <cstring>
#include <utility>

using namespace mlir::qnt::rt;

bool mlir::qnt::rt::isValidAlignment(size_t alignment) {
  return alignment != 0 && (alignment & (alignment - 1)) == 0;
}

void *mlir::qnt::rt::alignedAlloc(size_t bytes, size_t alignment) {
  if (alignment == 0)
    alignment = kDefaultAlignment;
  if (!isValidAlignment(alignment))
    return nullptr;
  // posix_memalign requires a multiple of sizeof(void *).
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  // malloc(0) may return nullptr; ask for one byte so success is never null.
  void *ptr = nullptr;
  if (posix_memalign(&ptr, alignment, bytes == 0 ? 1 : bytes) != 0)
    return nullptr;
  return ptr;
}

void mlir::qnt::rt::alignedFree(void *ptr) { std::free(ptr); }

AlignedBuffer::AlignedBuffer(size_t bytes, size_t alignment, bool zeroFill) {
  if (alignment == 0)
    alignment = kDefaultAlignment;
  ptr = alignedAlloc(bytes, alignment);
  if (!ptr)
    return;
  this->bytes = bytes;
  align = alignment < sizeof(void *) ? sizeof(void *) : alignment;
  if (zeroFill && bytes != 0)
    std::memset(ptr, 0, bytes);
}

AlignedBuffer::~AlignedBuffer() { reset(); }

AlignedBuffer::AlignedBuffer(AlignedBuffer &&other) noexcept
    : ptr(std::exchange(other.ptr, nullptr)),
      bytes(std::exchange(other.bytes, 0)),
      align(std::exchange(other.align, 0)) {}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&other) noexcept {
  if (this != &other) {
    reset();
    ptr = std::exchange(other.ptr, nullptr);
    bytes = std::exchange(other.bytes, 0);
    align = std::exchange(other.align, 0);
  }
  return *this;
}

void AlignedBuffer::reset() {
  alignedFree(ptr);
  ptr = nullptr;
  bytes = 0;
  align = 0;
}

void *AlignedBuffer::release() {
  bytes = 0;
  align = 0;
  return std::exchange(ptr, nullptr);
}
