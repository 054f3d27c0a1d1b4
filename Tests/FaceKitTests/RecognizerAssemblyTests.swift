import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// `FaceRecognizer(configuration:detector:embedder:refiner:)` refuses parts that do not make the
/// configured pipeline, and custom aligners can build crops with their matrix.
@Suite struct RecognizerAssemblyTests {
    @Test("the default pipeline needs a refiner, and every part must match the configuration")
    func assembly() async throws {
        let back = try await TestModels.shared.detector(.back)
        let front = try await TestModels.shared.detector(.front)
        let embedder = try await TestModels.shared.embedder()
        // Refinement is on by default with the back detector: no silent fallback without a refiner.
        #expect(throws: FaceKitError.self) { try FaceRecognizer(detector: back, embedder: embedder) }
        #expect(throws: FaceKitError.self) { try FaceRecognizer(detector: back, embedder: embedder, refiner: back) }
        _ = try FaceRecognizer(detector: back, embedder: embedder, refiner: front)
        // Without refinement (or with the front detector) no refiner is needed.
        _ = try FaceRecognizer(configuration: .init(refinesKeypoints: false), detector: back, embedder: embedder)
        #expect(!FaceRecognizer.Configuration(detector: .init(variant: .front)).needsKeypointRefiner)
        // An embedder made with other settings than the configuration's is refused.
        #expect(throws: FaceKitError.self) {
            try FaceRecognizer(configuration: .init(embedder: .init(flipAugmentation: true)), detector: back, embedder: embedder, refiner: front)
        }
    }

    @Test("a custom aligner keeps its matrix; only template and eyes are alignment methods")
    func customAligner() throws {
        #expect(AlignmentMethod.allCases == [.template, .eyes])
        let image = try RGBImage(width: 224, height: 224, fill: (200, 10, 10))
        let half = AffineMatrix(0.5, 0, 0, 0, 0.5, 0)
        let crop = try AlignedFace(warping: image, by: half)
        #expect(crop.transform == half && crop.method == nil && crop.pixels.count == AlignedFace.valueCount)
        #expect(crop.pixels[0] == 200)
        let own = try AlignedFace(pixels: [Float](repeating: 1, count: AlignedFace.valueCount), transform: half)
        #expect(own.method == nil && own.transform == half)
        #expect(throws: FaceKitError.self) { try AlignedFace(pixels: [1, 2, 3], transform: half) }
    }
}
