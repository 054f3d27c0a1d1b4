import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct EvaluationTests {
    @Test("metrics on a hand-computed example")
    func metrics() throws {
        // same: 0.9, 0.8, 0.4; different: 0.5, 0.3, 0.1.
        let scores: [(score: Float, same: Bool)] = [(0.9, true), (0.5, false), (0.8, true), (0.3, false), (0.4, true), (0.1, false)]
        let r = try VerificationMetrics.evaluate(scores, k: 3, targets: [0.34, 0.01])
        #expect(abs(r.auc - 8.0 / 9.0) < 1e-12)          // 0.9 and 0.8 beat all 3, 0.4 beats 2
        #expect(abs(r.bestAccuracy - 5.0 / 6.0) < 1e-12)  // no threshold separates 0.4 from 0.5
        let far = r.operatingPoints[0]                    // FAR ≤ 0.34 of 3 → one false accept allowed
        #expect(far.threshold > 0.3 && far.threshold <= 0.4 && far.trueAcceptRate == 1 && abs(far.falseAcceptRate - 1.0 / 3.0) < 1e-12)
        #expect(far.isResolvable && !r.operatingPoints[1].isResolvable)
        #expect(r.operatingPoints[1].falseAcceptRate == 0 && abs(r.operatingPoints[1].trueAcceptRate - 2.0 / 3.0) < 1e-12)
        #expect(r.roc.count == 6 && r.roc.first!.threshold == 0.9)
        #expect(throws: FaceKitError.self) { try VerificationMetrics.evaluate([(0.5, true)]) }
    }

    @Test("LFW pairs with folds and CSV pairs parse")
    func parsing() throws {
        let root = try Shared.temporaryDirectory("lfw")
        for (name, n) in [("Ann_A", 2), ("Bob_B", 2)] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: true)
            for i in 1...n { _ = FileManager.default.createFile(atPath: root.appendingPathComponent("\(name)/\(name)_\(String(format: "%04d", i)).png").path, contents: Data()) }
        }
        let lfw = try PairsFile.parse("2\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\nBob_B 1 2\nAnn_A 2 Bob_B 2\n", root: root.path)
        #expect(lfw.map(\.isSamePerson) == [true, false, true, false])
        #expect(lfw.map(\.fold) == [0, 0, 1, 1])
        #expect(lfw[1].second == root.appendingPathComponent("Bob_B/Bob_B_0001.png").path)
        let csv = try PairsFile.parse("path_a,path_b,same\na.jpg, /x/b.jpg ,1\nc.jpg,d.jpg,false\n", root: "/r")
        #expect(csv == [LabeledPair(first: "/r/a.jpg", second: "/x/b.jpg", isSamePerson: true), LabeledPair(first: "/r/c.jpg", second: "/r/d.jpg", isSamePerson: false)])
        #expect(throws: FaceKitError.self) { try PairsFile.parse("a b\n", root: "/") }
        #expect(throws: FaceKitError.self) { try PairsFile.parse("x,y,1\na,b,maybe\n", root: "/") }
    }
}

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
        #expect(batch.map(\.count) == [1, 2])
        let single = try r.faces(in: group)
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
