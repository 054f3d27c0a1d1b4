import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct RecognizerTests {
    static func recognizer() async throws -> FaceRecognizer {
        try FaceRecognizer(detector: try await TestModels.shared.detector(.back), embedder: try await TestModels.shared.embedder(),
                           refiner: try await TestModels.shared.detector(.front))
    }

    @Test("the pipeline API: faces, batch, compare, verify and a missing face")
    func api() async throws {
        let r = try await Self.recognizer()
        let obama1 = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("barack_obama/official_portrait_2012.jpg").path)
        let group = try ImageDecoder().decode(contentsOfFile: Shared.reference.appendingPathComponent("decoded/group__obama_biden_oval_office.png").path)
        let batch = try r.faces(in: [obama1, group])
        try #require(batch.map(\.count) == [1, 2])
        let single = try r.faces(in: group)
        try #require(single.count == 2)
        for (a, b) in zip(batch[1], single) { #expect(try a.embedding.cosineSimilarity(to: b.embedding) > 0.99999) }
        #expect(single.allSatisfy { $0.aligned.method == .template && $0.embedding.vector.count == 256 })
        let v = try r.compare(obama1, group)   // the group photo's main face is Obama's (score 0.924)
        #expect(v.isMatch && v.threshold == FaceMatcher.defaultThreshold)
        #expect(try !r.verify(single[0].embedding, single[1].embedding).isMatch)
        #expect(try r.verify(single[0].embedding, single[1].embedding, threshold: -1).isMatch)
        let blank = try RGBImage(width: 200, height: 200, fill: (10, 200, 10))
        #expect(throws: FaceKitError.noFace(source: "blank.png")) { try r.embedding(of: blank, source: "blank.png") }
        #expect(try r.faces(in: blank).isEmpty)
    }

    @Test("concurrent use of one recognizer gives identical embeddings")
    func concurrent() async throws {
        let r = try await Self.recognizer()
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("eileen_collins/skimage_astronaut.png").path)
        let expected = try r.embedding(of: image)
        let all = try await withThrowingTaskGroup(of: FaceEmbedding.self) { g in
            for _ in 0..<4 { g.addTask { try r.embedding(of: image) } }
            return try await g.reduce(into: []) { $0.append($1) }
        }
        #expect(all.allSatisfy { $0 == expected })
    }

    @Test("refinesKeypoints: false aligns with the back model's own keypoints and loads no refiner")
    func withoutRefinement() async throws {
        let store = TestModels.shared.store
        let plain = try await FaceRecognizer(configuration: .init(refinesKeypoints: false), store: store)
        let refining = try await FaceRecognizer(store: store)
        #expect(!plain.refinesKeypoints && refining.refinesKeypoints)
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("group/obama_biden_oval_office.jpg").path)
        let faces = try plain.faces(in: image), refined = try refining.faces(in: image)
        try #require(faces.count == 2 && refined.count == 2)
        for (face, other) in zip(faces, refined) {
            #expect(face.detection == other.detection, "refinement does not change what the detector reports")
            let own = try TemplateAligner().transform(for: face.detection.keypoints)
            #expect(face.aligned.transform == own, "without refinement the crop comes from the detection's keypoints")
            #expect(other.aligned.transform != own, "with refinement it does not")
            let gap = 1 - cosineInDouble(face.embedding.vector, other.embedding.vector)
            #expect(gap > 1e-3, "refinement changes the embedding (1 − cosine \(gap))")
        }
        // The front detector has nothing to refine: the option makes no difference there.
        let front = FaceRecognizer.Configuration(detector: .init(variant: .front))
        let a = try await FaceRecognizer(configuration: front, store: store)
        var noRefine = front
        noRefine.refinesKeypoints = false
        let b = try await FaceRecognizer(configuration: noRefine, store: store)
        #expect(!a.refinesKeypoints && !b.refinesKeypoints)
        #expect(try a.embedding(of: image) == b.embedding(of: image))
    }

    @Test("a photo with more faces than the embedder's maximumBatch: every face embedded as alone", arguments: [8, 3])
    func manyFaces(maximumBatch: Int) async throws {
        let store = TestModels.shared.store
        let recognizer = try await FaceRecognizer(configuration: .init(embedder: .init(maximumBatch: maximumBatch)), store: store)
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("group/solvay1927_colorized.jpg").path)
        let astronaut = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("eileen_collins/skimage_astronaut.png").path)
        let results = try recognizer.faces(in: [image, astronaut, image])
        // The default detector tiles the Solvay photo: 29 faces (the single pass gave 30 boxes).
        try #require(results.map(\.count) == [29, 1, 29], "\(results.map(\.count))")
        let single = try await TestModels.shared.embedder()
        for (k, faces) in results.enumerated() {
            for (i, face) in faces.enumerated() {
                let alone = try single.embedding(of: face.aligned)
                let d = worstDifference(face.embedding.vector, alone.vector)
                #expect(d.isWithin(1e-5), "image \(k) face \(i): \(d)")
            }
        }
        // Each image's faces belong to it: the repeated photo gives the same faces and embeddings.
        for (a, b) in zip(results[0], results[2]) {
            #expect(a.detection == b.detection && worstDifference(a.embedding.vector, b.embedding.vector).isWithin(1e-5))
        }
    }

    @Test("aligners handle border faces, tiny faces and keypoints outside the image")
    func alignmentEdges() throws {
        let image = try RGBImage(width: 64, height: 48, fill: (200, 100, 50))
        func face(_ x: Double, _ y: Double, _ s: Double) -> DetectedFace {
            DetectedFace(score: 0.9, box: BoundingBox(x: x, y: y, width: s, height: s),
                         keypoints: FaceKeypoints(rightEye: PixelPoint(x: x + 0.3 * s, y: y + 0.35 * s), leftEye: PixelPoint(x: x + 0.7 * s, y: y + 0.35 * s),
                                                  noseTip: PixelPoint(x: x + 0.5 * s, y: y + 0.55 * s), mouthCenter: PixelPoint(x: x + 0.5 * s, y: y + 0.75 * s),
                                                  rightEarTragion: PixelPoint(x: x, y: y + 0.4 * s), leftEarTragion: PixelPoint(x: x + s, y: y + 0.4 * s)),
                         variant: .back)
        }
        for f in [face(-20, -10, 40), face(30, 30, 20), face(50, 40, 60), face(-100, -100, 30)] {
            for aligner in [TemplateAligner() as any FaceAligner, EyeLevelAligner()] {
                let a = try aligner.align(f, in: image)
                #expect(a.pixels.count == 112 * 112 * 3 && a.pixels.allSatisfy { $0 >= 0 && $0 <= 255 })
            }
        }
        // A tiny face is upsampled: its crop is filled from the image, not rejected.
        let tiny = try TemplateAligner().align(face(20, 10, 20), in: image)
        #expect(tiny.pixels[(56 * 112 + 56) * 3] == 200)
        var degenerate = face(10, 10, 20)
        degenerate.keypoints = FaceKeypoints(rightEye: PixelPoint(x: 5, y: 5), leftEye: PixelPoint(x: 5, y: 5), noseTip: PixelPoint(x: 5, y: 5),
                                             mouthCenter: PixelPoint(x: 5, y: 5), rightEarTragion: PixelPoint(x: 5, y: 5), leftEarTragion: PixelPoint(x: 5, y: 5))
        #expect(throws: FaceKitError.self) { try TemplateAligner().align(degenerate, in: image) }
    }
}
