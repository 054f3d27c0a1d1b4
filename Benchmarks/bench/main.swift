// `swift run -c release bench [kernels] [detector] [embedder] [fusion] [end-to-end] [gallery] [weights] [tiles] [--json]`
// (`tiles` runs only when named: it detects in a 20-MP photo many times.)
// `swift run -c release bench memory [--images N] [--json]` (only when named: it takes minutes)
// `swift run -c release bench index [--index-sizes 100000,1000000] [--json]` (only when named; IndexBench.swift)
// `bench profile front|back|embedder THREADS [BATCH] [SECONDS]`: one network in a loop, for perf
// `bench layers front|back|embedder [SECONDS]`: per-layer times on 1 and 2 threads (ProfileBench.swift)
// `swift run -c release bench postgres` (only when named: needs a server, PostgresBench.swift)
// `bench gallery-writer FILE|postgres://…`: the child process of .ci/gallery-crash-test and .ci/postgres-crash-test (MemoryBench.swift)
//
// Speed is measured here, never asserted in tests. The micro-kernels are chosen at start-up
// from the CPU's features; `FACEKIT_KERNELS=baseline|avx2|avx512` forces one, and every JSON
// line says which ran ("kernels").
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "gallery-writer", arguments.count == 2 {
    do { try await runGalleryWriter(path: arguments[1]) } catch {
        FileHandle.standardError.write(Data("bench gallery-writer: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.first == "layers" {
    do { try await runLayerTimes(Array(arguments.dropFirst())) } catch {
        FileHandle.standardError.write(Data("bench layers: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if arguments.first == "profile" {
    do { try await runProfileLoop(Array(arguments.dropFirst())) } catch {
        FileHandle.standardError.write(Data("bench profile: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
let imageCount = arguments.firstIndex(of: "--images").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 1000
let json = arguments.contains("--json")
let indexSizes = arguments.firstIndex(of: "--index-sizes").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } : nil } ?? [100_000, 1_000_000]
let suites = arguments.enumerated().filter { !$1.hasPrefix("--") && Int($1) == nil && ($0 == 0 || arguments[$0 - 1] != "--index-sizes") }.map(\.1)
let known = ["kernels", "detector", "embedder", "fusion", "end-to-end", "gallery", "weights", "tiles", "memory", "index", "postgres"]
if arguments.contains("--help") || arguments.contains("-h") {
    print("usage: bench [\(known.joined(separator: "|"))]... [--images N] [--index-sizes N,N] [--json]\n  With no suite, runs all of them but tiles, memory, index and postgres.")
    exit(0)
}
for s in suites where !known.contains(s) {
    FileHandle.standardError.write(Data("bench: unknown suite '\(s)'; choose from \(known.joined(separator: ", "))\n".utf8))
    exit(2)
}
let output = Output(json: json)
do {
    if suites.isEmpty || suites.contains("kernels") { try runKernelBench(output: output) }
    if suites.isEmpty || suites.contains("detector") { try await runDetectorBench(output: output) }
    if suites.isEmpty || suites.contains("embedder") { try await runEmbedderBench(output: output) }
    if suites.isEmpty || suites.contains("fusion") { try await runFusionBench(output: output) }
    if suites.isEmpty || suites.contains("end-to-end") { try await runEndToEndBench(output: output) }
    if suites.isEmpty || suites.contains("gallery") { try await runGalleryBench(output: output) }
    if suites.isEmpty || suites.contains("weights") { try await runWeightsBench(output: output) }
    if suites.contains("tiles") { try await runTilesBench(output: output) }
    if suites.contains("memory") { try await runMemoryBench(output: output, images: imageCount) }
    if suites.contains("index") { try await runIndexBench(output: output, sizes: indexSizes) }
    if suites.contains("postgres") { try await runPostgresBench(output: output) }   // PostgresBench.swift
} catch {
    FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
    exit(1)
}
