//===- ThreadPool.h - Fork-join thread pool for kernels ---------*- C++ -*-===//
//
// A small fork-join pool for compiled kernels: parallelFor splits an index
// range into contiguous chunks (one per thread, so each thread streams its own
// slice of output channels) and runs them on persistent workers plus the
// calling thread. Workers are created once; a call allocates nothing.
//
// Calls from several threads are serialised. A parallelFor issued from inside
// a running chunk runs inline rather than deadlocking on the busy pool.
//
// This library is plain C++17 with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_RUNTIME_THREADPOOL_H
#define QUANT_RUNTIME_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlir {
namespace qnt {
namespace rt {

/// The chunk callback shared with the C API: runs indices [lo, hi).
using RangeFn = void (*)(int64_t lo, int64_t hi, void *ctx);

/// Returns std::thread::hardware_concurrency(), or 1 if it is unknown.
int getDefaultNumThreads();

class ThreadPool {
public:
  /// Uses `numThreads` threads in total, the caller included; values <= 0
  /// mean getDefaultNumThreads(). With 1 thread every call runs inline.
  explicit ThreadPool(int numThreads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int getNumThreads() const { return numThreads; }

  /// Runs fn(lo, hi, ctx) over disjoint contiguous chunks that together cover
  /// [begin, end) exactly once, and returns when all chunks are done. Uses at
  /// most getNumThreads() chunks, none empty; an empty range calls nothing.
  void parallelFor(int64_t begin, int64_t end, RangeFn fn, void *ctx);

  /// As above with any callable taking (int64_t lo, int64_t hi).
  template <typename Fn,
            typename = std::enable_if_t<!std::is_convertible_v<Fn, RangeFn>>>
  void parallelFor(int64_t begin, int64_t end, Fn &&fn) {
    using FnT = std::remove_reference_t<Fn>;
    parallelFor(
        begin, end,
        [](int64_t lo, int64_t hi, void *ctx) {
          (*static_cast<FnT *>(ctx))(lo, hi);
        },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }

private:
  void workerLoop();
  /// Claims and runs chunks of the current job until none is left. `lock`
  /// holds `mutex` on entry and on exit.
  void runChunks(std::unique_lock<std::mutex> &lock);

  int numThreads;
  std::vector<std::thread> workers;

  /// Serialises callers so only one job is in flight.
  std::mutex callerMutex;
  /// Guards everything below.
  std::mutex mutex;
  std::condition_variable workReady;
  std::condition_variable workDone;
  bool stopping = false;
  RangeFn jobFn = nullptr;
  void *jobCtx = nullptr;
  uint64_t jobBegin = 0;
  uint64_t chunkBase = 0;
  uint64_t chunkRemainder = 0;
  int64_t numChunks = 0;
  int64_t nextChunk = 0;
  int64_t pendingChunks = 0;
};

/// The process-wide pool used by the C API, created on first use.
ThreadPool &getGlobalThreadPool();

/// Replaces the global pool by one with `numThreads` threads (<= 0: default).
/// Must not be called while the global pool runs a parallelFor.
void setGlobalNumThreads(int numThreads);

} // namespace rt
} // namespace qnt
} // namespace mlir

#endif // QUANT_RUNTIME_THREADPOOL_H
