// PostgresFaceIndex against a real PostgreSQL + pgvector server on loopback (`.ci/postgres start`
// prints the PGHOST/PGPORT/PGUSER/PGDATABASE it listens on). Without PGPORT or PGHOST the
// server tests are skipped, unless FACEKIT_REQUIRE_POSTGRES=1 (CI), which makes them run and
// fail. Each test uses its own schema, so they run in parallel on one database.
import FaceKit
import FaceKitPostgres
import FaceKitTestSupport
import Foundation
import PostgresNIO
import Testing

enum TestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let required = environment["FACEKIT_REQUIRE_POSTGRES"] == "1"
    /// Whether the server tests run: a server is named, or CI requires one.
    static let enabled = required || environment["PGPORT"] != nil || environment["PGHOST"] != nil
    static let skipMessage: Comment = "no PostgreSQL server named: run `eval \"$(.ci/postgres start)\"` (sets PGHOST, PGPORT, PGUSER, PGDATABASE) to run these tests"

    static func configuration(schema: String = uniqueSchema(), mode: PostgresSearchMode = .exact, writable: Bool = true) throws -> PostgresIndexConfiguration {
        var c = try PostgresIndexConfiguration(environment: environment)
        c.schema = schema
        c.searchMode = mode
        c.writable = writable
        c.maximumConnections = 4
        return c
    }

    static func uniqueSchema() -> String {
        "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    }

    /// Runs raw SQL on the test database (to fake a newer schema, say).
    static func execute(_ sql: String) async throws {
        let c = try configuration()
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: c.host, port: c.port, username: c.username, password: c.password, database: c.database, tls: .disable),
            id: 1, logger: Logger(label: "facekit.tests"))
        do { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "facekit.tests")) } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    static func factory(_ name: String, mode: PostgresSearchMode, exact: Bool) -> FaceIndexFactory {
        FaceIndexFactory(
            name: name, exact: exact,
            makeEmpty: { try await PostgresFaceIndex(configuration: try configuration(mode: mode)) },
            reopen: { index in
                guard let index = index as? PostgresFaceIndex else { throw GalleryError.invalidArgument("not a PostgresFaceIndex") }
                return try await PostgresFaceIndex(configuration: index.configuration)
            })
    }
}

@Suite(.enabled(if: TestServer.enabled, TestServer.skipMessage))
struct PostgresFaceIndexTests {
    static let exact = TestServer.factory("PostgreSQL exact", mode: .exact, exact: true)
    // HNSW may order near-ties differently and miss a true neighbour: the contract then checks
    // everything but the exact top-k order.
    static let hnsw = TestServer.factory("PostgreSQL HNSW", mode: .hnsw(efSearch: 100), exact: false)

    @Test("PostgreSQL with exact search keeps the FaceIndex contract", arguments: FaceIndexContract.checks)
    func exactContract(_ check: String) async throws { try await FaceIndexContract.run(check, Self.exact) }

    @Test("PostgreSQL with the HNSW index keeps the FaceIndex contract", arguments: FaceIndexContract.checks)
    func hnswContract(_ check: String) async throws { try await FaceIndexContract.run(check, Self.hnsw) }

    @Test("an index made with another model, or another dimension, is refused at open")
    func modelMismatch() async throws {
        let configuration = try TestServer.configuration()
        let index = try await PostgresFaceIndex(configuration: configuration)
        var rng = SeededRandom(seed: 3)
        try await index.enroll("a", embeddings: [FaceIndexContract.embedding(&rng)])
        try await index.close()
        let expected = GalleryError.modelMismatch(file: configuration.displayName, expected: "other-model (256-d)",
                                                  found: "\(FaceEmbedder.model.rawValue) (256-d)")
        await #expect(throws: expected) { _ = try await PostgresFaceIndex(configuration: configuration, model: "other-model") }
        await #expect(throws: GalleryError.self) { _ = try await PostgresFaceIndex(configuration: configuration, dimension: 128) }
        var readOnly = configuration
        readOnly.writable = false
        await #expect(throws: expected) { _ = try await PostgresFaceIndex(configuration: readOnly, model: "other-model") }
        // The index itself is untouched.
        let again = try await PostgresFaceIndex(configuration: readOnly)
        #expect(try await again.enrolledPeople().map(\.identifier) == ["a"])
        try await again.close()
    }

