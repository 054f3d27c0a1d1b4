import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct DetectorBehaviourTests {
    static func astronaut() throws -> RGBImage {
        try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("eileen_collins/skimage_astronaut.png").path)
    }

    @Test("a grayscale photo still finds the face")
    func grayscale() async throws {
        let color = try Self.astronaut()
        var rows: [[UInt8]] = []
        for y in 0..<color.height {
            var row: [UInt8] = []
            for x in 0..<color.width {
                let p = color[x, y]
                let luma: Int = (Int(p.r) * 299 + Int(p.g) * 587 + Int(p.b) * 114) / 1000
                row.append(UInt8(luma))
            }
            rows.append(row)
        }
        let png = TestPNG.encode(width: color.width, height: color.height, bitDepth: 8, colorType: 0, rows: rows)
        let gray = try ImageDecoder().decode(png, source: "gray.png")
        let faces = try await TestModels.shared.detector(.front).detect(in: gray)
        try #require(faces.count == 1)
        let reference = try await TestModels.shared.detector(.front).detect(in: color)
        try #require(reference.count == 1)
        #expect(abs(faces[0].box.center.x - reference[0].box.center.x) < 0.1 * reference[0].box.width)
    }

    @Test("no face, a 1x1 image and a 10000x200 panorama give empty results, not errors")
    func degenerate() async throws {
        let detector = try await TestModels.shared.detector(.front)
        #expect(try detector.detect(in: try RGBImage(width: 64, height: 48, fill: (90, 120, 200))).isEmpty)
        #expect(try detector.detect(in: try RGBImage(width: 1, height: 1, fill: (255, 255, 255))).isEmpty)
        let panorama = try RGBImage(width: 10_000, height: 200, fill: (30, 30, 30))
        #expect(try detector.detect(in: panorama).isEmpty)
    }

    @Test("a face placed in a wide panorama is found where it was placed")
    func panoramaFace() async throws {
        let face = try Self.astronaut().resized(width: 400, height: 400)
        var wide = try RGBImage(width: 2400, height: 400, fill: (128, 128, 128))
        wide.paste(face, x: 1500, y: 0)
        let faces = try await TestModels.shared.detector(.back).detect(in: wide)
        #expect(faces.count == 1)
        if let f = faces.first { #expect(f.box.center.x > 1500 && f.box.center.x < 1900, "\(f.box)") }
    }

    @Test("many tasks can detect with one detector at once, with identical results")
    func concurrency() async throws {
        let detector = try await TestModels.shared.detector(.front)
        let image = try Self.astronaut()
        let expected = try detector.detect(in: image)
        let results = try await withThrowingTaskGroup(of: [DetectedFace].self) { group in
            for _ in 0..<6 { group.addTask { try detector.detect(in: image) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 6 && results.allSatisfy { $0 == expected })
    }

    @Test("batch detection equals one image at a time, and maximumFaces caps the result")
    func batch() async throws {
        let detector = try await TestModels.shared.detector(.front)
        let a = try Self.astronaut()
        let b = try ImageDecoder().decode(contentsOfFile: Shared.reference.appendingPathComponent("decoded/group__obama_biden_oval_office.png").path)
        let both = try detector.detect(in: [a, b])
        let singleA = try detector.detect(in: a), singleB = try detector.detect(in: b)
        #expect(both[0] == singleA && both[1] == singleB)
        try #require(both[1].count == 2)
        let capped = try FaceDetector(configuration: .init(variant: .front, maximumFaces: 1), weights: try await TestModels.shared.weights(.blazefaceFront))
        let one = try capped.detect(in: b)
        #expect(one.count == 1 && one[0] == both[1][0])
    }

    @Test("iouThreshold: 1 keeps every candidate anchor as a face, 0 merges every overlap, 0.3 lies between", arguments: DetectorVariant.allCases)
    func iouThreshold(variant: DetectorVariant) async throws {
        let photo = "group/obama_biden_oval_office.jpg"
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(photo).path)
        let weights = try await TestModels.shared.weights(variant.model)
        func faces(_ iou: Double) throws -> [DetectedFace] {
            try FaceDetector(configuration: .init(variant: variant, iouThreshold: iou), weights: weights).detect(in: image)
        }
        let none = try faces(1), all = try faces(0), standard = try faces(0.3)
        // The reference counts the anchors at or above the minimum score (no IoU exceeds 1: no merging).
        let photos: [String: Any] = try GoldenCases.cast(Shared.referenceJSON("detections.json")["photos"], "detections.json photos")
        let entry: [String: Any] = try GoldenCases.cast((photos[photo] as? [String: Any])?["blazeface-\(variant.rawValue)"], photo)
        let anchors: Int = try GoldenCases.cast(entry["anchorsAboveMinScore"], "anchorsAboveMinScore")
        print("iouThreshold \(variant): 1 → \(none.count) faces (\(anchors) anchors ≥ 0.5), 0.3 → \(standard.count), 0 → \(all.count)")
        #expect(none.count == anchors)
        try #require(standard.count == 2 && all.count <= standard.count && standard.count < none.count)
        // Unmerged faces are single anchors: the best one keeps the best score but not the merged box.
        #expect(none[0].score == standard[0].score && none[0].box != standard[0].box)
        #expect(none.map(\.score) == none.map(\.score).sorted(by: >))
    }

    @Test("wrong weights and bad settings are errors")
    func badConfiguration() async throws {
        let arcface = try await TestModels.shared.weights(.arcfaceSEMobileFaceNet)
        #expect(throws: (any Error).self) { try FaceDetector(configuration: .init(variant: .front), weights: arcface) }
        let front = try await TestModels.shared.weights(.blazefaceFront)
        #expect(throws: FaceKitError.self) { try FaceDetector(configuration: .init(variant: .front, minimumScore: 1.5), weights: front) }
        #expect(throws: FaceKitError.self) { try FaceDetector(configuration: .init(variant: .front, iouThreshold: -0.1), weights: front) }
        #expect(throws: FaceKitError.self) { try FaceDetector(configuration: .init(variant: .front, iouThreshold: 1.5), weights: front) }
        #expect(throws: FaceKitError.self) { try FaceDetector(configuration: .init(variant: .front), weights: front).rawOutputs(input: [1, 2, 3]) }
    }

    @Test("the Swift block tables follow the TF.js graphs (strides, residuals, head inputs)", arguments: DetectorVariant.allCases)
    func graphMatchesTFJS(variant: DetectorVariant) throws {
        let model = try TFJSGraphModel(directory: Shared.weights.appendingPathComponent(variant.model.rawValue))
        let depthwise = model.nodes.filter { $0.op == "DepthwiseConv2dNative" }
        #expect(depthwise.count == (variant == .front ? 16 : 32))
        for (i, node) in depthwise.enumerated() {
            let block = i + 1
            #expect(node.inputs[1] == "unknown_\(4 * block - 3)", "block \(block) depthwise weights")
            let stride2 = variant == .front ? [3, 6, 12].contains(block) : [8, 16, 24, 32].contains(block)
            #expect(node.ints("strides") == (stride2 ? [1, 2, 2, 1] : [1, 1, 1, 1]), "block \(block) stride")
        }
        let adds = model.nodes.filter { $0.op == "AddV2" }.count
        #expect(adds == (variant == .front ? 16 : 31))   // the back model's last block has no residual
    }
}
