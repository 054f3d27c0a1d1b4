// Splitting work across threads. Small layers run faster on one thread, so every
// kernel decides from its own work size whether to split (see `Parallel.chunks`).
import Dispatch

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

/// Runs `body(start, end)` over `0 ..< total`, split in up to `threads` contiguous chunks.
/// Work below `minimumPerThread` items per thread stays on the calling thread.
@inline(__always)
func parallelFor(
    _ total: Int, threads: ThreadCount, minimumPerThread: Int = 1,
    _ body: (Int, Int) -> Void
) {
    let chunks = min(threads.value, max(1, total / max(1, minimumPerThread)))
    if chunks <= 1 || total <= 1 {
        body(0, total)
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UnsafeSendableBox(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let start = total * i / chunks
            let end = total * (i + 1) / chunks
            if start < end { box.value(start, end) }
        }
    }
}

/// Lets a non-escaping closure that only reads shared state cross into `concurrentPerform`.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