    @Test("the schema is created from nothing once, re-opened without migrating again, and a newer one is refused")
    func migrations() async throws {
        let configuration = try TestServer.configuration()
        var readOnly = configuration
        readOnly.writable = false
        // Read-only on an empty schema: nothing to read, and nothing is created.
        await #expect(throws: GalleryError.self) { _ = try await PostgresFaceIndex(configuration: readOnly) }
        // Two writers opening a new schema at once: one migrates, the other waits and finds it done.
        async let first = PostgresFaceIndex(configuration: configuration)
        async let second = PostgresFaceIndex(configuration: configuration)
        let (a, b) = try await (first, second)
        var rng = SeededRandom(seed: 4)
        try await a.enroll("kept", embeddings: [FaceIndexContract.embedding(&rng)])
        try await a.close()
        try await b.close()
        let reopened = try await PostgresFaceIndex(configuration: readOnly)
        #expect(try await reopened.enrolledPeople().map(\.identifier) == ["kept"])
        await #expect(throws: GalleryError.invalidArgument("\(configuration.displayName) is open read-only; open it writable to change it")) {
            try await reopened.enroll("new", embeddings: [FaceIndexContract.embedding(&rng)])
        }
        try await reopened.close()
        // Exactly one migration row, however many opens.
        let writer = try await PostgresFaceIndex(configuration: configuration)
        try await writer.close()
        try await TestServer.execute("""
            DO $$ BEGIN
              IF (SELECT count(*) FROM "\(configuration.schema)".facekit_schema_version) <> 1 THEN RAISE EXCEPTION 'migrated twice'; END IF;
            END $$
            """)
        // A schema from a newer FaceKit is refused, read-only or not.
        try await TestServer.execute("INSERT INTO \"\(configuration.schema)\".facekit_schema_version (version) VALUES (\(PostgresFaceIndex.schemaVersion + 1))")
        let newer = GalleryError.schemaMismatch(index: configuration.displayName,
                                                reason: "schema version \(PostgresFaceIndex.schemaVersion + 1) is newer than this FaceKit reads (\(PostgresFaceIndex.schemaVersion))")
        await #expect(throws: newer) { _ = try await PostgresFaceIndex(configuration: configuration) }
        await #expect(throws: newer) { _ = try await PostgresFaceIndex(configuration: readOnly) }
        try await TestServer.execute("DROP SCHEMA \"\(configuration.schema)\" CASCADE")
    }

    @Test("two indexes with their own pools enrol into the same people at once")
    func concurrentInstances() async throws {
        let configuration = try TestServer.configuration()
        let one = try await PostgresFaceIndex(configuration: configuration)
        let two = try await PostgresFaceIndex(configuration: configuration)
        let rounds = 12
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, index) in [one, two].enumerated() {
                for r in 0..<rounds {
                    group.addTask {
                        var rng = SeededRandom(seed: UInt64(1000 * n + r))
                        try await index.enroll("shared", embeddings: [FaceIndexContract.embedding(&rng)], metadata: nil,
                                               personMetadata: ["writer \(n)": "\(r)"])
                        try await index.enroll("own \(n) \(r)", embeddings: [FaceIndexContract.embedding(&rng), FaceIndexContract.embedding(&rng)])
                    }
                }
            }
            try await group.waitForAll()
        }
        try await one.close()
        try await two.close()
        let check = try await PostgresFaceIndex(configuration: configuration)
        let people = try await check.enrolledPeople()
        #expect(people.count == 2 * rounds + 1)
        let shared = people.first { $0.identifier == "shared" }
        #expect(shared?.embeddingCount == 2 * rounds)
        #expect(Set(shared?.metadata.keys.map { $0 } ?? []) == ["writer 0", "writer 1"])
        #expect(people.filter { $0.identifier.hasPrefix("own ") }.allSatisfy { $0.embeddingCount == 2 })
        try await check.dropSchema()
        try await check.close()
    }

    @Test("importPeople stores many people in one transaction, merging repeated ones")
    func importPeople() async throws {
        let index = try await PostgresFaceIndex(configuration: try TestServer.configuration())
        var rng = SeededRandom(seed: 5)
        func person(_ id: String, _ n: Int, _ meta: [String: String] = [:]) -> GalleryPerson {
            GalleryPerson(identifier: id, metadata: meta,
                          embeddings: (0..<n).map { GalleryEmbedding(embedding: FaceIndexContract.embedding(&rng), metadata: ["i": "\($0)"]) })
        }
        try await index.enroll("before", embeddings: [FaceIndexContract.embedding(&rng)])
        let people = [person("x", 2, ["a": "1"]), person("before", 1), person("y", 3), person("x", 1, ["a": "2", "b": "3"])]
        try await index.importPeople(people)
        let listed = try await index.enrolledPeople()
        #expect(listed == [IndexedPerson(identifier: "before", embeddingCount: 2), IndexedPerson(identifier: "x", embeddingCount: 3, metadata: ["a": "2", "b": "3"]),
                           IndexedPerson(identifier: "y", embeddingCount: 3)])
        let stored = try await index.embeddings(of: "x")
        #expect(stored.map(\.metadata) == [["i": "0"], ["i": "1"], ["i": "0"]])
        for (s, e) in zip(stored, people[0].embeddings + people[3].embeddings) {
            #expect(zip(s.embedding.vector, e.embedding.vector).allSatisfy { abs($0 - $1) < 1e-6 })
        }
        // A bad person anywhere stores nothing.
        await #expect(throws: GalleryError.self) { try await index.importPeople([person("z", 1), person("  ", 1)]) }
        #expect(try await index.enrolledPeople().count == 3)
        try await index.dropSchema()
        try await index.close()
    }
}

