// The few system facts the tensor layer needs, behind `canImport`.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The number of processors currently available to this process.
func activeProcessorCount() -> Int {
    #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
    let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    return n > 0 ? Int(n) : 1
    #else
    return 1
    #endif
}

/// exp for the scalar epilogues (sigmoid).
@inline(__always) func expf32(_ x: Float) -> Float {
    #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
    return expf(x)
    #else
    return Float(exp(Double(x)))
    #endif
}

/// Gives the processor to another runnable thread, if any (a spinning wait calls it now and
/// then, so that a preempted worker it waits for can run sooner on a busy machine).
@inline(__always) func yieldProcessor() {
    #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
    _ = sched_yield()
    #endif
}
