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

/// The work sizes below which a kernel stays on one thread, and the pool it splits work on.
/// Tests override them for a task (`Tuning.$current.withValue(.alwaysThreaded(on: pool))`)
/// so that every kernel's threaded path runs on any shape, with 3 or 8 workers even on 2 cores.
package struct Tuning: Sendable {
    /// Pointwise GEMMs below this many FLOPs run on one thread (~0.5 MFLOP: a second thread
    /// costs more than it saves).
    package var gemmMinimumFlops = 500_000
    /// Depthwise layers below this many multiply-adds run on one thread.
    package var depthwiseMinimumWork = 200_000
    /// Convolutions below this many multiply-adds run on one thread.
    package var convolutionMinimumWork = 250_000
    /// Copies and max pools (memory-bound passes) split only when each thread writes at least
    /// this many floats.
    package var copyMinimumFloats = 4096
    /// Floats of expanded and of depthwise rows a `SeparableBlock` strip aims for (512 KB each).
    /// Tests make it small to get many strips. Larger strips give the GEMMs more rows per call
    /// (fewer partial 6-row tiles, each weight panel reused over more tiles) and cost little in
    /// cache on these maps: `bench layers embedder strip=16384,131072` (alternating, one process)
    /// measured the embedder 4 % faster on 1 thread and 3 % on 2 with 131,072 floats than with
    /// 16,384 (the 14×14 blocks 5–8 %, now one strip each), BlazeFace back 1 % and front equal;
    /// with no strips at all (the whole map at once) it was 1 % slower again.
    package var separableStripFloats = 131_072
    /// Whether the networks run their separable blocks fused (`SeparableBlock`) or layer by
    /// layer; `bench fusion` times the two in alternation.
    package var fusesSeparableBlocks = true
    /// Whether fused blocks make a pooled or padded shortcut strip by strip (`SeparableBlock.Shortcut`)
    /// instead of in a pass of its own; `bench layers front shortcuts` times the two in alternation.
    package var fusesShortcuts = true
    /// The pool to split work on; nil for the process-wide pool.
    package var pool: WorkerPool? = nil
    /// Per-layer wall times of the networks' forward passes, for `bench layers`; nil (off) normally.
    package var trace: LayerTrace? = nil

    package init() {}

    /// Every kernel splits whatever its size, on `pool`.
    package static func alwaysThreaded(on pool: WorkerPool) -> Tuning {
        var t = Tuning()
        t.gemmMinimumFlops = 0; t.depthwiseMinimumWork = 0; t.convolutionMinimumWork = 0; t.copyMinimumFloats = 0
        t.pool = pool
        return t
    }

    /// The tuning in force for the current task.
    @TaskLocal package static var current = Tuning()
}

/// Runs `body(start, end)` over `0 ..< total` in contiguous pieces on up to `threads` threads of
/// the shared worker pool. Each thread starts on its own share of `tasksPerThread` pieces and
/// then helps with the others' (see `WorkerPool`). Work below `minimumPerThread` items per
/// thread, or a pool busy with another caller's job, stays on the calling thread.
///
/// Measured on the 2-vCPU VM, interleaved runs of the embedder and BlazeFace back on 2
/// threads (medians): one static half per thread 5.4–5.7 and 8.7–9.3 ms; with stealing,
/// 2 pieces per thread 5.5–5.7 / 8.8–9.1, 4 pieces 4.7–5.2 / 7.2–7.6, 8 pieces 4.7–5.1 /
/// 7.5–7.7; 16 pieces were no better than 8.
@inline(__always)
package func parallelFor(
    _ total: Int, threads: ThreadCount, minimumPerThread: Int = 1, tasksPerThread: Int = 8,
    _ body: (Int, Int) -> Void
) {
    let limited = ThreadCount(min(threads.value, max(1, total / max(1, minimumPerThread))))
    parallelForEachThread(total, threads: limited, tasksPerThread: tasksPerThread) { start, end, _ in body(start, end) }
}

/// `parallelFor` whose body also learns which thread runs it: `body(start, end, participant)`
/// with `participant` in `0 ..< threads.value`, and never two pieces at once for one
/// participant, so that the body can use per-thread scratch while tasks are stolen. One
/// participant, one item, or a pool busy with another caller's job runs `body(0, total, 0)`
/// on the calling thread.
@inline(__always)
package func parallelForEachThread(
    _ total: Int, threads: ThreadCount, tasksPerThread: Int = 8, _ body: (Int, Int, Int) -> Void
) {
    let pool = Tuning.current.pool ?? WorkerPool.shared
    let participants = min(threads.value, pool.capacity, total)
    if participants <= 1 || total <= 1 {
        body(0, total, 0)
        return
    }
    let tasks = min(total, participants * max(1, tasksPerThread))
    let ran = pool.run(tasks: tasks, threads: participants) { t, p in
        let start = total * t / tasks, end = total * (t + 1) / tasks
        if start < end { body(start, end, p) }
    }
    if !ran { body(0, total, 0) }
}

/// Measures the worker pool for the benchmark: runs `work(chunk, chunks)` split across
/// `threads`, returning after every chunk finished. Public only for `bench`.
public func _benchmarkParallelFor(threads: ThreadCount, _ work: (Int, Int) -> Void) {
    let n = threads.value
    parallelFor(n, threads: threads) { start, end in
        for i in start..<end { work(i, n) }
    }
}