@Suite struct PostgresConfigurationTests {
    @Test("a server that does not listen is GalleryError.unavailable, at once")
    func serverDown() async throws {
        // A port that nothing listens on: bound by us, then released.
        let port = try freePort()
        let configuration = PostgresIndexConfiguration(host: "127.0.0.1", port: port, username: "facekit", database: "facekit", schema: "public")
        do {
            _ = try await PostgresFaceIndex(configuration: configuration)
            Issue.record("opened an index on a port where nothing listens")
        } catch let error as GalleryError {
            guard case let .unavailable(index, reason) = error else { Issue.record("expected unavailable, got \(error)"); return }
            #expect(index == "postgres://facekit@127.0.0.1:\(port)/facekit")
            #expect(!reason.isEmpty)
            #expect(error.description.contains("check that the server runs"))
        }
    }

    @Test("postgres:// URLs and the PG environment variables")
    func urls() throws {
        let env = ["PGHOST": "db.local", "PGPORT": "6000", "PGUSER": "envuser", "PGDATABASE": "envdb"]
        let full = try PostgresIndexConfiguration(url: "postgres://alice:s%40cret@10.1.2.3:5433/faces?schema=team_a&search=hnsw&ef_search=64", environment: env)
        #expect(full.host == "10.1.2.3" && full.port == 5433 && full.username == "alice" && full.password == "s@cret")
        #expect(full.database == "faces" && full.schema == "team_a")
        #expect(full.searchMode == .hnsw(efSearch: 64))
        #expect(full.displayName == "postgres://alice@10.1.2.3:5433/faces?schema=team_a")
        let partial = try PostgresIndexConfiguration(url: "postgresql:///", environment: env)
        #expect(partial.host == "db.local" && partial.port == 6000 && partial.username == "envuser" && partial.database == "envdb")
        #expect(partial.searchMode == .exact && partial.schema == "public")
        let fromEnv = try PostgresIndexConfiguration(environment: env)
        #expect(fromEnv == partial)
        let defaults = try PostgresIndexConfiguration(url: "postgres://bob@localhost", environment: [:])
        #expect(defaults.port == 5432 && defaults.database == "bob")

        func invalid(_ url: String, _ env: [String: String] = [:]) {
            #expect(throws: GalleryError.self, "\(url)") { _ = try PostgresIndexConfiguration(url: url, environment: env) }
        }
        invalid("mysql://a@b/c")
        invalid("people.fkg")
        invalid("postgres://localhost/db")                       // no user anywhere
        invalid("postgres://a@h/db?search=fuzzy")
        invalid("postgres://a@h/db?ef_search=0")
        invalid("postgres://a@h/db?ef_search=5000")
        invalid("postgres://a@h/db?schema=bad-name")
        invalid("postgres://a@h/db?colour=blue")
        #expect(throws: GalleryError.invalidArgument("PGPORT=abc is not a port number")) {
            _ = try PostgresIndexConfiguration(environment: ["PGPORT": "abc", "PGUSER": "u"])
        }
    }

    func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw GalleryError.io(file: "socket", reason: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw GalleryError.io(file: "socket", reason: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
