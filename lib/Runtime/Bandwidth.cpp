//===- Bandwidth.cpp - Streaming reads and cache flushing -----------------===//
//
// One loop per instruction set, picked at run time: the library is built for
// the baseline ISA, and a ratio to a read that is slower than the hardware
// allows would flatter the kernel it is compared with.
//
//===----------------------------------------------------------------------===//

#include "quant/Runtime/Bandwidth.h"

#include <cstring>

#ifdef __linux__
#include <dlfcn.h>
#include <link.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QUANT_STREAM_X86 1
#endif

using namespace mlir::qnt::rt;

namespace {

/// Software prefetch distance: far enough ahead to cover DRAM latency at full
/// bandwidth on one core, near enough to stay in L1.
constexpr size_t kPrefetchDistance = 2048;
constexpr size_t kCacheLine = 64;

/// The address `offset` bytes past `p`, which may lie past the buffer:
/// prefetches never fault, but the pointer arithmetic must not be UB.
inline const void *ahead(const uint8_t *p, size_t offset) {
  return reinterpret_cast<const void *>(reinterpret_cast<uintptr_t>(p) +
                                        offset);
}

/// Sums the words of the last `bytes` (< one vector) bytes, the final partial
/// word zero-padded.
uint64_t sumTail(const uint8_t *p, size_t bytes) {
  uint64_t sum = 0;
  for (; bytes >= 8; p += 8, bytes -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    sum += word;
  }
  if (bytes) {
    uint64_t word = 0;
    std::memcpy(&word, p, bytes);
    sum += word;
  }
  return sum;
}

uint64_t streamReadGeneric(const uint8_t *p, size_t bytes) {
  uint64_t acc[8] = {};
  for (; bytes >= kCacheLine; p += kCacheLine, bytes -= kCacheLine) {
    __builtin_prefetch(ahead(p, kPrefetchDistance));
    for (int i = 0; i < 8; ++i) {
      uint64_t word;
      std::memcpy(&word, p + 8 * i, 8);
      acc[i] += word;
    }
  }
  uint64_t sum = 0;
  for (uint64_t a : acc)
    sum += a;
  return sum + sumTail(p, bytes);
}

#ifdef QUANT_STREAM_X86
__attribute__((target("avx2"))) uint64_t streamReadAvx2(const uint8_t *p,
                                                        size_t bytes) {
  constexpr size_t kStep = 8 * sizeof(__m256i);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0,
          a5 = a0, a6 = a0, a7 = a0;
  for (; bytes >= kStep; p += kStep, bytes -= kStep) {
    for (size_t line = 0; line < kStep; line += kCacheLine)
      __builtin_prefetch(ahead(p, kPrefetchDistance + line));
    const auto *v = reinterpret_cast<const __m256i *>(p);
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(v + 0));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(v + 1));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(v + 2));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(v + 3));
    a4 = _mm256_add_epi64(a4, _mm256_loadu_si256(v + 4));
    a5 = _mm256_add_epi64(a5, _mm256_loadu_si256(v + 5));
    a6 = _mm256_add_epi64(a6, _mm256_loadu_si256(v + 6));
    a7 = _mm256_add_epi64(a7, _mm256_loadu_si256(v + 7));
  }
  for (; bytes >= sizeof(__m256i); p += 32, bytes -= 32)
    a0 = _mm256_add_epi64(
        a0, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
  __m256i all = _mm256_add_epi64(
      _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)),
      _mm256_add_epi64(_mm256_add_epi64(a4, a5), _mm256_add_epi64(a6, a7)));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), all);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + sumTail(p, bytes);
}

__attribute__((target("avx512f"))) uint64_t streamReadAvx512(const uint8_t *p,
                                                             size_t bytes) {
  constexpr size_t kStep = 8 * sizeof(__m512i);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0,
          a5 = a0, a6 = a0, a7 = a0;
  for (; bytes >= kStep; p += kStep, bytes -= kStep) {
    for (size_t line = 0; line < kStep; line += kCacheLine)
      __builtin_prefetch(ahead(p, kPrefetchDistance + line));
    const auto *v = reinterpret_cast<const __m512i *>(p);
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(v + 0));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(v + 1));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(v + 2));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(v + 3));
    a4 = _mm512_add_epi64(a4, _mm512_loadu_si512(v + 4));
    a5 = _mm512_add_epi64(a5, _mm512_loadu_si512(v + 5));
    a6 = _mm512_add_epi64(a6, _mm512_loadu_si512(v + 6));
    a7 = _mm512_add_epi64(a7, _mm512_loadu_si512(v + 7));
  }
  for (; bytes >= sizeof(__m512i); p += 64, bytes -= 64)
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(p));
  __m512i all = _mm512_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)),
      _mm512_add_epi64(_mm512_add_epi64(a4, a5), _mm512_add_epi64(a6, a7)));
  return uint64_t(_mm512_reduce_add_epi64(all)) + sumTail(p, bytes);
}
#endif

