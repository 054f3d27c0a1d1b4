import ArgumentParser
import FaceKit
import FaceKitSupport
import Foundation

extension AlignmentMethod: ExpressibleByArgument {}

/// Options of the commands that embed faces.
struct PipelineOptions: ParsableArguments {
    @OptionGroup var detector: DetectorOptions
    @Option(help: "Alignment: template (ArcFace template similarity, default) or eyes (eye-level rotation).")
    var alignment: AlignmentMethod = .template
    @Flag(help: "Add the embedding of the mirrored crop before normalising.")
    var flip = false
    @Option(help: "Cosine-similarity threshold for a match (default \(FaceMatcher.defaultThreshold), measured on the sample photos).")
    var threshold: Float = FaceMatcher.defaultThreshold
    @OptionGroup var weights: WeightsOptions

    func configuration() throws -> FaceRecognizer.Configuration {
        guard (-1...1).contains(threshold) else { throw ValidationError("--threshold must lie in [-1, 1]") }
        let threads = detector.threads.map { ThreadCount($0) } ?? .automatic
        return FaceRecognizer.Configuration(detector: try detector.configuration(), alignment: alignment,
                                            embedder: .init(flipAugmentation: flip, threads: threads), threshold: threshold)
    }

    func recognizer() async throws -> FaceRecognizer {
        try await FaceRecognizer(configuration: try configuration(), store: weights.store())
    }
}

/// What `embed --json --aligned` prints per crop: the embedding alone (there is no detection).
struct AlignedCropReport: Encodable { var embedding: [Double] }
/// What `embed --json --aligned` prints per image.
struct AlignedImageReport: Encodable { var image: String; var faces: [AlignedCropReport] }

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Detect, align and embed every face: prints each face's box and 256-d embedding (L2-normalised).")

    @Argument(help: "Image files or directories of them.") var images: [String]
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "Treat each input as an already aligned face crop (resized to 112x112 if needed): no detection.")
    var aligned = false
    @Option(help: "Write each aligned 112x112 crop as PNG into this directory, so you can see what the network saw.")
    var saveCrops: String?
    @Flag(help: "One JSON object per image.") var json = false

    func run() async throws {
        // Already aligned crops need only the embedder; otherwise the same recognizer as compare,
        // enroll and identify (with keypoint refinement), so every command embeds a face alike.
        let recognizer: FaceRecognizer? = aligned ? nil : try await pipeline.recognizer()
        let embedder: FaceEmbedder
        if let recognizer { embedder = recognizer.embedder } else {
            embedder = try await FaceEmbedder(configuration: try pipeline.configuration().embedder, store: pipeline.weights.store())
        }
        if let saveCrops {
            do { try FileManager.default.createDirectory(atPath: saveCrops, withIntermediateDirectories: true) } catch {
                throw CLIError("cannot create --save-crops directory \(saveCrops): \(error.localizedDescription)")
            }
        }
        var failures = Failures()
        let paths = expandImagePaths(images)
        let report = { (path: String, faces: [(DetectedFace?, AlignedFace, FaceEmbedding)]) throws in
            if let saveCrops {
                let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                for (i, face) in faces.enumerated() {
                    try face.1.image.writePNG(to: URL(fileURLWithPath: saveCrops).appendingPathComponent("\(stem)_face\(i).png").path)
                }
            }
            if json {
                if faces.allSatisfy({ $0.0 != nil }) {
                    let reports = faces.map { f -> FaceReport in
                        var report = FaceReport(f.0!)
                        report.embedding = FaceReport.values(of: f.2)
                        return report
                    }
                    print(try jsonLine(encoding: ImageReport(image: path, faces: reports)))
                } else {
                    print(try jsonLine(encoding: AlignedImageReport(image: path, faces: faces.map { AlignedCropReport(embedding: FaceReport.values(of: $0.2)) })))
                }
            } else {
                print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")")
                for (i, f) in faces.enumerated() {
                    if let d = f.0 { print(faceLine(i, d)) } else { print("  aligned crop") }
                    print("    embedding [" + f.2.vector.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ") + ", … (\(f.2.vector.count) values; --json prints all)]")
                }
            }
        }
        if let recognizer {
            await forEachPhoto(paths, recognizer: recognizer, label: "embedding", failures: &failures) { path, photo in
                try report(path, try recognizer.faces(in: photo).map { ($0.detection, $0.aligned, $0.embedding) })
            }
        } else {
            await forEachImage(paths, label: "embedding", failures: &failures) { path, image in
                let crop = try AlignedFace(alignedImage: image)
                try report(path, [(nil, crop, try embedder.embedding(of: crop))])
            }
        }
        try failures.finish()
    }
}

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare the main face of two images (the face with the highest detection score in each).",
        discussion: "Prints cosine similarity, Euclidean distance of the normalised embeddings, the threshold and the verdict. Exit status 0 either way; non-zero only on errors.")

    @Argument(help: "First image.") var first: String
    @Argument(help: "Second image.") var second: String
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        let recognizer = try await pipeline.recognizer()
        let a = try recognizer.mainFace(in: try recognizer.prepare(contentsOfFile: first)).embedding
        let b = try recognizer.mainFace(in: try recognizer.prepare(contentsOfFile: second)).embedding
        let v = try recognizer.verify(a, b)
        if json {
            print(try jsonLine(encoding: ComparisonReport(v, first: first, second: second)))
        } else {
            print(String(format: "cosine similarity %.4f   distance %.4f   threshold %.2f   →  %@", v.similarity, v.distance, v.threshold,
                         (v.isMatch ? "same person" : "different people") as NSString))
        }
    }
}
