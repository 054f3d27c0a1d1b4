import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

struct ReferenceFace {
    let score: Double
    let box: BoundingBox
    let keypoints: [PixelPoint]

    init(_ json: [String: Any]) {
        score = json["score"] as! Double
        let b = json["box"] as! [String: Double]
        box = BoundingBox(x: b["x"]!, y: b["y"]!, width: b["width"]!, height: b["height"]!)
        let k = json["keypoints"] as! [String: [String: Double]]
        keypoints = FaceKeypoints.names.map { PixelPoint(x: k[$0]!["x"]!, y: k[$0]!["y"]!) }
    }
}

func referenceFaces(_ photo: String, _ variant: DetectorVariant) throws -> [ReferenceFace] {
    let photos = try Shared.referenceJSON("detections.json")["photos"] as! [String: Any]
    let entry = (photos[photo] as! [String: Any])["blazeface-\(variant.rawValue)"] as! [String: Any]
    return (entry["faces"] as! [[String: Any]]).map(ReferenceFace.init)
}

/// Largest deviation of box corners and keypoints, as a fraction of the reference box size.
func deviation(_ face: DetectedFace, _ ref: ReferenceFace) -> Double {
    let size = max(ref.box.width, ref.box.height)
    let ours = [PixelPoint(x: face.box.x, y: face.box.y), PixelPoint(x: face.box.x + face.box.width, y: face.box.y + face.box.height)] + face.keypoints.all
    let theirs = [PixelPoint(x: ref.box.x, y: ref.box.y), PixelPoint(x: ref.box.x + ref.box.width, y: ref.box.y + ref.box.height)] + ref.keypoints
    return largest(zip(ours, theirs).map { largest([abs($0.x - $1.x), abs($0.y - $1.y)]) / size })
}

@Suite struct DetectionGoldenTests {
    /// The photos of detections.json; one failing case when it is missing (never zero cases).
    static let photos: [String] = GoldenCases.list("detections.json") {
        (try GoldenCases.cast(Shared.referenceJSON("detections.json")["photos"], "detections.json photos") as [String: Any]).keys.sorted()
    }

    @Test("detections match the reference on every photo", arguments: photos, DetectorVariant.allCases)
    func photo(photo: String, variant: DetectorVariant) async throws {
        try GoldenCases.require(photo)
        // TensorFlow's reference is the single pass; tiled detection is checked against it in TiledDetectionTests.
        let detector = try await TestModels.singlePass(variant)
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(photo).path)
        let faces = try detector.detect(in: image)
        let reference = try referenceFaces(photo, variant)
        #expect(faces.count == reference.count, "\(photo) \(variant): \(faces.count) faces, reference \(reference.count)")
        // Pair each reference face with the detected face closest to it (scores can tie and swap order).
        var unused = Array(faces.indices)
        var worstDeviation = 0.0, worstScore = 0.0
        for ref in reference {
            guard let best = unused.min(by: { deviation(faces[$0], ref) < deviation(faces[$1], ref) }) else { break }
            unused.removeAll { $0 == best }
            worstDeviation = largest([worstDeviation, deviation(faces[best], ref)])
            worstScore = largest([worstScore, abs(faces[best].score - ref.score)])
        }
        print("detect \(variant) \(photo): \(faces.count) faces, worst deviation \(String(format: "%.2e", worstDeviation)) of box size, worst score diff \(String(format: "%.2e", worstScore))")
        // Measured on the 14 photos: deviation ≤ 2.0e-6 of box size, score ≤ 8.8e-7 (the decoded
        // pixels equal the reference's exactly, so only network float noise remains).
        #expect(worstDeviation <= 3e-5)
        #expect(worstScore <= 1e-5)
        #expect(faces.allSatisfy { $0.variant == variant })
    }
}