StreamReadVariant detectVariant() {
#ifdef QUANT_STREAM_X86
  // Also checks that the OS saves the wider registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return StreamReadVariant::Avx512;
  if (__builtin_cpu_supports("avx2"))
    return StreamReadVariant::Avx2;
#endif
  return StreamReadVariant::Generic;
}

} // namespace

bool mlir::qnt::rt::isStreamReadSupported(StreamReadVariant variant) {
  return static_cast<int>(variant) <= static_cast<int>(getStreamReadVariant());
}

StreamReadVariant mlir::qnt::rt::getStreamReadVariant() {
  static const StreamReadVariant best = detectVariant();
  return best;
}

const char *mlir::qnt::rt::getStreamReadVariantName(StreamReadVariant variant) {
  switch (variant) {
  case StreamReadVariant::Generic:
    return "generic";
  case StreamReadVariant::Avx2:
    return "avx2";
  case StreamReadVariant::Avx512:
    return "avx512f";
  }
  return "unknown";
}

uint64_t mlir::qnt::rt::streamReadWith(StreamReadVariant variant,
                                       const void *data, size_t bytes) {
  const auto *p = static_cast<const uint8_t *>(data);
  switch (variant) {
#ifdef QUANT_STREAM_X86
  case StreamReadVariant::Avx512:
    return streamReadAvx512(p, bytes);
  case StreamReadVariant::Avx2:
    return streamReadAvx2(p, bytes);
#endif
  default:
    return streamReadGeneric(p, bytes);
  }
}

uint64_t mlir::qnt::rt::streamRead(const void *data, size_t bytes) {
  return streamReadWith(getStreamReadVariant(), data, bytes);
}

CacheFlusher::CacheFlusher(size_t bytes)
    : buffer(bytes, kDefaultAlignment, /*zeroFill=*/false) {
  if (buffer)
    std::memset(buffer.data(), 0x5a, bytes);
}

uint64_t CacheFlusher::flush() const {
  return streamRead(buffer.data(), buffer.size());
}

#ifdef __linux__
namespace {

/// What the dl_iterate_phdr callback looks for and finds.
struct SegmentSearch {
  const struct link_map *map;
  bool found = false;
  std::vector<MemoryRange> segments;
};

/// Whether `info` describes the object of `map`: its dynamic section is the
/// one the link map points at (unique per object, unlike the load bias, which
/// is 0 for every non-PIE executable), or, without one, same bias and name.
bool isObjectOf(const dl_phdr_info &info, const struct link_map &map) {
  if (!map.l_ld)
    return info.dlpi_addr == map.l_addr && info.dlpi_name && map.l_name &&
           std::strcmp(info.dlpi_name, map.l_name) == 0;
  for (ElfW(Half) i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr) &header = info.dlpi_phdr[i];
    if (header.p_type == PT_DYNAMIC &&
        info.dlpi_addr + header.p_vaddr ==
            reinterpret_cast<ElfW(Addr)>(map.l_ld))
      return true;
  }
  return false;
}

int collectSegments(dl_phdr_info *info, size_t, void *data) {
  auto &search = *static_cast<SegmentSearch *>(data);
  if (!isObjectOf(*info, *search.map))
    return 0;
  search.found = true;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &header = info->dlpi_phdr[i];
    if (header.p_type != PT_LOAD || header.p_memsz == 0 ||
        !(header.p_flags & PF_R) || (header.p_flags & (PF_W | PF_X)))
      continue;
    search.segments.push_back(
        {reinterpret_cast<const void *>(info->dlpi_addr + header.p_vaddr),
         size_t(header.p_memsz)});
  }
  return 1;
}

} // namespace
#endif

std::vector<MemoryRange> mlir::qnt::rt::getReadOnlyDataSegments(void *handle) {
#ifdef __linux__
  struct link_map *map = nullptr;
  if (!handle || ::dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map)
    return {};
  SegmentSearch search{map};
  ::dl_iterate_phdr(collectSegments, &search);
  return search.segments;
#else
  (void)handle;
  return {};
#endif
}
