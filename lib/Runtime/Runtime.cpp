//===- Runtime.cpp - C API of libquant_runtime ----------------------------===//

#include "quant/Runtime/Runtime.h"

#include "quant/Runtime/Buffer.h"
#include "quant/Runtime/ThreadPool.h"

using namespace mlir::qnt::rt;

void *quant_rt_alloc(size_t bytes, size_t alignment) {
  return alignedAlloc(bytes, alignment);
}

void quant_rt_free(void *ptr) { alignedFree(ptr); }

void quant_rt_parallel_for(int64_t begin, int64_t end,
                           void (*fn)(int64_t lo, int64_t hi, void *ctx),
                           void *ctx) {
  if (!fn)
    return;
  getGlobalThreadPool().parallelFor(begin, end, fn, ctx);
}

void quant_rt_set_num_threads(int numThreads) {
  setGlobalNumThreads(numThreads);
}

int quant_rt_get_num_threads(void) {
  return getGlobalThreadPool().getNumThreads();
}
