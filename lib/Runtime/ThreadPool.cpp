//===- ThreadPool.cpp - Fork-join thread pool for kernels -----------------===//

#include "quant/Runtime/ThreadPool.h"

#include <algorithm>
#include <memory>

using namespace mlir::qnt::rt;

namespace {
/// Set while this thread runs a chunk, so nested calls run inline instead of
/// waiting for a pool that is busy with their parent.
thread_local bool insideChunk = false;

struct InsideChunkScope {
  bool saved;
  InsideChunkScope() : saved(insideChunk) { insideChunk = true; }
  ~InsideChunkScope() { insideChunk = saved; }
};
} // namespace

int mlir::qnt::rt::getDefaultNumThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int numThreads)
    : numThreads(numThreads <= 0 ? getDefaultNumThreads() : numThreads) {
  workers.reserve(this->numThreads - 1);
  for (int i = 1; i < this->numThreads; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  workReady.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::workerLoop() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    workReady.wait(lock, [&] { return stopping || nextChunk < numChunks; });
    if (stopping)
      return;
    runChunks(lock);
  }
}

void ThreadPool::runChunks(std::unique_lock<std::mutex> &lock) {
  // Chunks are claimed under the mutex, so a worker can never pair a stale
  // callback with a chunk of a later job. There are at most numThreads
  // chunks, so the lock is taken only a handful of times per call.
  while (nextChunk < numChunks) {
    uint64_t k = static_cast<uint64_t>(nextChunk++);
    // Chunk k starts after k full chunks plus one extra index for each of the
    // first min(k, remainder) chunks. Unsigned arithmetic keeps ranges wider
    // than INT64_MAX well defined.
    uint64_t lo = jobBegin + k * chunkBase + std::min(k, chunkRemainder);
    uint64_t hi = lo + chunkBase + (k < chunkRemainder ? 1 : 0);
    RangeFn fn = jobFn;
    void *ctx = jobCtx;
    lock.unlock();
    {
      InsideChunkScope scope;
      fn(static_cast<int64_t>(lo), static_cast<int64_t>(hi), ctx);
    }
    lock.lock();
    if (--pendingChunks == 0)
      workDone.notify_all();
  }
}

void ThreadPool::parallelFor(int64_t begin, int64_t end, RangeFn fn,
                             void *ctx) {
  if (end <= begin)
    return;
  uint64_t count = static_cast<uint64_t>(end) - static_cast<uint64_t>(begin);
  uint64_t chunks = std::min<uint64_t>(count, numThreads);
  if (chunks <= 1 || insideChunk) {
    fn(begin, end, ctx);
    return;
  }

  std::lock_guard<std::mutex> callerLock(callerMutex);
  std::unique_lock<std::mutex> lock(mutex);
  jobFn = fn;
  jobCtx = ctx;
  jobBegin = static_cast<uint64_t>(begin);
  chunkBase = count / chunks;
  chunkRemainder = count % chunks;
  numChunks = static_cast<int64_t>(chunks);
  nextChunk = 0;
  pendingChunks = numChunks;
  workReady.notify_all();
  // The caller works too instead of sleeping through the job.
  runChunks(lock);
  workDone.wait(lock, [&] { return pendingChunks == 0; });
  numChunks = 0;
  nextChunk = 0;
  jobFn = nullptr;
  jobCtx = nullptr;
}

namespace {
std::mutex globalPoolMutex;
std::unique_ptr<ThreadPool> globalPool;
} // namespace

ThreadPool &mlir::qnt::rt::getGlobalThreadPool() {
  std::lock_guard<std::mutex> lock(globalPoolMutex);
  if (!globalPool)
    globalPool = std::make_unique<ThreadPool>();
  return *globalPool;
}

void mlir::qnt::rt::setGlobalNumThreads(int numThreads) {
  std::lock_guard<std::mutex> lock(globalPoolMutex);
  int wanted = numThreads <= 0 ? getDefaultNumThreads() : numThreads;
  if (globalPool && globalPool->getNumThreads() == wanted)
    return;
  globalPool.reset();
  globalPool = std::make_unique<ThreadPool>(wanted);
}
