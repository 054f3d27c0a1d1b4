// The FaceIndex contract as one test suite, run against every back end (the in-process gallery
// in FaceKitTests, PostgreSQL in its own tests). Each check makes a fresh, empty index.
import FaceKit
import Foundation
import Testing

/// Makes fresh indexes for the contract checks.
public struct FaceIndexFactory: Sendable {
    /// A back end's name, for messages.
    public let name: String
    /// A new, empty index of 256-d embeddings of the default model.
    public let makeEmpty: @Sendable () async throws -> any FaceIndex
    /// The same index opened again (as another process would), or nil when the back end keeps
    /// nothing beyond the instance.
    public let reopen: (@Sendable (any FaceIndex) async throws -> any FaceIndex)?
    /// Whether search is exact (the true top k), so results can be compared with brute force.
    public let exact: Bool

    public init(name: String, exact: Bool = true, makeEmpty: @escaping @Sendable () async throws -> any FaceIndex,
                reopen: (@Sendable (any FaceIndex) async throws -> any FaceIndex)?) {
        self.name = name
        self.exact = exact
        self.makeEmpty = makeEmpty
        self.reopen = reopen
    }
}

/// The contract every ``FaceIndex`` keeps. Call each `check…` from a `@Test` of the back end.
public enum FaceIndexContract {
    /// The names of the checks, for parameterised tests.
    public static let checks = ["enrolList", "searchExact", "identify", "renameRemove", "errors", "persistence", "batchSearch", "concurrentEnrolment"]

    /// Runs the check named `check` (one of ``checks``) against a fresh index from `factory`.
    public static func run(_ check: String, _ factory: FaceIndexFactory) async throws {
        let index = try await factory.makeEmpty()
        switch check {
        case "enrolList": try await enrolList(index)
        case "searchExact": try await searchExact(index, exact: factory.exact)
        case "identify": try await identify(index)
        case "renameRemove": try await renameRemove(index)
        case "errors": try await errors(index)
        case "persistence": try await persistence(index, factory)
        case "batchSearch": try await batchSearch(index)
        case "concurrentEnrolment": try await concurrentEnrolment(index)
        default: Issue.record("unknown contract check \(check)")
        }
        try await index.close()
    }

    /// A random unit-length 256-d embedding.
    public static func embedding(_ rng: inout SeededRandom) -> FaceEmbedding {
        FaceEmbedding(raw: rng.floats(256))
    }

