import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

func randomEmbedding(_ rng: inout SeededRandom) -> FaceEmbedding {
    FaceEmbedding(raw: (0..<256).map { _ in rng.float() })
}

@Suite struct GalleryTests {
    static func path() throws -> String { try Shared.temporaryDirectory("gallery").appendingPathComponent("people.fkg").path }

    @Test("enrol, save, reopen: everything round-trips")
    func roundTrip() async throws {
        let path = try Self.path()
        var rng = SeededRandom(seed: 1)
        let a = randomEmbedding(&rng), b = randomEmbedding(&rng), c = randomEmbedding(&rng)
        do {
            let gallery = try FaceGallery(path: path, writable: true)
            try await gallery.enroll("alice", embeddings: [a, b], metadata: [["source": "a1.jpg"], ["source": "a2.jpg"]], personMetadata: ["team": "x"])
            try await gallery.enroll("bob", embeddings: [c])
            try await gallery.save()
        }
        let reopened = try FaceGallery(path: path, writable: false)
        let people = await reopened.people
        #expect(people.map(\.identifier) == ["alice", "bob"])
        #expect(people[0].embeddings.map(\.embedding) == [a, b])
        #expect(people[0].embeddings[1].metadata == ["source": "a2.jpg"] && people[0].metadata == ["team": "x"])
        let hit = try await reopened.search(b, top: 1)
        #expect(hit.map(\.identifier) == ["alice"] && abs(hit[0].similarity - 1) < 1e-5)
    }

    @Test("remove and rename, with clear errors")
    func edit() async throws {
        let gallery = try FaceGallery(storage: InMemoryGalleryStorage())
        var rng = SeededRandom(seed: 2)
        try await gallery.enroll("a", embeddings: [randomEmbedding(&rng)])
        try await gallery.enroll("b", embeddings: [randomEmbedding(&rng)])
        try await gallery.rename("a", to: "c")
        await #expect(throws: GalleryError.duplicatePerson("b")) { try await gallery.rename("c", to: "b") }
        await #expect(throws: GalleryError.unknownPerson("zz")) { try await gallery.remove("zz") }
        try await gallery.remove("b")
        #expect(await gallery.people.map(\.identifier) == ["c"])
        #expect(await gallery.embeddingCount == 1)
        await #expect(throws: GalleryError.self) { try await gallery.enroll(" ", embeddings: [randomEmbedding(&rng)]) }
        await #expect(throws: GalleryError.self) { try await gallery.enroll("x", embeddings: [FaceEmbedding(raw: [1, 2, 3])]) }
    }

    @Test("a gallery of another model or dimension is refused")
    func modelMismatch() async throws {
        var rng = SeededRandom(seed: 3)
        let other = GallerySnapshot(model: "some-other-model", dimension: 256,
                                    people: [GalleryPerson(identifier: "p", embeddings: [GalleryEmbedding(embedding: randomEmbedding(&rng))])])
        let path = try Self.path()
        try GalleryFile.encode(other).write(to: URL(fileURLWithPath: path))
        do { _ = try FaceGallery(path: path, writable: false); Issue.record("opened another model's gallery") } catch let e as GalleryError {
            guard case .modelMismatch = e else { Issue.record("\(e)"); return }
            #expect("\(e)".contains("some-other-model"))
        }
    }

    @Test("torn, tampered and garbage files are refused with a clear error", arguments: ["truncated", "flipped", "garbage", "empty", "version"])
    func damaged(kind: String) async throws {
        let path = try Self.path()
        do {
            let g = try FaceGallery(path: path, writable: true)
            var rng = SeededRandom(seed: 4)
            try await g.enroll("a", embeddings: [randomEmbedding(&rng), randomEmbedding(&rng)])
            try await g.save()
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        switch kind {
        case "truncated": bytes = bytes.prefix(bytes.count - 100)
        case "flipped": bytes[bytes.count - 10] ^= 0x01
        case "garbage": bytes = Data("this is not a gallery at all, just some text that is long enough to pass the header size check....".utf8)
        case "empty": bytes = Data()
        default: bytes[8] = 9
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        do { _ = try FaceGallery(path: path, writable: false); Issue.record("opened a \(kind) gallery") } catch let e as GalleryError {
            if kind == "version" { #expect(e == .unsupportedVersion(file: path, version: 9)) } else {
                guard case .corrupt = e else { Issue.record("\(e)"); return }
            }
            #expect("\(e)".contains(path))
        }
    }

    @Test("saving replaces the file atomically and leaves no temporary files")
    func atomic() async throws {
        let path = try Self.path()
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        var rng = SeededRandom(seed: 5)
        let g = try FaceGallery(path: path, writable: true)
        try await g.enroll("a", embeddings: [randomEmbedding(&rng)])
        try await g.save()
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        let old = try Data(contentsOf: URL(fileURLWithPath: path))
        try await g.enroll("b", embeddings: [randomEmbedding(&rng)])
        try await g.save()
        let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        #expect(before != after, "a new file was renamed into place rather than the old one rewritten")
        #expect(try GalleryFile.decode(old, name: "old").people.count == 1, "the previous version stayed intact until replaced")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["people.fkg", "people.fkg.lock"])
    }

    @Test("a second writer is refused while the first holds the gallery; readers are not")
    func writerLock() throws {
        let path = try Self.path()
        let first = try FaceGallery(path: path, writable: true)
        #expect(throws: GalleryError.locked(file: path)) { try FaceGallery(path: path, writable: true) }
        _ = try FaceGallery(path: path, writable: false)
        _ = first
    }

    @Test("search returns exactly what a naive scan finds")
    func searchCorrectness() async throws {
        var rng = SeededRandom(seed: 6)
        let gallery = try FaceGallery(storage: InMemoryGalleryStorage())
        var people: [(String, [FaceEmbedding])] = []
        for p in 0..<60 {
            let list = (0..<(1 + p % 3)).map { _ in randomEmbedding(&rng) }
            people.append(("p\(p)", list))
            try await gallery.enroll("p\(p)", embeddings: list)
        }
        for _ in 0..<10 {
            let probe = randomEmbedding(&rng)
            var naive: [(String, Double)] = people.map { p in
                (p.0, p.1.map { e in zip(e.vector, probe.vector).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }.max()!)
            }
            naive.sort { $0.1 > $1.1 }
            let found = try await gallery.search(probe, top: 5)
            #expect(found.map(\.identifier) == naive.prefix(5).map(\.0))
            for (f, n) in zip(found, naive) { #expect(abs(Double(f.similarity) - n.1) < 1e-5) }
        }
        #expect(try await gallery.search(randomEmbedding(&rng), top: 100).count == 60)
        // identify: the best match is the identity only when it clears the threshold.
        let own = people[7].1[0]
        let known = try await gallery.identify(own, threshold: 0.9, top: 3)
        #expect(known.identity == "p7" && known.matches.count == 3 && known.threshold == 0.9)
        let stranger = try await gallery.identify(randomEmbedding(&rng), threshold: 0.9)
        #expect(stranger.identity == nil && stranger.matches.count == 1)
    }
}
