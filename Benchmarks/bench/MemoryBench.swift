// `bench memory [--images N]`: resident memory while one process recognises N images (default
// 1,000: the sample photos in ../shared/images, repeated), sampled every 100 images. After
// warm-up (the first 100) the resident size should stay flat: pooled workspaces, no growth per
// image. Not part of the default run (it takes minutes).
//
// `bench gallery-writer FILE`: the child process of `.ci/gallery-crash-test`, not a benchmark.
// Opens FILE for writing and, forever, enrols person-<n> (n = people already there) with one
// embedding derived from n (stored when enroll returns: one log record, flushed; every 10th
// enrolment also compacts with save()), then prints "saved <n>" and flushes; the test kills it with
// SIGKILL at random moments and checks what the file holds.
import FaceKit
import FaceKitPostgres
import Foundation
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// The resident set size of this process, in bytes (nil when the platform does not say).
func residentBytes() -> Int? {
    #if os(Linux)
    // /proc/self/statm: size resident shared text lib data dt, in pages.
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    #elseif canImport(Darwin)
    var info = mach_task_basic_info()
    var count = mach_msg_type_number_t(MemoryLayout<mach_task_basic_info>.size / MemoryLayout<natural_t>.size)
    let status = withUnsafeMutablePointer(to: &info) {
        $0.withMemoryRebound(to: integer_t.self, capacity: Int(count)) { task_info(mach_task_self_, task_flavor_t(MACH_TASK_BASIC_INFO), $0, &count) }
    }
    return status == KERN_SUCCESS ? Int(info.resident_size) : nil
    #else
    return nil
    #endif
}

func runMemoryBench(output: Output, images count: Int) async throws {
    let root = "../shared/images"
    let paths = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
        .filter { ["jpg", "jpeg", "png", "webp"].contains(($0 as NSString).pathExtension.lowercased()) }
        .sorted().map { "\(root)/\($0)" }
    guard !paths.isEmpty else { throw FaceKitError.invalidArgument("bench memory needs the sample photos in \(root)") }
    if !output.json { print("\n# memory — \(buildDescription); \(count) images (\(paths.count) sample photos repeated): decode + recognise every face, resident size every 100 images") }
    let recognizer = try await FaceRecognizer(store: benchStore())
    let decoder = ImageDecoder()
    var samples: [(Int, Int)] = []
    var faces = 0
    func sample(_ n: Int) {
        guard let rss = residentBytes() else { return }
        samples.append((n, rss))
        output.emit([("bench", "memory"), ("images", n), ("rss_mib", Double(rss) / 1_048_576), ("faces", faces)],
                    table: pad("after \(n) images", 26) + String(format: "resident %8.1f MiB   faces so far %d", Double(rss) / 1_048_576, faces))
    }
    sample(0)
    for i in 0..<count {
        try autoreleasepool {
            let image = try decoder.decode(contentsOfFile: paths[i % paths.count])
            faces += try recognizer.faces(in: image).count
        }
        if (i + 1) % 100 == 0 || i + 1 == count { sample(i + 1) }
    }
    // Flat after warm-up: the growth from the first sample after warm-up to the last.
    if let warm = samples.first(where: { $0.0 >= min(100, count) }), let last = samples.last, last.0 > warm.0 {
        let growth = Double(last.1 - warm.1) / 1_048_576
        let peak = Double(samples.filter { $0.0 >= warm.0 }.map(\.1).max()! - warm.1) / 1_048_576
        output.emit([("bench", "memory-summary"), ("images", count), ("warm_rss_mib", Double(warm.1) / 1_048_576),
                     ("final_rss_mib", Double(last.1) / 1_048_576), ("growth_mib", growth), ("max_above_warm_mib", peak)],
                    table: pad("after warm-up", 26) + String(format: "resident %.1f MiB at %d images, %.1f MiB at %d: growth %+.1f MiB (at most %+.1f)",
                                                               Double(warm.1) / 1_048_576, warm.0, Double(last.1) / 1_048_576, last.0, growth, peak))
    }
}

#if !canImport(Darwin)
/// Foundation's autorelease pools exist only on Apple platforms; elsewhere this just runs `body`.
func autoreleasepool<T>(invoking body: () throws -> T) rethrows -> T { try body() }
#endif

func runGalleryWriter(path: String) async throws -> Never {
    if path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") { try await runPostgresWriter(url: path) }
    // A small compaction threshold (16 KiB of log, ~14 enrolments) so that kills land in
    // appends, in automatic compactions and in the explicit save() of every 10th enrolment.
    let file = try GalleryFile(url: URL(fileURLWithPath: path), writable: true, minimumLogBytes: 16_384, compactionRatio: 0.5)
    let gallery = try FaceGallery(storage: file)
    var n = await gallery.people.count
    while true {
        // A deterministic, distinct embedding per person: the checker can recompute it.
        let vector = (0..<FaceEmbedder.dimension).map { Float(sin(Double(n * 31 + $0) * 0.37)) }
        try await gallery.enroll("person-\(n)", embeddings: [FaceEmbedding(raw: vector)], personMetadata: ["n": "\(n)"])
        if n % 10 == 9 { try await gallery.save() }
        FileHandle.standardOutput.write(Data("saved \(n)\n".utf8))
        n += 1
    }
}

/// `bench gallery-writer postgres://…`: the child process of `.ci/postgres-crash-test`. Opens
/// the PostgreSQL index at the URL for writing and, forever, enrols person-<n> (n = people
/// already there) with two embeddings derived from n, in one transaction, then prints
/// "saved <n>" and flushes; the test kills it with SIGKILL at random moments, so most kills
/// land while a transaction is open on the server, and checks what the index holds.
func runPostgresWriter(url: String) async throws -> Never {
    let index = try await PostgresFaceIndex.open(url: url, writable: true)
    var n = try await index.enrolledPeople().count
    while true {
        let vectors = (0..<2).map { k in (0..<FaceEmbedder.dimension).map { Float(sin(Double(n * 31 + k * 7 + $0) * 0.37)) } }
        try await index.enroll("person-\(n)", embeddings: vectors.map { FaceEmbedding(raw: $0) }, metadata: nil, personMetadata: ["n": "\(n)"])
        FileHandle.standardOutput.write(Data("saved \(n)\n".utf8))
        n += 1
    }
}
