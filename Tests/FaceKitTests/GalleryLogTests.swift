// The gallery file's append-only log (GalleryFile.swift's header comment): replay, a torn last
// record, a damaged record in the middle, compaction, format-1 files, a reader while a writer
// appends, and the GEMM batch search against single searches.
import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct GalleryLogTests {
    static func url(_ tag: String = "gallery-log") throws -> URL {
        try Shared.temporaryDirectory(tag).appendingPathComponent("people.fkg")
    }

    static func open(_ url: URL, writable: Bool, minimumLogBytes: Int = 1 << 20) throws -> (FaceGallery, GalleryFile) {
        let file = try GalleryFile(url: url, writable: writable, minimumLogBytes: minimumLogBytes)
        return (try FaceGallery(storage: file), file)
    }

    /// Byte offsets where each log record starts, read from the header and record framing.
    static func recordOffsets(_ data: Data) -> [Int] {
        let b = [UInt8](data)
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        var p = 92 + u32(52) + 4 * u32(12) * u32(16), offsets: [Int] = []
        while p + 40 <= b.count { offsets.append(p); p += 40 + u32(p + 4) }
        return offsets
    }

    @Test("writes are log records; reopening replays them in order")
    func replay() async throws {
        let url = try Self.url()
        var rng = SeededRandom(seed: 21)
        let a = randomEmbedding(&rng), b = randomEmbedding(&rng), c = randomEmbedding(&rng), d = randomEmbedding(&rng)
        do {
            let (g, file) = try Self.open(url, writable: true)
            try await g.enroll("alice", embeddings: [a], metadata: [["source": "a.jpg"]], personMetadata: ["team": "x"])
            let afterFirst = try Data(contentsOf: url)
            #expect(file.layout?.version == 0, "the first write creates the file as a snapshot")
            try await g.enroll("bob", embeddings: [b, c])
            try await g.enroll("alice", embeddings: [d], personMetadata: ["team": "y"])
            try await g.rename("bob", to: "robert")
            try await g.enroll("carol", embeddings: [c])
            try await g.remove("alice")
            let data = try Data(contentsOf: url)
            #expect(data.prefix(afterFirst.count) == afterFirst, "later writes append; the snapshot is not rewritten")
            #expect(Self.recordOffsets(data).count == 5)
        }
        let (reader, file) = try Self.open(url, writable: false)
        #expect(file.layout?.version == 2 && file.layout?.logRecords == 5 && file.layout?.tornBytes == 0)
        let people = await reader.people
        #expect(people.map(\.identifier) == ["robert", "carol"])
        #expect(people[0].embeddings.map(\.embedding) == [b, c] && people[1].embeddings.map(\.embedding) == [c])
        #expect(try await reader.search(b, top: 1).first?.identifier == "robert")
        // Replay of metadata: the removed person's merge is gone; per-embedding metadata kept.
        let (g2, _) = try Self.open(url, writable: true)
        try await g2.enroll("alice", embeddings: [a], metadata: [["source": "again.jpg"]], personMetadata: ["team": "z"])
        await g2.close()
        let again = try await Self.open(url, writable: false).0.people
        #expect(again.last == GalleryPerson(identifier: "alice", metadata: ["team": "z"],
                                            embeddings: [GalleryEmbedding(embedding: a, metadata: ["source": "again.jpg"])]))
    }

    @Test("a torn last record is ignored by readers and cut off by the next writer", arguments: ["short-header", "short-payload", "zeros", "bad-checksum-at-end"])
    func tornTail(kind: String) async throws {
        let url = try Self.url()
        var rng = SeededRandom(seed: 22)
        do {
            let (g, _) = try Self.open(url, writable: true)
            for n in 0..<4 { try await g.enroll("p\(n)", embeddings: [randomEmbedding(&rng)]) }
        }
        var data = try Data(contentsOf: url)
        let last = try #require(Self.recordOffsets(data).last)
        switch kind {
        case "short-header": data = data.prefix(last + 17)
        case "short-payload": data = data.prefix(data.count - 300)
        case "zeros": data = data.prefix(last) + Data(count: 700)
        default: data[data.count - 5] ^= 0x40
        }
        try data.write(to: url)
        let (reader, file) = try Self.open(url, writable: false)
        #expect(await reader.people.map(\.identifier) == ["p0", "p1", "p2"])
        #expect(file.layout?.logRecords == 2 && (file.layout?.tornBytes ?? 0) > 0)
        #expect(try Data(contentsOf: url) == data, "a reader changes nothing")
        do {
            let (writer, _) = try Self.open(url, writable: true)
            try await writer.enroll("p4", embeddings: [randomEmbedding(&rng)])
        }
        let (after, afterFile) = try Self.open(url, writable: false)
        #expect(await after.people.map(\.identifier) == ["p0", "p1", "p2", "p4"])
        #expect(afterFile.layout?.tornBytes == 0 && afterFile.layout?.logRecords == 3)
    }

    @Test("a damaged record with records after it is a typed error naming the record", arguments: ["payload", "magic", "length"])
    func corruptMiddle(kind: String) async throws {
        let url = try Self.url()
        var rng = SeededRandom(seed: 23)
        do {
            let (g, _) = try Self.open(url, writable: true)
            for n in 0..<4 { try await g.enroll("p\(n)", embeddings: [randomEmbedding(&rng)]) }
        }
        var data = try Data(contentsOf: url)
        let offsets = Self.recordOffsets(data)
        #expect(offsets.count == 3)
        switch kind {
        case "payload": data[offsets[1] + 100] ^= 0x01
        case "magic": data[offsets[1]] = UInt8(ascii: "X")
        default: data[offsets[1] + 4] ^= 0x02   // the length: the checksum covers the wrong bytes
        }
        try data.write(to: url)
        for writable in [false, true] {
            do { _ = try Self.open(url, writable: writable); Issue.record("opened a gallery with a damaged log record") } catch let e as GalleryError {
                guard case let .corrupt(file, reason) = e else { Issue.record("\(e)"); continue }
                #expect(file == url.path && reason.contains("log record 2"), "\(reason)")
            }
        }
        #expect(try Data(contentsOf: url) == data, "a writer does not cut off damage that is not a torn tail")
    }

    @Test("a record that does not apply (a rename of nobody) is damage, not a torn tail")
    func recordThatDoesNotApply() throws {
        var rng = SeededRandom(seed: 24)
        let snapshot = GallerySnapshot(people: [GalleryPerson(identifier: "a", embeddings: [GalleryEmbedding(embedding: randomEmbedding(&rng))])])
        let snap = try GalleryFile.encode(snapshot)
        var data = snap + (try GalleryFile.encodeRecord(.rename(identifier: "nobody", to: "b"), dimension: 256))
        #expect(throws: GalleryError.corrupt(file: "x", reason: "log record 1 at byte \(snap.count): renames 'nobody', who is not in the gallery")) {
            _ = try GalleryFile.decode(data, name: "x")
        }
        data = try GalleryFile.encode(snapshot) + GalleryFile.encodeRecord(.remove(identifier: "a"), dimension: 256)
        #expect(try GalleryFile.decode(data, name: "x").people.isEmpty)
    }

    @Test("the log is compacted into a new snapshot when it grows, on save(), and the state is kept")
    func compaction() async throws {
        let url = try Self.url()
        var rng = SeededRandom(seed: 25)
        var expected: [String] = []
        let (g, file) = try Self.open(url, writable: true, minimumLogBytes: 8_192)
        var compactions = 0
        for n in 0..<60 {
            try await g.enroll("p\(n)", embeddings: [randomEmbedding(&rng)])
            expected.append("p\(n)")
            if n % 7 == 3 { try await g.rename("p\(n)", to: "q\(n)"); expected[n] = "q\(n)" }
            // A compaction leaves an empty log (the first write creates the file that way too).
            let data = try Data(contentsOf: url)
            let offsets = Self.recordOffsets(data)
            if n > 0 && offsets.isEmpty { compactions += 1 }
            // Never more log than max(8 KiB, half the snapshot) plus one write.
            let logStart = offsets.first ?? data.count
            #expect(data.count - logStart <= max(8_192, logStart / 2) + 2_000)
        }
        #expect(compactions >= 2, "the log was compacted as it grew (\(compactions) times)")
        try await g.save()
        #expect(Self.recordOffsets(try Data(contentsOf: url)).isEmpty, "save() leaves an empty log")
        try await g.remove("p1"); expected.remove(at: 1)
        await g.close()
        #expect(file.layout != nil)
        let (reader, readerFile) = try Self.open(url, writable: false)
        #expect(await reader.people.map(\.identifier) == expected)
        #expect(readerFile.layout?.logRecords == 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path).sorted()
        #expect(names == ["people.fkg", "people.fkg.lock"], "no temporary file is left")
    }

    @Test("a format-1 file is read, and the first write turns it into format 2 with nothing lost")
    func formatOne() async throws {
        let url = try Self.url()
        var rng = SeededRandom(seed: 26)
        let a = randomEmbedding(&rng), b = randomEmbedding(&rng)
        // Format 1 is the same snapshot with version 1 and nothing after it.
        var v1 = try GalleryFile.encode(GallerySnapshot(people: [GalleryPerson(identifier: "old", metadata: ["k": "v"], embeddings: [GalleryEmbedding(embedding: a)])]))
        v1[8] = 1
        try v1.write(to: url)
        #expect(await (try Self.open(url, writable: false).0.people.map(\.identifier)) == ["old"])
        var trailing = v1
        trailing.append(contentsOf: [1, 2, 3])
        #expect(throws: GalleryError.self) { _ = try GalleryFile.decode(trailing, name: "v1") }   // no log after a format-1 snapshot
        do {
            let (g, _) = try Self.open(url, writable: true)
            try await g.enroll("new", embeddings: [b])
        }
        let data = try Data(contentsOf: url)
        #expect(data[8] == 2)
        let people = try await Self.open(url, writable: false).0.people
        #expect(people.map(\.identifier) == ["old", "new"] && people[0].metadata == ["k": "v"] && people[1].embeddings[0].embedding == b)
    }

    @Test("a write whose storing fails changes nothing")
    func failedWrite() async throws {
        final class Failing: GalleryStorage, @unchecked Sendable {
            var fail = false
            func load() throws -> GallerySnapshot { GallerySnapshot() }
            func save(_ snapshot: GallerySnapshot) throws {}
            func record(_ change: GalleryChange, in snapshot: GallerySnapshot) throws {
                if fail { throw GalleryError.io(file: "disk", reason: "full") }
            }
        }
        let storage = Failing()
        let g = try FaceGallery(storage: storage)
        var rng = SeededRandom(seed: 27)
        let a = randomEmbedding(&rng), b = randomEmbedding(&rng)
        try await g.enroll("a", embeddings: [a], personMetadata: ["m": "1"])
        try await g.enroll("b", embeddings: [b])
        storage.fail = true
        await #expect(throws: GalleryError.self) { try await g.enroll("a", embeddings: [b], personMetadata: ["m": "2"]) }
        await #expect(throws: GalleryError.self) { try await g.enroll("c", embeddings: [b]) }
        await #expect(throws: GalleryError.self) { try await g.rename("a", to: "z") }
        await #expect(throws: GalleryError.self) { try await g.remove("a") }
        let people = await g.people
        #expect(people == [GalleryPerson(identifier: "a", metadata: ["m": "1"], embeddings: [GalleryEmbedding(embedding: a)]),
                           GalleryPerson(identifier: "b", embeddings: [GalleryEmbedding(embedding: b)])])
        #expect(try await g.search(b, top: 3).map(\.identifier) == ["b", "a"])
        #expect(await g.embeddingCount == 2)
    }

    @Test("readers opening while a writer appends and compacts always see a state some write returned in")
    func readerDuringWriter() async throws {
        let url = try Self.url()
        let (g, _) = try Self.open(url, writable: true, minimumLogBytes: 4_096)
        try await g.enroll("person-0", embeddings: [FaceEmbedding(raw: (0..<256).map { Float($0 % 7) + 1 })])
        let total = 150
        final class Flag: @unchecked Sendable {
            private let lock = NSLock()
            private var value = false
            func set() { lock.withLock { value = true } }
            var isSet: Bool { lock.withLock { value } }
        }
        let finished = Flag()
        let writer = Task {
            defer { finished.set() }
            for n in 1..<total {
                try await g.enroll("person-\(n)", embeddings: [FaceEmbedding(raw: (0..<256).map { Float(($0 + n) % 11) + 1 })])
            }
        }
        // Read until the writer has finished, then once more; sleeping between reads leaves the
        // writer its turn on a busy machine (no time is asserted).
        var seen = 0, reads = 0
        while true {
            let done = finished.isSet
            let people = try GalleryFile(url: url, writable: false).load().people
            let numbers = people.map { Int($0.identifier.dropFirst(7))! }
            #expect(numbers == Array(0..<people.count), "a reader saw \(people.count) people out of order or with gaps")
            #expect(people.count >= seen, "a later reader saw fewer people (\(people.count)) than an earlier one (\(seen))")
            seen = max(seen, people.count)
            reads += 1
            if done { break }
            try await Task.sleep(nanoseconds: 200_000)
        }
        try await writer.value
        #expect(seen == total, "\(reads) reads")
    }

    @Test("files written from the documented format by another program (Fuzz/make-seeds.py) read as that program meant")
    func independentWriter() throws {
        func seed(_ name: String) throws -> Data {
            Data(try Data(contentsOf: Shared.packageRoot.appendingPathComponent("Fuzz/corpus/gallery/\(name)")).dropFirst())   // byte 0: the fuzz flag
        }
        // Snapshot: Barack Obama (2 embeddings), Joe Biden; log: enrol Kamala Harris, rename Joe Biden, remove Barack Obama.
        let full = try GalleryFile.decode(try seed("v2-dim4-log"), name: "seed")
        #expect(full.model == "se-mobilefacenet-arcface" && full.dimension == 4)
        #expect(full.people.map(\.identifier) == ["President Biden", "Kamala Harris"])
        #expect(full.people[1].metadata == ["n": "1"] && full.people[1].embeddings.map(\.embedding.vector) == [[0.5, 0.5, 0.5, 0.5]])
        #expect(full.people[1].embeddings[0].embedding.norm == 2 && full.people[1].embeddings[0].metadata == ["source": "c.jpg"])
        // The same with the last record torn: the remove never happened.
        let torn = try GalleryFile.decode(try seed("v2-dim4-log-torn-tail"), name: "seed")
        #expect(torn.people.map(\.identifier) == ["Barack Obama", "President Biden", "Kamala Harris"])
        #expect(torn.people[0].embeddings.count == 2)
    }

    @Test("many probes through the GEMM kernel give each single search's answer", arguments: [5, 130])
    func gemmBatchEqualsSingle(probeCount: Int) async throws {
        var rng = SeededRandom(seed: 28)
        var snapshot = GallerySnapshot()
        for p in 0..<700 {
            snapshot.people.append(GalleryPerson(identifier: "p\(p)", embeddings: (0..<(1 + p % 4)).map { _ in GalleryEmbedding(embedding: randomEmbedding(&rng)) }))
        }
        let g = try FaceGallery(storage: InMemoryGalleryStorage(snapshot))
        // Probes: random ones, and stored embeddings (a match of similarity 1).
        let probes = (0..<probeCount).map { i in i % 3 == 0 ? snapshot.people[(i * 37) % 700].embeddings.last!.embedding : randomEmbedding(&rng) }
        let batch = try await g.search(probes, top: 10)
        #expect(batch.count == probes.count)
        for (i, (probe, result)) in zip(probes, batch).enumerated() {
            let single = try await g.search(probe, top: 10)
            #expect(result.map(\.identifier) == single.map(\.identifier), "probe \(i)")
            for (x, y) in zip(result, single) { #expect(abs(x.similarity - y.similarity) < 1e-4) }
            if i % 3 == 0 { #expect(result.first?.identifier == "p\((i * 37) % 700)") }
        }
    }
}
