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
            let result = try await gallery.identify(face.embedding, threshold: recognizer.configuration.threshold)
            print(result.identity ?? "unknown", face.detection.box, result.matches[0].similarity)
            found.append(result.identity ?? "unknown")
        }
        // --- end of README example ---
        #expect(found == ["Barack Obama", "unknown"])
    }
}
