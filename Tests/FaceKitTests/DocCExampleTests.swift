import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// The code of the DocC article Sources/FaceKit/FaceKit.docc/FourSteps.md, run as written.
///
/// The blocks between the `// --- FourSteps.md block N ---` markers below are the article's
/// ```swift blocks, with only the substitutions of `substitutions` (the test's weight store,
/// and absolute paths for the photos and output files). `blocksMatchTheArticle` fails when the
/// article and this copy drift apart, so the code that runs here is the code users read.
@Suite struct DocCExampleTests {
    static let article = Shared.packageRoot.appendingPathComponent("Sources/FaceKit/FaceKit.docc/FourSteps.md")

    /// Article text → test text.
    static let substitutions: [(String, String)] = [
        ("let store = WeightStore()                       // FACEKIT_WEIGHTS, the cache, or a download",
         "let store = TestModels.shared.store"),
        ("\"obama_biden_oval_office.jpg\"", "\"\\(images)/group/obama_biden_oval_office.jpg\""),
        ("\"official_portrait_2012.jpg\"", "\"\\(images)/barack_obama/official_portrait_2012.jpg\""),
        ("\"annotated.png\"", "\"\\(out)/annotated.png\""),
        ("\"face0.png\"", "\"\\(out)/face0.png\""),
        ("\"people.fkg\"", "\"\\(out)/people.fkg\""),
    ]

    /// The ```swift blocks of a Markdown file, each as lines without trailing spaces.
    static func swiftBlocks(_ markdown: String) -> [[String]] {
        var blocks: [[String]] = [], current: [String]? = nil
        for line in markdown.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" { current = []; continue }
            if current != nil, trimmed == "```" { blocks.append(current!); current = nil; continue }
            current?.append(line)
        }
        return blocks.map { $0.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) } }
    }

    /// The test's copies: the lines between this file's markers, with the function's indentation removed.
    static func testBlocks() throws -> [[String]] {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [[String]] = [], current: [String]? = nil
        for line in source {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("// --- FourSteps.md block") { current = []; continue }
            if trimmed == "// --- end of block ---" { blocks.append(current ?? []); current = nil; continue }
            let unindented = line.hasPrefix("        ") ? String(line.dropFirst(8)) : line
            current?.append(String(unindented.reversed().drop(while: { $0 == " " }).reversed()))
        }
        return blocks
    }

    @Test("the test's code blocks are the article's, with only the listed substitutions")
    func blocksMatchTheArticle() throws {
        let markdown = try String(contentsOf: Self.article, encoding: .utf8)
        var expected = Self.swiftBlocks(markdown)
        try #require(expected.count == 6, "FourSteps.md has \(expected.count) swift blocks; update this test with the article")
        expected = expected.map { block in
            block.filter { $0 != "import FaceKit" && !$0.isEmpty }.map { line in
                Self.substitutions.reduce(line) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
            }
        }
        let ours = try Self.testBlocks().map { $0.filter { !$0.isEmpty } }
        try #require(ours.count == expected.count)
        for (i, (a, b)) in zip(expected, ours).enumerated() {
            #expect(a == b, "FourSteps.md block \(i + 1) differs from the test's copy:\n\(a.joined(separator: "\n"))\n--- test ---\n\(b.joined(separator: "\n"))")
        }
    }

    @Test("the article's code runs and prints what its comments say")
    func article() async throws {
        let images = Shared.images.path
        let out = try Shared.temporaryDirectory("docc").path
        // --- FourSteps.md block 1 ---
        let store = TestModels.shared.store
        let detector = try await FaceDetector(store: store)
        let embedder = try await FaceEmbedder(store: store)
        // --- end of block ---
        // --- FourSteps.md block 2 ---
        let photo = try ImageDecoder().decode(contentsOfFile: "\(images)/group/obama_biden_oval_office.jpg")
        let faces = try detector.detect(in: photo)
        // 2 faces: score 0.924 at x=234 y=77 (154×154), score 0.920 at x=785 y=101 (156×156)
        try photo.annotated(with: faces).writePNG(to: "\(out)/annotated.png")
        // --- end of block ---
        let described = faces.map { String(format: "score %.3f at x=%.0f y=%.0f (%.0f×%.0f)", $0.score, $0.box.x, $0.box.y, $0.box.width, $0.box.height) }
        #expect("\(faces.count) faces: " + described.joined(separator: ", ")
                    == "2 faces: score 0.924 at x=234 y=77 (154×154), score 0.920 at x=785 y=101 (156×156)")
        #expect(try ImageDecoder().decode(contentsOfFile: "\(out)/annotated.png").width == photo.width)
        try #require(faces.count == 2)   // the article indexes faces[0]: fail here rather than trap there
        // --- FourSteps.md block 3 ---
        let crop = try TemplateAligner().align(faces[0], in: photo)
        try crop.image.writePNG(to: "\(out)/face0.png")        // what the network sees
        print(crop.transform)                           // photo → crop, pixel-index coordinates
        // --- end of block ---
        #expect(try ImageDecoder().decode(contentsOfFile: "\(out)/face0.png") == crop.image)
        // --- FourSteps.md block 4 ---
        let embedding = try embedder.embedding(of: crop)
        print(embedding.vector.count)                   // 256
        // --- end of block ---
        #expect(embedding.vector.count == 256)
        try #require(try !detector.detect(in: try ImageDecoder().decode(contentsOfFile: "\(images)/barack_obama/official_portrait_2012.jpg")).isEmpty)
        // --- FourSteps.md block 5 ---
        let portrait = try ImageDecoder().decode(contentsOfFile: "\(images)/barack_obama/official_portrait_2012.jpg")
        let other = try embedder.embedding(of: try TemplateAligner().align(try detector.detect(in: portrait)[0], in: portrait))
        let result = try FaceMatcher().verify(embedding, other)
        print(result.similarity, result.isMatch)        // 0.77 true
        // --- end of block ---
        #expect(String(format: "%.2f", result.similarity) == "0.77" && result.isMatch)
        // --- FourSteps.md block 6 ---
        let recognizer = try await FaceRecognizer(store: store)
        let gallery = try FaceGallery(path: "\(out)/people.fkg", writable: true)
        try await gallery.enroll("Barack Obama", embeddings: [try recognizer.face(in: portrait).embedding])
        try await gallery.save()
        for face in try recognizer.faces(in: photo) {
            print(try await gallery.search(face.embedding, top: 1))
        }
        // --- end of block ---
        let found = try recognizer.faces(in: photo)
        let best = try await gallery.search(found.map(\.embedding), top: 1)
        #expect(best.map { $0.first?.identifier } == ["Barack Obama", "Barack Obama"])
        #expect(best[0][0].similarity >= recognizer.configuration.threshold && best[1][0].similarity < recognizer.configuration.threshold,
                "the portrait matches the first face (Obama) and not the second (Biden): \(best)")
        let reopened = try FaceGallery(path: "\(out)/people.fkg", writable: false)
        #expect(await reopened.people.map(\.identifier) == ["Barack Obama"])
    }
}
