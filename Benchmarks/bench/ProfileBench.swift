// `bench profile front|back|embedder THREADS [BATCH] [SECONDS]`: runs one network in a loop for a
// profiler (`perf record -e cpu-clock -g -- bench profile front 1`), then prints its median.
import FaceKit
import FaceKitTensor
import Foundation

func runProfileLoop(_ arguments: [String]) async throws {
    guard arguments.count >= 2, let threads = Int(arguments[1]) else {
        throw FaceKitError.invalidArgument("usage: bench profile front|back|embedder THREADS [BATCH] [SECONDS]")
    }
    let batch = arguments.count > 2 ? Int(arguments[2]) ?? 1 : 1
    let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 10 : 10
    let m: Measurement
    switch arguments[0] {
    case "front", "back":
        let variant: DetectorVariant = arguments[0] == "front" ? .front : .back
        let detector = try FaceDetector(configuration: .init(variant: variant, threads: ThreadCount(threads)),
                                        weights: try await benchStore().load(variant.model))
        let n = variant.inputSize
        let input = (0..<(n * n * 3)).map { Float(($0 % 255)) / 127.5 - 1 }
        m = try measure(seconds: seconds) { _ = try detector.rawOutputs(input: input) }
    case "embedder":
        let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads), maximumBatch: batch),
                                        weights: try await benchStore().load(FaceEmbedder.model))
        let input = (0..<(batch * AlignedFace.valueCount)).map { Float(($0 * 7) % 255) / 128 - 0.99 }
        m = try measure(seconds: seconds) { _ = try embedder.rawEmbeddings(input: input, batch: batch) }
    default:
        throw FaceKitError.invalidArgument("bench profile: unknown network \(arguments[0]); use front, back or embedder")
    }
    print(String(format: "%@ threads %d batch %d: median %.3f ms (%@)", arguments[0], threads, batch, m.medianMs, buildDescription))
}

// `bench layers front|back|embedder [shortcuts|shortcuts2] [SECONDS]`: per-layer wall time of one image on 1 thread
// and on 2 threads, in alternating runs of 10 passes, as medians, with the 2-thread speed-up per
// layer. It shows where a second thread gains little: layers left on one thread, short layers
// whose synchronisation costs what they save, and passes that are not threaded at all.
func runLayerTimes(_ arguments: [String]) async throws {
    guard let network = arguments.first else {
        throw FaceKitError.invalidArgument("usage: bench layers front|back|embedder [SECONDS]")
    }
    // `shortcuts`: both columns on 1 thread, the first with BlazeFace's shortcuts made in passes
    // of their own, the second strip by strip in the fused blocks.
    // (`shortcuts2`: the same on 2 threads.)
    // `strip=A,B [threads=N]`: both columns on N threads (1 by default), with fused blocks' strips
    // of A and of B floats (`Tuning.separableStripFloats`).
    let comparesShortcuts = arguments.contains("shortcuts") || arguments.contains("shortcuts2")
    let strips = arguments.first { $0.hasPrefix("strip=") }.map { $0.dropFirst(6).split(separator: ",").compactMap { Int($0) } }
    if let strips, strips.count != 2 { throw FaceKitError.invalidArgument("bench layers: strip=A,B takes two strip sizes in floats") }
    let comparesTuning = comparesShortcuts || strips != nil
    let comparedThreads = arguments.contains("shortcuts2") ? 2
        : arguments.first { $0.hasPrefix("threads=") }.flatMap { Int($0.dropFirst(8)) } ?? 1
    let seconds = arguments.dropFirst().compactMap { Double($0) }.first ?? 10
    var passes: [() throws -> Void] = []
    switch network {
    case "front", "back":
        let variant: DetectorVariant = network == "front" ? .front : .back
        let weights = try await benchStore().load(variant.model)
        let n = variant.inputSize
        let input = (0..<(n * n * 3)).map { Float(($0 % 255)) / 127.5 - 1 }
        for threads in comparesTuning ? [comparedThreads, comparedThreads] : [1, 2] {
            let detector = try FaceDetector(configuration: .init(variant: variant, threads: ThreadCount(threads)), weights: weights)
            passes.append { _ = try detector.rawOutputs(input: input) }
        }
    case "embedder":
        let weights = try await benchStore().load(FaceEmbedder.model)
        let input = (0..<AlignedFace.valueCount).map { Float(($0 * 7) % 255) / 128 - 0.99 }
        for threads in comparesTuning ? [comparedThreads, comparedThreads] : [1, 2] {
            let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads), maximumBatch: 1), weights: weights)
            passes.append { _ = try embedder.rawEmbeddings(input: input, batch: 1) }
        }
    default:
        throw FaceKitError.invalidArgument("bench layers: unknown network \(network); use front, back or embedder")
    }
    let traces = [LayerTrace(), LayerTrace()]
    var totals: [[Double]] = [[], []]
    func run(_ i: Int, _ count: Int) throws {
        var tuning = Tuning.current
        tuning.trace = traces[i]
        if comparesShortcuts { tuning.fusesShortcuts = i == 1 }
        if let strips { tuning.separableStripFloats = strips[i] }
        try Tuning.$current.withValue(tuning) {
            for _ in 0..<count {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try passes[i]()
                totals[i].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
            }
        }
    }
    try run(0, 20); try run(1, 20)
    traces.forEach { $0.reset() }
    totals = [[], []]
    let start = DispatchTime.now().uptimeNanoseconds
    while Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9 {
        try run(0, 10); try run(1, 10)
    }
    func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
    print("\(network): \(totals[0].count) passes per thread count, medians in microseconds (\(buildDescription))")
    let header = comparesShortcuts ? "  own pass  in strip    gain"
        : strips.map { String(format: " %9d %9d    gain", $0[0], $0[1]) } ?? "  1 thread 2 threads    gain"
    print(pad("layer", 44) + header)
    var sums = (0.0, 0.0)
    for (j, label) in traces[0].labels.enumerated() {
        let one = median(traces[0].nanoseconds[j].map { Double($0) / 1e3 })
        // With `shortcuts`, the first column has extra layers (the passes): match by label, the
        // n-th layer of a label with the n-th (blocks repeat their labels).
        let occurrence = traces[0].labels[..<j].filter { $0 == label }.count
        let other = traces[1].labels.indices.filter { traces[1].labels[$0] == label }.dropFirst(occurrence).first
        let two = other.map { median(traces[1].nanoseconds[$0].map { Double($0) / 1e3 }) } ?? 0
        sums.0 += one; sums.1 += two
        print(pad(label, 44) + String(format: " %9.1f %9.1f %6.2fx", one, two, two > 0 ? one / two : 0))
    }
    print(pad("sum of layer medians", 44) + String(format: " %9.1f %9.1f %6.2fx", sums.0, sums.1, sums.0 / max(sums.1, 1e-9)))
    print(pad("whole pass (median)", 44) + String(format: " %9.1f %9.1f %6.2fx", median(totals[0]), median(totals[1]), median(totals[0]) / max(median(totals[1]), 1e-9)))
}
