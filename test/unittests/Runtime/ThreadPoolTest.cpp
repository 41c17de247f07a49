//===- ThreadPoolTest.cpp - Tests for the runtime thread pool -------------===//

#include "quant/Runtime/ThreadPool.h"
#include "quant/Runtime/Runtime.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace mlir::qnt::rt;

namespace {

/// Runs parallelFor over [begin, end) and checks every index is visited
/// exactly once, by contiguous non-empty chunks no more numerous than the
/// pool's threads.
void checkCoverage(ThreadPool &pool, int64_t begin, int64_t end) {
  int64_t n = end > begin ? end - begin : 0;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> chunks{0};
  std::atomic<bool> badChunk{false};
  pool.parallelFor(begin, end, [&](int64_t lo, int64_t hi) {
    if (lo >= hi || lo < begin || hi > end)
      badChunk = true;
    ++chunks;
    for (int64_t i = lo; i < hi && lo >= begin && hi <= end; ++i)
      ++hits[i - begin];
  });
  EXPECT_FALSE(badChunk) << "[" << begin << ", " << end << ")";
  EXPECT_LE(chunks.load(), pool.getNumThreads());
  if (n > 0)
    EXPECT_EQ(chunks.load(), std::min<int64_t>(n, pool.getNumThreads()));
  else
    EXPECT_EQ(chunks.load(), 0);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hits[i].load(), 1)
        << "index " << begin + i << " of [" << begin << ", " << end << ") with "
        << pool.getNumThreads() << " threads";
}

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4, 7, 16}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.getNumThreads(), threads);
    // The same pool serves many calls: workers are reused.
    for (int64_t begin : {-13, -1, 0, 5})
      for (int64_t len : {0, 1, 2, 3, 4, 6, 7, 15, 16, 17, 100, 1001})
        checkCoverage(pool, begin, begin + len);
    checkCoverage(pool, 10, 3); // reversed range: no calls
  }
}

TEST(ThreadPoolTest, ChunksAreBalancedAndOrdered) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::pair<int64_t, int64_t>> chunks;
  pool.parallelFor(0, 10, [&](int64_t lo, int64_t hi) {
    std::lock_guard<std::mutex> lock(mutex);
    chunks.insert({lo, hi});
  });
  std::set<std::pair<int64_t, int64_t>> expected = {
      {0, 3}, {3, 6}, {6, 8}, {8, 10}};
  EXPECT_EQ(chunks, expected);
}

TEST(ThreadPoolTest, UsesSeveralThreads) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::atomic<int> arrived{0};
  pool.parallelFor(0, 4, [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ids.insert(std::this_thread::get_id());
    }
    // Hold every chunk until all four run, which proves they run at once.
    ++arrived;
    while (arrived.load() < 4)
      std::this_thread::yield();
  });
  EXPECT_EQ(ids.size(), 4u);
}

TEST(ThreadPoolTest, SingleThreadRunsInline) {
  ThreadPool pool(1);
  std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  pool.parallelFor(0, 100, [&](int64_t lo, int64_t hi) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(lo, 0);
    EXPECT_EQ(hi, 100);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPoolTest, DefaultUsesHardwareConcurrency) {
  ThreadPool pool;
  EXPECT_EQ(pool.getNumThreads(), getDefaultNumThreads());
  EXPECT_GE(pool.getNumThreads(), 1);
  ThreadPool negative(-3);
  EXPECT_EQ(negative.getNumThreads(), getDefaultNumThreads());
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(30 * 20);
  pool.parallelFor(0, 30, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      pool.parallelFor(0, 20, [&](int64_t jlo, int64_t jhi) {
        for (int64_t j = jlo; j < jhi; ++j)
          ++hits[i * 20 + j];
      });
  });
  for (auto &hit : hits)
    ASSERT_EQ(hit.load(), 1);
}

TEST(ThreadPoolTest, ConcurrentCallersAreSerialised) {
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep)
        pool.parallelFor(0, 1000, [&](int64_t lo, int64_t hi) {
          int64_t sum = 0;
          for (int64_t i = lo; i < hi; ++i)
            sum += i;
          total += sum;
        });
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(total.load(), 4 * 50 * (999 * 1000 / 2));
}

TEST(ThreadPoolTest, HugeRangesDoNotOverflow) {
  ThreadPool pool(3);
  const int64_t lowest = std::numeric_limits<int64_t>::min();
  const int64_t highest = std::numeric_limits<int64_t>::max();
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  pool.parallelFor(lowest, highest, [&](int64_t lo, int64_t hi) {
    std::lock_guard<std::mutex> lock(mutex);
    chunks.push_back({lo, hi});
  });
  std::sort(chunks.begin(), chunks.end());
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks.front().first, lowest);
  EXPECT_EQ(chunks.back().second, highest);
  for (size_t i = 0; i + 1 < chunks.size(); ++i)
    EXPECT_EQ(chunks[i].second, chunks[i + 1].first);
}

void addRange(int64_t lo, int64_t hi, void *ctx) {
  auto *hits = static_cast<std::vector<std::atomic<int>> *>(ctx);
  for (int64_t i = lo; i < hi; ++i)
    ++(*hits)[i];
}

TEST(RuntimeCApiTest, ParallelForAndThreadCount) {
  for (int threads : {1, 2, 5}) {
    quant_rt_set_num_threads(threads);
    EXPECT_EQ(quant_rt_get_num_threads(), threads);
    std::vector<std::atomic<int>> hits(257);
    quant_rt_parallel_for(0, 257, addRange, &hits);
    for (auto &hit : hits)
      ASSERT_EQ(hit.load(), 1);
  }
  quant_rt_set_num_threads(0);
  EXPECT_EQ(quant_rt_get_num_threads(), getDefaultNumThreads());
  // A null callback is ignored rather than crashing generated code.
  quant_rt_parallel_for(0, 10, nullptr, nullptr);
}

} // namespace
