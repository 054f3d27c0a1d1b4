import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// The README's library example, run as written (with the test's weights store).
@Suite struct ReadmeExampleTests {
    @Test("the README example runs and gives the documented result")
    func example() async throws {
        let store = TestModels.shared.store
        let images = Shared.images.path
        // --- README example (keep in sync with README.md, "Use it as a library") ---
        let recognizer = try await FaceRecognizer(store: store)
        let decoder = ImageDecoder()
        let portrait = try decoder.decode(contentsOfFile: "\(images)/barack_obama/official_portrait_2012.jpg")
        let group = try decoder.decode(contentsOfFile: "\(images)/group/obama_biden_oval_office.jpg")

        let gallery = try FaceGallery(storage: InMemoryGalleryStorage())
        try await gallery.enroll("Barack Obama", embeddings: [try recognizer.embedding(of: portrait)])

        var found: [String] = []
        for face in try recognizer.faces(in: group) {
            let best = try await gallery.search(face.embedding, top: 1).first
            let name = best.flatMap { $0.similarity >= recognizer.configuration.threshold ? $0.identifier : nil } ?? "unknown"
            print(name, face.detection.box, best?.similarity ?? 0)
            found.append(name)
        }
        // --- end of README example ---
        #expect(found == ["Barack Obama", "unknown"])
    }
}