    static func cosine(_ a: FaceEmbedding, _ b: FaceEmbedding) -> Float {
        zip(a.vector, b.vector).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func enrolList(_ index: any FaceIndex) async throws {
        #expect(index.dimension == 256)
        #expect(index.model == FaceEmbedder.model.rawValue)
        #expect(try await index.enrolledPeople().isEmpty)
        var rng = SeededRandom(seed: 11)
        let a = embedding(&rng), b = embedding(&rng), c = embedding(&rng)
        try await index.enroll("  alice ", embeddings: [a, b], metadata: [["source": "a1.jpg"], [:]], personMetadata: ["team": "x"])
        try await index.enroll("bob", embeddings: [c])
        try await index.enroll("alice", embeddings: [c], metadata: nil, personMetadata: ["team": "y"])
        let people = try await index.enrolledPeople()
        #expect(people.map(\.identifier) == ["alice", "bob"])
        #expect(people.map(\.embeddingCount) == [3, 1])
        #expect(people[0].metadata == ["team": "y"])
        let stored = try await index.embeddings(of: "alice")
        #expect(stored.count == 3)
        #expect(stored.map(\.metadata) == [["source": "a1.jpg"], [:], [:]])
        for (s, e) in zip(stored, [a, b, c]) { #expect(cosine(s.embedding, e) > 0.9999) }
    }

    static func searchExact(_ index: any FaceIndex, exact: Bool) async throws {
        var rng = SeededRandom(seed: 12)
        var people: [(String, [FaceEmbedding])] = []
        for p in 0..<40 {
            let es = (0..<(1 + p % 3)).map { _ in embedding(&rng) }
            people.append(("person \(p)", es))
            try await index.enroll("person \(p)", embeddings: es)
        }
        for _ in 0..<5 {
            let probe = embedding(&rng)
            let expected = people.map { ($0.0, $0.1.map { cosine(probe, $0) }.max()!) }
                .sorted { $0.1 > $1.1 }.prefix(7)
            let got = try await index.search(probe, top: 7)
            #expect(got.count == 7)
            if exact { #expect(got.map(\.identifier) == expected.map(\.0)) }
            for (g, e) in zip(got, expected) where g.identifier == e.0 { #expect(abs(g.similarity - e.1) < 1e-4) }
            #expect(zip(got, got.dropFirst()).allSatisfy { $0.similarity >= $1.similarity })
        }
        // A probe equal to an enrolled embedding finds its person with similarity 1.
        let hit = try await index.search(people[17].1[0], top: 1)
        #expect(hit.map(\.identifier) == ["person 17"])
        #expect(abs((hit.first?.similarity ?? 0) - 1) < 1e-4)
        // k larger than the index returns everyone; k = 0 nothing.
        #expect(try await index.search(people[0].1[0], top: 100).count == 40)
        #expect(try await index.search(people[0].1[0], top: 0).isEmpty)
    }

    static func identify(_ index: any FaceIndex) async throws {
        var rng = SeededRandom(seed: 13)
        let a = embedding(&rng), b = embedding(&rng)
        #expect(try await index.identify(a, threshold: 0.5).identity == nil)   // empty index: unknown
        try await index.enroll("alice", embeddings: [a])
        try await index.enroll("bob", embeddings: [b])
        let known = try await index.identify(a, threshold: 0.5, top: 2)
        #expect(known.identity == "alice" && known.matches.count == 2 && known.threshold == 0.5)
        let stranger = try await index.identify(embedding(&rng), threshold: 0.5)
        #expect(stranger.identity == nil && stranger.matches.count == 1)
    }

    static func renameRemove(_ index: any FaceIndex) async throws {
        var rng = SeededRandom(seed: 14)
        let a = embedding(&rng), b = embedding(&rng)
        try await index.enroll("a", embeddings: [a])
        try await index.enroll("b", embeddings: [b])
        try await index.rename("a", to: "c")
        #expect(try await index.enrolledPeople().map(\.identifier) == ["c", "b"])
        #expect(try await index.search(a, top: 1).map(\.identifier) == ["c"])
        try await index.remove("c")
        #expect(try await index.enrolledPeople().map(\.identifier) == ["b"])
        #expect(try await index.search(a, top: 5).map(\.identifier) == ["b"])
        try await index.remove("b")
        #expect(try await index.search(a, top: 5).isEmpty)
    }

    static func errors(_ index: any FaceIndex) async throws {
        var rng = SeededRandom(seed: 15)
        let a = embedding(&rng)
        try await index.enroll("a", embeddings: [a])
        try await index.enroll("b", embeddings: [embedding(&rng)])
        await #expect(throws: GalleryError.duplicatePerson("b")) { try await index.rename("a", to: "b") }
        await #expect(throws: GalleryError.unknownPerson("zed")) { try await index.rename("zed", to: "y") }
        await #expect(throws: GalleryError.unknownPerson("zed")) { try await index.remove("zed") }
        await #expect(throws: GalleryError.unknownPerson("zed")) { _ = try await index.embeddings(of: "zed") }
        func invalid(_ body: () async throws -> Void) async {
            do { try await body(); Issue.record("expected GalleryError.invalidArgument") } catch let e as GalleryError {
                guard case .invalidArgument = e else { Issue.record("expected invalidArgument, got \(e)"); return }
            } catch { Issue.record("expected a GalleryError, got \(error)") }
        }
        await invalid { try await index.enroll("  ", embeddings: [a]) }
        await invalid { try await index.enroll("c", embeddings: []) }
        await invalid { try await index.enroll("c", embeddings: [FaceEmbedding(raw: rng.floats(128))]) }
        await invalid { try await index.enroll("c", embeddings: [FaceEmbedding(raw: [Float](repeating: .nan, count: 256))]) }
        await invalid { try await index.rename("a", to: " ") }
        await invalid { _ = try await index.search(FaceEmbedding(raw: rng.floats(255)), top: 1) }
        // A failed write changed nothing.
        #expect(try await index.enrolledPeople() == [IndexedPerson(identifier: "a", embeddingCount: 1), IndexedPerson(identifier: "b", embeddingCount: 1)])
    }

    static func persistence(_ index: any FaceIndex, _ factory: FaceIndexFactory) async throws {
        guard let reopen = factory.reopen else { return }
        var rng = SeededRandom(seed: 16)
        let a = embedding(&rng), b = embedding(&rng)
        try await index.enroll("a", embeddings: [a], metadata: [["k": "v"]], personMetadata: ["p": "q"])
        try await index.enroll("b", embeddings: [b])
        try await index.rename("b", to: "bee")
        let other = try await reopen(index)
        #expect(try await other.enrolledPeople() == [IndexedPerson(identifier: "a", embeddingCount: 1, metadata: ["p": "q"]),
                                                     IndexedPerson(identifier: "bee", embeddingCount: 1)])
        #expect(try await other.embeddings(of: "a").map(\.metadata) == [["k": "v"]])
        #expect(try await other.search(b, top: 1).map(\.identifier) == ["bee"])
        try await other.close()
    }

    static func batchSearch(_ index: any FaceIndex) async throws {
        var rng = SeededRandom(seed: 17)
        for p in 0..<25 { try await index.enroll("p\(p)", embeddings: [embedding(&rng), embedding(&rng)]) }
        let probes = (0..<9).map { _ in embedding(&rng) }
        let batch = try await index.search(probes, top: 4)
        #expect(batch.count == probes.count)
        for (probe, result) in zip(probes, batch) {
            let single = try await index.search(probe, top: 4)
            #expect(result.map(\.identifier) == single.map(\.identifier))
            for (x, y) in zip(result, single) { #expect(abs(x.similarity - y.similarity) < 1e-4) }
        }
        #expect(try await index.search([], top: 3).isEmpty)
    }

    static func concurrentEnrolment(_ index: any FaceIndex) async throws {
        let seeds: [UInt64] = Array(100..<116)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in seeds {
                group.addTask {
                    var rng = SeededRandom(seed: s)
                    try await index.enroll("shared", embeddings: [embedding(&rng)])
                    try await index.enroll("own \(s)", embeddings: [embedding(&rng), embedding(&rng)])
                }
            }
            try await group.waitForAll()
        }
        let people = try await index.enrolledPeople()
        #expect(people.count == seeds.count + 1)
        #expect(people.first { $0.identifier == "shared" }?.embeddingCount == seeds.count)
        #expect(people.filter { $0.identifier.hasPrefix("own ") }.allSatisfy { $0.embeddingCount == 2 })
    }
}
