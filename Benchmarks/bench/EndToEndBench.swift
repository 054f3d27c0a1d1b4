// `bench end-to-end`: file bytes (already in memory) → the embedding of every face, for a
// 20-megapixel photo and a portrait, on the photo-file path (reduced and region decodes) and
// on the exact path (full decode, then the recognizer on the decoded image), timed in
// alternation so that their ratio is fair on a busy machine. The photos: a 20-MP photo the
// detector tiles (default minimum face 20 px: tiles on the full decode; at 40 px on a 1/2
// decode), a 20-MP close-up (tiles skipped after the single pass), the 2048×922 Solvay photo
// (tiled) and a portrait. At 40 px the full-decode column is also what the photo-file path
// cost before it decoded the tiles' scale at the size it needs (it decoded every tiled photo whole).
import FaceKit
import Foundation

func runEndToEndBench(output: Output) async throws {
    if !output.json { print("\n# end-to-end — \(buildDescription); file bytes in memory → embeddings of every face") }
    let photos: [(label: String, path: String, minimumFace: Double, rounds: Int)] = [
        ("20mp", "../shared/images/group/iss_morgan_hague_flickr48708316717.jpg", 20, 3),
        ("20mp min-face 40", "../shared/images/group/iss_morgan_hague_flickr48708316717.jpg", 40, 3),
        ("20mp close-up", "../shared/images/alexander_gerst/iss_sextant_flickr42403293545.jpg", 20, 10),
        ("2048x922 solvay", "../shared/images/group/solvay1927_colorized.jpg", 20, 3),
        ("portrait", "../shared/images/barack_obama/official_portrait_2012.jpg", 20, 10)]
    for (_, path, _, _) in photos where !FileManager.default.fileExists(atPath: path) {
        throw CLIBenchError("bench end-to-end needs the sample photos: \(path) not found (run from the package root, ../shared beside it)")
    }
    for threads in [1, 2] {
        let configuration = FaceRecognizer.Configuration(detector: .init(threads: ThreadCount(threads)),
                                                         embedder: .init(threads: ThreadCount(threads)))
        let loaded = try await FaceRecognizer(configuration: configuration, store: benchStore())
        let decoder = ImageDecoder()
        for (label, path, minimumFace, rounds) in photos {
            var detection = loaded.configuration.detector
            detection.minimumFaceSize = minimumFace
            let recognizer = try loaded.reconfigured(detector: detection)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let encoded = try EncodedImage(data, source: path)
            var faces = 0
            let prepared = try recognizer.prepare(encoded, decoder: decoder)
            let view = try recognizer.overviewDetections(in: prepared).view
            // Tiles per scale (finest first) when tiling runs (automatic tiling still skips them when
            // the single pass finds a close-up); the reduction detection runs at.
            let tiles = recognizer.detector.tileCounts(width: prepared.overview.fullWidth, height: prepared.overview.fullHeight)
                .map(String.init).joined(separator: "+")
            let (fast, full) = try measureInterleaved(seconds: 3, minimumRounds: rounds, {
                faces = try recognizer.faces(in: try recognizer.prepare(encoded, decoder: decoder)).count
            }, {
                _ = try recognizer.faces(in: try decoder.decode(data, source: path))
            })
            for (mode, m) in [("reduced", fast), ("full-decode", full)] {
                output.emit([("stage", "end-to-end"), ("photo", label), ("decode", mode), ("threads", threads), ("faces", faces),
                             ("tiles", tiles), ("detection_reduction", mode == "reduced" ? view.scale : 1),
                             ("median_ms", m.medianMs), ("p90_ms", m.p90Ms)],
                            table: pad("end-to-end \(label)", 22) + pad(mode, 12)
                                + String(format: "threads %d  faces %d  median %8.2f ms  p90 %8.2f ms", threads, faces, m.medianMs, m.p90Ms)
                                + "  tile plan \(tiles)  detection at 1/\(mode == "reduced" ? view.scale : 1)")
            }
        }
    }
}

struct CLIBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
