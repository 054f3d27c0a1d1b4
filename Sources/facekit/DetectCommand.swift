import ArgumentParser
import FaceKit
import FaceKitSupport
import Foundation

extension DetectorVariant: ExpressibleByArgument {}
extension TilingMode: ExpressibleByArgument {}

/// Detector options shared by every command that finds faces.
struct DetectorOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: "BlazeFace variant: back (256 px input, finds small faces; default) or front (128 px, close-ups, cheaper).")
    var variant: DetectorVariant = .back

    @Option(help: "Minimum detection score in [0, 1].")
    var minScore: Double = 0.5

    @Option(help: "Report at most this many faces per image (best first).")
    var maxFaces: Int?

    @Option(help: "Threads per inference (default: all processors).")
    var threads: Int?

    @Option(help: "Smallest face to find, in pixels of the photo (back model; default 20). Large photos are also searched in tiles at finer scales to reach it.")
    var minFace: Double = 20

    @Option(help: "Tiles at finer scales (back model): automatic (default: when the photo is large for --min-face, except close-ups), always, or off (the single pass only).")
    var tiling: TilingMode = .automatic

    func configuration() throws -> FaceDetector.Configuration {
        guard (0...1).contains(minScore) else { throw ValidationError("--min-score must lie in [0, 1]") }
        if let maxFaces, maxFaces < 1 { throw ValidationError("--max-faces must be at least 1") }
        guard minFace.isFinite, minFace >= 1 else { throw ValidationError("--min-face must be at least 1 (pixels)") }
        return FaceDetector.Configuration(variant: variant, minimumScore: minScore, maximumFaces: maxFaces,
                                          threads: threads.map { ThreadCount($0) } ?? .automatic,
                                          minimumFaceSize: minFace, tiling: tiling)
    }
}

/// Rounds for printing.
func rounded(_ v: Double, _ digits: Int = 2) -> Double {
    let p = pow(10, Double(digits))
    return (v * p).rounded() / p
}

/// The JSON object of one face: its ``FaceReport``, the shape the service returns too.
func faceJSON(_ face: DetectedFace) -> JSONObject {
    (try? encodedJSONValue(FaceReport(face))) as? JSONObject ?? JSONObject()
}

/// "x=234 y=76 w=154 h=154 score 0.972": a face's box (whole pixels) and detection score.
func boxSummary(_ face: DetectedFace) -> String {
    let b = face.box
    return "x=\(Int(b.x.rounded())) y=\(Int(b.y.rounded())) w=\(Int(b.width.rounded())) h=\(Int(b.height.rounded())) score \(String(format: "%.3f", face.score))"
}

/// One line describing a face for people.
func faceLine(_ i: Int, _ face: DetectedFace) -> String {
    let b = face.box
    return "  face \(i): score \(String(format: "%.3f", face.score))  box x=\(Int(b.x.rounded())) y=\(Int(b.y.rounded())) w=\(Int(b.width.rounded())) h=\(Int(b.height.rounded()))"
        + "  eyes (\(Int(face.keypoints.rightEye.x)),\(Int(face.keypoints.rightEye.y))) (\(Int(face.keypoints.leftEye.x)),\(Int(face.keypoints.leftEye.y)))"
}

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find the faces in images: box, score and six keypoints, in pixels of the upright image.",
        discussion: "An unreadable image prints one line on stderr; the other images are still processed and the exit status is non-zero.")

    @Argument(help: "Image files (JPEG, PNG or WebP) or directories of them.") var images: [String]
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var weights: WeightsOptions
    @Flag(help: "One JSON object per image.") var json = false
    @Option(help: "Write the image with boxes, keypoints and scores drawn on it to this PNG file (one input image only).")
    var annotate: String?

    func validate() throws {
        if annotate != nil && images.count != 1 { throw ValidationError("--annotate takes exactly one input image") }
    }

    func run() async throws {
        let faceDetector = try await FaceDetector(configuration: try detector.configuration(), store: weights.store())
        var failures = Failures()
        await forEachImage(expandImagePaths(images), label: "detecting", failures: &failures) { path, image in
            let faces = try faceDetector.detect(in: image)
            if json {
                print(try jsonLine(encoding: ImageReport(image: path, width: image.width, height: image.height, faces: faces.map { FaceReport($0) })))
            } else {
                print("\(path): \(image.width)x\(image.height), \(faces.count) face\(faces.count == 1 ? "" : "s")")
                for (i, f) in faces.enumerated() { print(faceLine(i, f)) }
            }
            if let annotate {
                try image.annotated(with: faces).writePNG(to: annotate)
                if !json { print("  annotated image written to \(annotate)") }
            }
        }
        try failures.finish()
    }
}
