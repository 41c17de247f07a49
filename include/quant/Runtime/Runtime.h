/*===- Runtime.h - C API of libquant_runtime ----------------------*- C -*-===*\
|*                                                                            *|
|* The functions compiled models call: aligned allocation and a parallel-for  *|
|* over the process-wide thread pool. Plain C so generated LLVM IR can        *|
|* declare and call them directly.                                            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANT_RUNTIME_RUNTIME_H
#define QUANT_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define QUANT_RT_EXPORT __declspec(dllexport)
#else
#define QUANT_RT_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Allocates `bytes` bytes aligned to `alignment` (0: 64 bytes). Returns NULL
 * if the alignment is not a power of two or memory is exhausted. */
QUANT_RT_EXPORT void *quant_rt_alloc(size_t bytes, size_t alignment);

/* Frees memory from quant_rt_alloc; NULL is ignored. */
QUANT_RT_EXPORT void quant_rt_free(void *ptr);

/* Calls fn(lo, hi, ctx) on disjoint contiguous chunks covering [begin, end)
 * on the process-wide pool and returns when all are done. Nested calls from
 * inside fn run inline. */
QUANT_RT_EXPORT void
quant_rt_parallel_for(int64_t begin, int64_t end,
                      void (*fn)(int64_t lo, int64_t hi, void *ctx), void *ctx);

/* Sets the number of threads of the process-wide pool, the caller included
 * (<= 0: hardware concurrency). Call it between parallel loops. */
QUANT_RT_EXPORT void quant_rt_set_num_threads(int num_threads);

/* Returns the number of threads of the process-wide pool. */
QUANT_RT_EXPORT int quant_rt_get_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* QUANT_RUNTIME_RUNTIME_H */
