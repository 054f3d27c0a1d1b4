// `bench profile front|back|embedder THREADS [BATCH] [SECONDS]`: runs one network in a loop for a
// profiler (`perf record -e cpu-clock -g -- bench profile front 1`), then prints its median.
import FaceKit
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
