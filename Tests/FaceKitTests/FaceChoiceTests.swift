import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// Issue 17: choosing the face to enrol, skipped pairs and empty pairs files, in the library.
@Suite struct FaceChoiceTests {
    static func face(_ score: Double, x: Double, size: Double) -> DetectedFace {
        let p = PixelPoint(x: x, y: 10)
        return DetectedFace(score: score, box: BoundingBox(x: x, y: 10, width: size, height: size),
                            keypoints: FaceKeypoints(rightEye: p, leftEye: p, noseTip: p, mouthCenter: p, rightEarTragion: p, leftEarTragion: p),
                            variant: .back)
    }

    @Test("FaceChoice: only refuses several faces and lists them; index and largest choose")
    func rule() throws {
        let one = [Self.face(0.9, x: 0, size: 50)]
        let two = [Self.face(0.95, x: 0, size: 40), Self.face(0.8, x: 100, size: 60)]
        #expect(try FaceChoice.only.position(among: one) == 0)
        #expect(throws: FaceKitError.multipleFaces(source: "g.jpg", faces: two)) { try FaceChoice.only.position(among: two, source: "g.jpg") }
        #expect(try FaceChoice.index(1).position(among: two) == 1)
        #expect(throws: FaceKitError.noSuchFace(source: "g.jpg", index: 2, faces: two)) { try FaceChoice.index(2).position(among: two, source: "g.jpg") }
        #expect(try FaceChoice.largest.position(among: two) == 1)
        #expect(try FaceChoice.largest.position(among: [two[0], Self.face(0.7, x: 9, size: 40)]) == 0, "a tie goes to the higher score")
        for choice in [FaceChoice.only, .index(0), .largest] {
            #expect(throws: FaceKitError.noFace(source: "blank")) { try choice.position(among: [], source: "blank") }
        }
        let message = "\(FaceKitError.multipleFaces(source: "g.jpg", faces: two))"
        #expect(message.contains("g.jpg: 2 faces") && message.contains("0 at x=0 y=10 w=40 h=40 score 0.950")
                && message.contains("1 at x=100 y=10 w=60 h=60 score 0.800"), "\(message)")
    }

    @Test("FaceRecognizer.face(in:choosing:) refuses the group photo and embeds the chosen face like faces(in:)")
    func recognizer() async throws {
        let r = try FaceRecognizer(detector: try await TestModels.shared.detector(.back), embedder: try await TestModels.shared.embedder(),
                                   refiner: try await TestModels.shared.detector(.front))
        let group = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("group/obama_biden_oval_office.jpg").path)
        let all = try r.faces(in: group)
        #expect(throws: FaceKitError.multipleFaces(source: "group", faces: all.map(\.detection))) { try r.face(in: group, source: "group") }
        let second = try r.face(in: group, choosing: .index(1))
        #expect(second.detection == all[1].detection)
        #expect(try second.embedding.cosineSimilarity(to: all[1].embedding) > 0.99999)
        let largest = try r.face(in: group, choosing: .largest)
        let expected = all.indices.max { all[$0].detection.box.width * all[$0].detection.box.height < all[$1].detection.box.width * all[$1].detection.box.height }!
        #expect(largest.detection == all[expected].detection)
        let portrait = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("barack_obama/official_portrait_2012.jpg").path)
        #expect(try r.face(in: portrait).embedding == r.embedding(of: portrait))
    }

    @Test("SkippedPairs counts pairs by the reason of their first unusable image, with an example")
    func skippedPairs() throws {
        let pairs = [LabeledPair(first: "/r/a.jpg", second: "/r/b.jpg", isSamePerson: true),
                     LabeledPair(first: "/r/x.jpg", second: "/r/b.jpg", isSamePerson: true),
                     LabeledPair(first: "/r/a.jpg", second: "/r/y.jpg", isSamePerson: false),
                     LabeledPair(first: "/r/a.jpg", second: "/r/z.jpg", isSamePerson: false)]
        let one = SkippedPairs(pairs: pairs, unusableImages: ["/r/x.jpg": .notFound, "/r/y.jpg": .notFound])
        #expect(one.pairs == [pairs[1], pairs[2]])
        #expect(one.description == "2 of 4 pairs skipped: image not found (e.g. /r/x.jpg)")
        let two = SkippedPairs(pairs: pairs, unusableImages: ["/r/x.jpg": .noFace, "/r/y.jpg": .notFound, "/r/z.jpg": .notFound])
        #expect(two.description == "3 of 4 pairs skipped: 2 image not found (e.g. /r/y.jpg), 1 no face found (e.g. /r/x.jpg)")
        #expect(SkippedPairs(pairs: pairs, unusableImages: [:]).isEmpty)
        let missing = "/nonexistent-\(UUID().uuidString).jpg"
        #expect(UnusableImageReason(error: ImageError.unreadable(source: missing, reason: "no such file"), path: missing) == .notFound)
        let present = Shared.images.appendingPathComponent("barack_obama/official_portrait_2012.jpg").path
        #expect(UnusableImageReason(error: FaceKitError.noFace(source: present), path: present) == .noFace)
        #expect(UnusableImageReason(error: ImageError.corrupt(source: present, detail: "x"), path: present) == .unreadable)
    }

    @Test("a pairs file without pairs says so and names the expected formats", arguments: ["", "\n\n", "# only a comment\n", "path_a,path_b,same\n", "10\t300\n"])
    func noPairs(text: String) throws {
        #expect(throws: FaceKitError.noPairs(source: "p.txt")) { try PairsFile.parse(text, root: "/", source: "p.txt") }
        let message = "\(FaceKitError.noPairs(source: "p.txt"))"
        #expect(message.hasPrefix("p.txt holds no pairs") && message.contains("path_a,path_b,same") && message.contains("name i j"))
    }
}
