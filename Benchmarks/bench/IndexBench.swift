// `swift run -c release bench index [--index-sizes 100000,1000000] [--json]` (only when named:
// the 1,000,000-embedding case builds a 1 GB gallery file and takes minutes).
//
// The in-process face index (FaceGallery over a GalleryFile), at 100,000 people × 1 embedding
// and at 1,000,000 people × 1 embedding (random unit vectors, 256-d):
//   - search: one probe, top 10 (the dot-product scan split across the worker pool) and 100
//     probes, top 10 (the GEMM kernel), against 100 single searches in alternation;
//   - enrolment: one embedding per write (one log record + fsync each) and batches of 100
//     embeddings per write, into the full gallery;
//   - the file: compaction (writing the whole snapshot), opening it with an empty log, opening
//     it with the enrolments above still in the log (replay), and compacting them.
import FaceKit
import Foundation

func runIndexBench(output: Output, sizes: [Int]) async throws {
    if !output.json { print("\n# index — \(buildDescription); FaceGallery over a gallery file, random 256-d unit vectors, one embedding per person") }
    let d = FaceEmbedder.dimension
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
    }
    func unit() -> FaceEmbedding { FaceEmbedding(raw: (0..<d).map { _ in next() }) }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("facekit-index-bench-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }

    for size in sizes {
        let url = directory.appendingPathComponent("g\(size).fkg")
        var snapshot = GallerySnapshot()
        snapshot.people.reserveCapacity(size)
        for p in 0..<size { snapshot.people.append(GalleryPerson(identifier: "person-\(p)", embeddings: [GalleryEmbedding(embedding: unit())])) }
        func seconds(_ body: () async throws -> Void) async rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try await body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        var gallery: FaceGallery!
        let write = try await seconds {
            let file = try GalleryFile(url: url, writable: true)
            try file.save(snapshot)
            file.close()
        }
        snapshot = GallerySnapshot()   // let the generator's copy go
        let bytes = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let open = try await seconds { gallery = try FaceGallery(path: url.path, writable: true) }
        output.emit([("bench", "index-file"), ("embeddings", size), ("file_mb", Double(bytes) / 1e6), ("write_snapshot_s", write), ("open_s", open)],
                    table: pad("index file", 26) + String(format: "%8d embeddings  %7.1f MB   write snapshot %6.2f s   open %6.2f s", size, Double(bytes) / 1e6, write, open))

        // Search.
        let probe = unit()
        let one = try await measureAsync(seconds: 2) { _ = try await gallery.search(probe, top: 10) }
        let probes = (0..<100).map { _ in unit() }
        var batch: [Double] = [], singles: [Double] = []
        for _ in 0..<3 {
            batch.append(try await seconds { _ = try await gallery.search(probes, top: 10) } * 1e3)
            singles.append(try await seconds { for p in probes { _ = try await gallery.search(p, top: 10) } } * 1e3)
        }
        batch.sort(); singles.sort()
        output.emit([("bench", "index-search"), ("embeddings", size), ("probes", 1), ("top", 10), ("median_ms", one.medianMs), ("p90_ms", one.p90Ms)],
                    table: pad("index search 1 probe", 26) + String(format: "%8d embeddings  top 10   median %8.2f ms   p90 %8.2f ms", size, one.medianMs, one.p90Ms))
        output.emit([("bench", "index-search"), ("embeddings", size), ("probes", 100), ("top", 10), ("gemm_median_ms", batch[1]),
                     ("single_searches_median_ms", singles[1]), ("ratio", singles[1] / batch[1])],
                    table: pad("index search 100 probes", 26) + String(format: "%8d embeddings  top 10   GEMM %8.1f ms   100 single searches %8.1f ms   (%.1fx)",
                                                                      size, batch[1], singles[1], singles[1] / batch[1]))

        // Enrolment into the full gallery: one embedding per write, then 100 per write.
        // The first write after opening also grows the in-memory matrix (a copy of all
        // vectors, once); it is timed apart from the steady rate.
        let singleCount = 500, batchWrites = 20, perBatch = 100
        let firstWrite = try await seconds { try await gallery.enroll("first", embeddings: [unit()]) }
        let singleVectors = (0..<singleCount).map { _ in unit() }
        let oneAtATime = try await seconds {
            for (k, v) in singleVectors.enumerated() { try await gallery.enroll("new-\(k)", embeddings: [v]) }
        }
        let batchVectors = (0..<batchWrites).map { _ in (0..<perBatch).map { _ in unit() } }
        let batched = try await seconds {
            for (k, list) in batchVectors.enumerated() { try await gallery.enroll("batch-\(k)", embeddings: list) }
        }
        output.emit([("bench", "index-enroll"), ("embeddings", size), ("first_write_s", firstWrite), ("one_per_write_per_s", Double(singleCount) / oneAtATime),
                     ("batched_per_s", Double(batchWrites * perBatch) / batched), ("batch", perBatch)],
                    table: pad("index enrolment", 26) + String(format: "%8d embeddings  first write %.2f s, then 1 per write %6.0f /s   %d per write %8.0f /s   (each write flushed)",
                                                                  size, firstWrite, Double(singleCount) / oneAtATime, perBatch, Double(batchWrites * perBatch) / batched))
        await gallery.close()
        gallery = nil

        // Open with those writes in the log (replayed), then compact them.
        var file: GalleryFile!
        let replay = try await seconds {
            file = try GalleryFile(url: url, writable: true)
            gallery = try FaceGallery(storage: file)
        }
        let layout = file.layout
        let compact = try await seconds { try await gallery.save() }
        await gallery.close()
        gallery = nil
        output.emit([("bench", "index-replay"), ("embeddings", size), ("log_records", layout?.logRecords ?? 0), ("log_mb", Double(layout?.logBytes ?? 0) / 1e6),
                     ("open_with_log_s", replay), ("open_without_log_s", open), ("compaction_s", compact)],
                    table: pad("index open/replay/compact", 26) + String(format: "%8d embeddings  open with %d log records (%.1f MB) %6.2f s (without %.2f s)   compaction %6.2f s",
                                                                             size, layout?.logRecords ?? 0, Double(layout?.logBytes ?? 0) / 1e6, replay, open, compact))
        try? FileManager.default.removeItem(at: url)
    }
}
