// `bench end-to-end`: file bytes (already in memory) → the embedding of every face, for a
// 20-megapixel photo and a portrait, on the photo-file path (reduced and region decodes) and
// on the exact path (full decode, then the recognizer on the decoded image), timed in
// alternation so that their ratio is fair on a busy machine.
import FaceKit
import Foundation

func runEndToEndBench(output: Output) async throws {
    if !output.json { print("\n# end-to-end — \(buildDescription); file bytes in memory → embeddings of every face") }
    let photos = [("20mp", "../shared/images/group/iss_morgan_hague_flickr48708316717.jpg"),
                  ("portrait", "../shared/images/barack_obama/official_portrait_2012.jpg")]
    for (_, path) in photos where !FileManager.default.fileExists(atPath: path) {
        throw CLIBenchError("bench end-to-end needs the sample photos: \(path) not found (run from the package root, ../shared beside it)")
    }
    for threads in [1, 2] {
        let configuration = FaceRecognizer.Configuration(detector: .init(threads: ThreadCount(threads)),
                                                         embedder: .init(threads: ThreadCount(threads)))
        let recognizer = try await FaceRecognizer(configuration: configuration, store: benchStore())
        let decoder = ImageDecoder()
        for (label, path) in photos {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let encoded = try EncodedImage(data, source: path)
            var faces = 0
            let (fast, full) = try measureInterleaved(seconds: 3, {
                faces = try recognizer.faces(in: try recognizer.prepare(encoded, decoder: decoder)).count
            }, {
                _ = try recognizer.faces(in: try decoder.decode(data, source: path))
            })
            for (mode, m) in [("reduced", fast), ("full-decode", full)] {
                output.emit([("stage", "end-to-end"), ("photo", label), ("decode", mode), ("threads", threads), ("faces", faces),
                             ("median_ms", m.medianMs), ("p90_ms", m.p90Ms)],
                            table: pad("end-to-end \(label)", 22) + pad(mode, 12)
                                + String(format: "threads %d  faces %d  median %8.2f ms  p90 %8.2f ms", threads, faces, m.medianMs, m.p90Ms))
            }
        }
    }
}

struct CLIBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
