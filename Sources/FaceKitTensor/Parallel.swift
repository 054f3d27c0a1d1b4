// Splitting work across threads. Small layers run faster on one thread, so every
// kernel decides from its own work size whether to split (see `Parallel.chunks`).

/// How many threads a kernel may use.
public struct ThreadCount: Sendable, Hashable {
    /// The number of threads, at least 1.
    public let value: Int

    /// `count` threads (clamped to at least 1).
    public init(_ count: Int) { value = max(1, count) }

    /// One thread.
    public static let single = ThreadCount(1)
    /// As many threads as the system has active processors.
    public static var automatic: ThreadCount {
        #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
        return ThreadCount(activeProcessorCount())
        #else
        return .single
        #endif
    }
}

/// Runs `body(start, end)` over `0 ..< total`, split in up to `threads` contiguous chunks
/// on the shared worker pool. Work below `minimumPerThread` items per thread, or a pool
/// busy with another caller's job, stays on the calling thread.
@inline(__always)
func parallelFor(
    _ total: Int, threads: ThreadCount, minimumPerThread: Int = 1,
    _ body: (Int, Int) -> Void
) {
    let pool = WorkerPool.shared
    let chunks = min(threads.value, pool.capacity, max(1, total / max(1, minimumPerThread)))
    if chunks <= 1 || total <= 1 {
        body(0, total)
        return
    }
    let ran = pool.run(chunks: chunks) { i in
        let start = total * i / chunks, end = total * (i + 1) / chunks
        if start < end { body(start, end) }
    }
    if !ran { body(0, total) }
}

/// Measures the worker pool for the benchmark: runs `work(chunk, chunks)` split across
/// `threads`, returning after every chunk finished. Public only for `bench`.
public func _benchmarkParallelFor(threads: ThreadCount, _ work: (Int, Int) -> Void) {
    let n = threads.value
    parallelFor(n, threads: threads) { start, end in
        for i in start..<end { work(i, n) }
    }
}
