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
        // Held open, so the old file's inode cannot be reused by the replacement.
        let holder = try #require(FileHandle(forReadingAtPath: path))
        defer { try? holder.close() }
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

    /// The naive answer: each person's best cosine (in Double), best first, ties by enrolment order.
    static func naiveSearch(_ people: [(String, [FaceEmbedding])], _ probe: FaceEmbedding) -> [(String, Double)] {
        let scored = people.enumerated().map { i, p in
            (i, p.0, largest(p.1.map { e in zip(e.vector, probe.vector).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }))
        }
        return scored.sorted { $0.2 != $1.2 ? $0.2 > $1.2 : $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    @Test("search with many probes: one answer per probe, in order, each as a single search and a naive scan")
    func manyProbes() async throws {
        var rng = SeededRandom(seed: 7)
        let gallery = try FaceGallery(storage: InMemoryGalleryStorage())
        var people: [(String, [FaceEmbedding])] = []
        for p in 0..<40 {
            let list = (0..<(1 + p % 2)).map { _ in randomEmbedding(&rng) }
            people.append(("p\(p)", list))
            try await gallery.enroll("p\(p)", embeddings: list)
        }
        // 300 probes: every enrolled embedding (its owner must come first) and random strangers.
        let own = people.flatMap { p in p.1.map { (p.0, $0) } }
        let probes = own.map(\.1) + (0..<(300 - own.count)).map { _ in randomEmbedding(&rng) }
        let answers = try await gallery.search(probes, top: 3)
        try #require(answers.count == probes.count)
        for (i, probe) in probes.enumerated() {
            let alone = try await gallery.search(probe, top: 3)
            // The batch goes through the GEMM kernel: the same people, scores equal up to float rounding.
            #expect(answers[i].map(\.identifier) == alone.map(\.identifier), "probe \(i)")
            for (m, a) in zip(answers[i], alone) { #expect(abs(m.similarity - a.similarity) < 1e-5, "probe \(i)") }
            let naive = Self.naiveSearch(people, probe)
            #expect(answers[i].map(\.identifier) == naive.prefix(3).map(\.0), "probe \(i)")
            for (m, n) in zip(answers[i], naive) { #expect(abs(Double(m.similarity) - n.1) < 1e-5) }
            if i < own.count { #expect(answers[i].first?.identifier == own[i].0 && abs(answers[i][0].similarity - 1) < 1e-5) }
        }
        #expect(try await gallery.search([], top: 3).isEmpty)
        await #expect(throws: GalleryError.self) { try await gallery.search([probes[0], FaceEmbedding(raw: [1, 2, 3])], top: 3) }
    }

    @Test("a gallery of 5,000 people: search, identify, remove from the middle, save and reopen")
    func manyPeople() async throws {
        var rng = SeededRandom(seed: 8)
        let path = try Self.path()
        let gallery = try FaceGallery(path: path, writable: true)
        var people: [(String, [FaceEmbedding])] = []
        for p in 0..<5_000 {
            let list = (0..<(1 + p % 3)).map { _ in randomEmbedding(&rng) }
            people.append((String(format: "person-%05d", p), list))
            try await gallery.enroll(people[p].0, embeddings: list)
        }
        // Two people with the same embedding: the tie goes to the one enrolled first.
        let twin = randomEmbedding(&rng)
        try await gallery.enroll("twin-a", embeddings: [twin])
        try await gallery.enroll("twin-b", embeddings: [twin])
        people += [("twin-a", [twin]), ("twin-b", [twin])]
        let count = await gallery.people.count, embeddings = await gallery.embeddingCount
        #expect(count == 5_002 && embeddings == people.reduce(0) { $0 + $1.1.count })
        let probes = [people[0].1[0], people[2_500].1[1], people[4_999].1.last!, twin] + (0..<4).map { _ in randomEmbedding(&rng) }
        for (i, probe) in probes.enumerated() {
            let naive = Self.naiveSearch(people, probe)
            for k in [1, 10, 100] {
                let found = try await gallery.search(probe, top: k)
                #expect(found.map(\.identifier) == naive.prefix(k).map(\.0), "probe \(i), top \(k)")
            }
        }
        let twins = try await gallery.search(twin, top: 2)
        #expect(twins.map(\.identifier) == ["twin-a", "twin-b"])
        #expect(try await gallery.search(probes[5], top: 10_000).count == 5_002)
        #expect(try await gallery.identify(people[2_500].1[1], threshold: 0.9).identity == "person-02500")
        // Remove people in the middle: the ones after them must keep their own embeddings.
        try await gallery.remove("person-01000")
        try await gallery.remove("person-02499")
        people.removeAll { $0.0 == "person-01000" || $0.0 == "person-02499" }
        for probe in [probes[1], probes[2], people[1_000].1[0]] {
            let found = try await gallery.search(probe, top: 5)
            #expect(found.map(\.identifier) == Self.naiveSearch(people, probe).prefix(5).map(\.0))
        }
        try await gallery.save()
        let reopened = try FaceGallery(path: path, writable: false)
        #expect(await reopened.people.count == 5_000)
        for probe in probes {
            let before = try await gallery.search(probe, top: 5), after = try await reopened.search(probe, top: 5)
            #expect(before == after)
        }
    }
}
