// Timing helpers: repeated runs, median and 90th percentile, printed as a table or JSON lines.
import FaceKitSupport
import FaceKitTensor
import Foundation

struct Measurement {
    let medianMs: Double
    let p90Ms: Double
}

/// `FACEKIT_BENCH_CLOCK=thread-cpu` times each run by the calling thread's CPU time instead of
/// the wall clock: on a machine busy with other work, a 1-thread run's CPU time stays close to
/// its time alone (cache and memory contention aside), where its wall time does not. It ignores
/// the worker threads' time, so it means nothing for runs on several threads.
let threadCPUClock = ProcessInfo.processInfo.environment["FACEKIT_BENCH_CLOCK"] == "thread-cpu"

/// Nanoseconds on the wall clock, or on the calling thread's CPU clock (see `threadCPUClock`).
func benchClock() -> UInt64 {
    guard threadCPUClock else { return DispatchTime.now().uptimeNanoseconds }
    #if canImport(Glibc) || canImport(Darwin)
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    #else
    return DispatchTime.now().uptimeNanoseconds
    #endif
}

/// `FACEKIT_BENCH_ITERATIONS=N` runs every measurement exactly N times (after the warm-up), so
/// that two builds do the same work under an instruction counter (`valgrind --tool=cachegrind`).
let fixedIterations = ProcessInfo.processInfo.environment["FACEKIT_BENCH_ITERATIONS"].flatMap { Int($0) }

/// Runs `body` until at least `seconds` have passed (and at least 5 times) after 2 warm-up runs.
func measure(seconds: Double = 0.3, _ body: () throws -> Void) rethrows -> Measurement {
    try body(); try body()
    var samples: [Double] = []
    if let n = fixedIterations {
        for _ in 0..<max(1, n) {
            let t0 = benchClock()
            try body()
            samples.append(Double(benchClock() - t0) / 1e6)
        }
        samples.sort()
        return Measurement(medianMs: samples[samples.count / 2], p90Ms: samples[min(samples.count - 1, samples.count * 9 / 10)])
    }
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < 5 || (Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9 && samples.count < 10_000) {
        let t0 = benchClock()
        try body()
        samples.append(Double(benchClock() - t0) / 1e6)
    }
    samples.sort()
    return Measurement(medianMs: samples[samples.count / 2], p90Ms: samples[min(samples.count - 1, samples.count * 9 / 10)])
}

/// Times `first` and `second` in alternation for at least `seconds` (and 10 rounds each)
/// after a warm-up round, so that both see the same machine state: on a shared VM whose
/// speed drifts by tens of percent, this compares two ways of doing the same work fairly.
/// Which of the two runs first swaps every round (running second was measured to be worth
/// a few percent).
func measureInterleaved(seconds: Double, minimumRounds: Int = 10, _ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Measurement, Measurement) {
    try first(); try second()
    var samples: ([Double], [Double]) = ([], [])
    func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = benchClock()
        try body()
        return Double(benchClock() - t0) / 1e6
    }
    let start = DispatchTime.now().uptimeNanoseconds
    while fixedIterations.map({ samples.0.count < $0 }) ?? (samples.0.count < minimumRounds || Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9) {
        if samples.0.count % 2 == 0 {
            samples.0.append(try time(first)); samples.1.append(try time(second))
        } else {
            samples.1.append(try time(second)); samples.0.append(try time(first))
        }
    }
    func summary(_ s: [Double]) -> Measurement {
        let s = s.sorted()
        return Measurement(medianMs: s[s.count / 2], p90Ms: s[min(s.count - 1, s.count * 9 / 10)])
    }
    return (summary(samples.0), summary(samples.1))
}

struct Output {
    var json: Bool

    /// One JSON line of `fields` (with the shared, escaping JSON writer; numbers rounded to
    /// 4 decimals; it always says which kernel variant ran, as `"kernels"`), or the
    /// human-readable `table` line.
    func emit(_ fields: [(String, Any)], table: String) {
        var fields = fields
        if !fields.contains(where: { $0.0 == "kernels" }) { fields.append(("kernels", KernelConfiguration.current.name)) }
        if json {
            print(jsonLine(JSONObject(fields.map { key, value in
                if let d = value as? Double, d.isFinite { return (key, (d * 10_000).rounded() / 10_000) }
                return (key, value)
            })))
        } else {
            print(table)
        }
    }
}

/// Which micro-kernels run, and what the CPU offers.
var buildDescription: String {
    "kernels \(KernelConfiguration.current.name) (CPU: \(KernelConfiguration.cpuFeatures); FACEKIT_KERNELS forces one of \(KernelConfiguration.available.map(\.name).joined(separator: ", ")))"
}

/// `s` padded with spaces to `width` characters.
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
