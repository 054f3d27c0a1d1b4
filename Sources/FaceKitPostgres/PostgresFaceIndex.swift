// The FaceIndex protocol over PostgreSQL + pgvector: people and their embeddings in tables of
// one schema, searched by the server (exactly, or through an HNSW index), shared by every
// process that connects.
import FaceKit
import Foundation
import PostgresNIO

/// A ``FaceKit/FaceIndex`` stored in PostgreSQL with the pgvector extension, shared by every
/// process that connects to the same database and schema.
///
/// Open one with ``init(configuration:model:dimension:)`` (or ``open(url:writable:)``); it
/// keeps a pool of connections (``PostgresIndexConfiguration/maximumConnections``) until
/// ``close()``.
///
/// ## Schema
/// The index's tables live in ``PostgresIndexConfiguration/schema`` (created when missing):
/// - `facekit_schema_version`: one row per applied migration (`version`, `applied_at`);
/// - `facekit_meta`: the model identity (`model`, `dimension`), checked at every open;
/// - `facekit_people`: `id` (enrolment order), a unique `identifier`, `metadata` (jsonb);
/// - `facekit_embeddings`: `person_id`, `embedding vector(256)`, `metadata` (jsonb);
/// - with ``PostgresSearchMode/hnsw(efSearch:m:efConstruction:)``, the HNSW index
///   `facekit_embeddings_hnsw` (`vector_cosine_ops`).
///
/// A writable open applies missing migrations in one transaction under an advisory lock, so
/// several processes may open a new index at once. An index written by a newer FaceKit
/// (a higher schema version) is refused with ``FaceKit/GalleryError/schemaMismatch(index:reason:)``;
/// one made with another embedding model with ``FaceKit/GalleryError/modelMismatch(file:expected:found:)``.
///
/// ## Writes
/// Every write is one transaction: it is stored when it returns, and a write that throws
/// changes nothing. Enrolments from many processes at once are safe: a new person is created
/// with `INSERT … ON CONFLICT`, so two processes enrolling the same new person add to one person.
///
/// ## Search
/// A person's score is the best cosine similarity between the probe and any of their
/// embeddings; ties go to the earlier-enrolled person. ``PostgresSearchMode/exact`` compares
/// every embedding (the true top `k`). ``PostgresSearchMode/hnsw(efSearch:m:efConstruction:)``
/// asks the HNSW index for the nearest embeddings (at least `efSearch`, and 4·`k`) and ranks
/// their people: approximate, it can miss a true match.
///
/// ## Errors
/// Every failure is a ``FaceKit/GalleryError``: a server that cannot be reached is
/// ``FaceKit/GalleryError/unavailable(index:reason:)``; the argument and person errors are the
/// file gallery's, with the same messages.
public final class PostgresFaceIndex: FaceIndex {
    /// The schema version this FaceKit writes and reads.
    public static let schemaVersion = 1

    /// The embedding model whose vectors the index holds.
    public let model: String
    /// The number of values in each embedding.
    public let dimension: Int
    /// Where the index lives and how it searches.
    public let configuration: PostgresIndexConfiguration

    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    let tables: Tables

    /// Connects to the index described by `configuration`, creating or migrating its schema when
    /// writable, and checks that it holds embeddings of `model` and `dimension`.
    ///
    /// - Throws: ``FaceKit/GalleryError/unavailable(index:reason:)`` when the server cannot be
    ///   reached; ``FaceKit/GalleryError/schemaMismatch(index:reason:)`` for a newer or foreign
    ///   schema (or, read-only, a missing one); ``FaceKit/GalleryError/modelMismatch(file:expected:found:)``
    ///   for an index of another model; ``FaceKit/GalleryError/invalidArgument(_:)`` for a bad configuration.
    public init(configuration: PostgresIndexConfiguration, model: String = FaceEmbedder.model.rawValue,
                dimension: Int = FaceEmbedder.dimension) async throws {
        try configuration.validate()
        guard (1...16000).contains(dimension) else { throw GalleryError.invalidArgument("dimension must be 1…16000 (pgvector's limit), not \(dimension)") }
        self.configuration = configuration
        self.model = model
        self.dimension = dimension
        self.tables = Tables(schema: configuration.schema)
        var logger = Logger(label: "facekit.postgres")
        logger.logLevel = .critical
        self.logger = logger

        // One direct connection first: it fails at once when nothing listens (the pool would
        // retry for 15 s), and it runs the migrations.
        let name = configuration.displayName
        let tls: PostgresConnection.Configuration.TLS = configuration.preferTLS
            ? .prefer(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var direct = PostgresConnection.Configuration(host: configuration.host, port: configuration.port, username: configuration.username,
                                                      password: configuration.password, database: configuration.database, tls: tls)
        direct.options.connectTimeout = .nanoseconds(Int64(configuration.connectTimeout.components.seconds) * 1_000_000_000
                                                      + configuration.connectTimeout.components.attoseconds / 1_000_000_000)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
        } catch {
            throw Self.map(error, index: name)
        }
        do {
            try await Self.prepare(connection, tables: tables, configuration: configuration, model: model, dimension: dimension, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw Self.map(error, index: name)
        }

        var pooled = PostgresClient.Configuration(host: configuration.host, port: configuration.port, username: configuration.username,
                                                  password: configuration.password, database: configuration.database,
                                                  tls: configuration.preferTLS ? .prefer(.makeClientConfiguration()) : .disable)
        pooled.options.maximumConnections = configuration.maximumConnections
        pooled.options.connectTimeout = configuration.connectTimeout
        let client = PostgresClient(configuration: pooled)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Opens the index at a `postgres://` URL (see ``PostgresIndexConfiguration/init(url:environment:)``),
    /// for the default embedding model.
    public static func open(url: String, writable: Bool) async throws -> PostgresFaceIndex {
        var configuration = try PostgresIndexConfiguration(url: url)
        configuration.writable = writable
        return try await PostgresFaceIndex(configuration: configuration)
    }

    deinit { runTask.cancel() }

    // MARK: FaceIndex

    public func enroll(_ identifier: String, embeddings: [FaceEmbedding], metadata: [[String: String]]? = nil,
                       personMetadata: [String: String] = [:]) async throws {
        try requireWritable()
        let id = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !id.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
        guard !embeddings.isEmpty else { throw GalleryError.invalidArgument("enrolling \(id) needs at least one embedding") }
        try checkEmbeddings(embeddings)
        let vectors = embeddings.map { Self.vectorLiteral($0.vector) }
        let metas = try embeddings.indices.map { i in try Self.json(metadata.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? [:]) }
        let personMeta = try Self.json(personMetadata)
        let t = tables
        try await transaction { connection, logger in
            let personID = try await Self.upsertPerson(connection, tables: t, identifier: id, metadata: personMeta, logger: logger)
            try await Self.insertEmbeddings(connection, tables: t, personIDs: Array(repeating: personID, count: vectors.count),
                                            vectors: vectors, metadata: metas, logger: logger)
        }
    }

    public func enrolledPeople() async throws -> [IndexedPerson] {
        let t = tables
        return try await transaction { connection, logger in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT p.identifier, p.metadata::text,
                       (SELECT count(*) FROM \(t.embeddings) e WHERE e.person_id = p.id)
                FROM \(t.people) p ORDER BY p.id
                """), logger: logger)
            var people: [IndexedPerson] = []
            for try await (identifier, meta, count) in rows.decode((String, String, Int).self) {
                people.append(IndexedPerson(identifier: identifier, embeddingCount: count, metadata: try Self.dictionary(meta)))
            }
            return people
        }
    }

    public func embeddings(of identifier: String) async throws -> [GalleryEmbedding] {
        let t = tables
        return try await transaction { connection, logger in
            guard let personID = try await Self.personID(connection, tables: t, identifier: identifier, logger: logger) else {
                throw GalleryError.unknownPerson(identifier)
            }
            var binds = PostgresBindings()
            binds.append(personID)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT embedding::real[], metadata::text FROM \(t.embeddings) WHERE person_id = $1 ORDER BY id
                """, binds: binds), logger: logger)
            var result: [GalleryEmbedding] = []
            for try await (vector, meta) in rows.decode(([Float], String).self) {
                result.append(GalleryEmbedding(embedding: FaceEmbedding(normalized: vector), metadata: try Self.dictionary(meta)))
            }
            return result
        }
    }

    public func rename(_ identifier: String, to newIdentifier: String) async throws {
        try requireWritable()
        let new = newIdentifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !new.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
        let t = tables
        try await transaction { connection, logger in
            guard try await Self.personID(connection, tables: t, identifier: identifier, logger: logger) != nil else {
                throw GalleryError.unknownPerson(identifier)
            }
            guard new != identifier else { return }
            var binds = PostgresBindings()
            binds.append(identifier)
            binds.append(new)
            do {
                try await connection.query(PostgresQuery(unsafeSQL: "UPDATE \(t.people) SET identifier = $2 WHERE identifier = $1", binds: binds),
                                           logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw GalleryError.duplicatePerson(new)
            }
        }
    }

    public func remove(_ identifier: String) async throws {
        try requireWritable()
        let t = tables
        try await transaction { connection, logger in
            var binds = PostgresBindings()
            binds.append(identifier)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(t.people) WHERE identifier = $1 RETURNING id", binds: binds),
                                                  logger: logger)
            var removed = 0
            for try await _ in rows { removed += 1 }
            if removed == 0 { throw GalleryError.unknownPerson(identifier) }
        }
    }

    public func search(_ probe: FaceEmbedding, top k: Int) async throws -> [GalleryMatch] {
        try await search([probe], top: k)[0]
    }

    public func search(_ probes: [FaceEmbedding], top k: Int) async throws -> [[GalleryMatch]] {
        for probe in probes where probe.vector.count != dimension || !probe.vector.allSatisfy(\.isFinite) {
            throw GalleryError.invalidArgument("the probe has \(probe.vector.count) values, the gallery \(dimension)")
        }
        guard !probes.isEmpty else { return [] }
        guard k > 0 else { return probes.map { _ in [] } }
        let literals = probes.map { Self.vectorLiteral($0.vector) }
        let t = tables
        let mode = configuration.searchMode
        return try await transaction { connection, logger in
            let sql: String
            switch mode {
            case .exact:
                sql = """
                    SELECT p.identifier, s.distance FROM (
                        SELECT person_id, min(embedding <=> $1::vector) AS distance FROM \(t.embeddings) GROUP BY person_id
                    ) s JOIN \(t.people) p ON p.id = s.person_id
                    ORDER BY s.distance, p.id LIMIT $2
                    """
            case let .hnsw(efSearch, _, _):
                let candidates = min(1000, max(efSearch, 4 * k))
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = \(candidates)"), logger: logger)
                sql = """
                    SELECT p.identifier, s.distance FROM (
                        SELECT person_id, min(distance) AS distance FROM (
                            SELECT person_id, embedding <=> $1::vector AS distance FROM \(t.embeddings)
                            ORDER BY embedding <=> $1::vector LIMIT \(candidates)
                        ) c GROUP BY person_id
                    ) s JOIN \(t.people) p ON p.id = s.person_id
                    ORDER BY s.distance, p.id LIMIT $2
                    """
            }
            var results: [[GalleryMatch]] = []
            results.reserveCapacity(literals.count)
            for literal in literals {
                var binds = PostgresBindings()
                binds.append(literal)
                binds.append(k)
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                var matches: [GalleryMatch] = []
                for try await (identifier, distance) in rows.decode((String, Double).self) {
                    matches.append(GalleryMatch(identifier: identifier, similarity: Float(1 - distance)))
                }
                results.append(matches)
            }
            return results
        }
    }

    /// Closes the pool's connections. Calls after it fail with
    /// ``FaceKit/GalleryError/unavailable(index:reason:)``.
    public func close() async throws {
        runTask.cancel()
        await runTask.value
    }

    // MARK: Bulk import

    /// Adds many people in one transaction (two statements, whatever their number): the fast way
    /// to fill an index, for example from an exported gallery. A person already in the index
    /// gets the new embeddings and metadata, as with ``enroll(_:embeddings:metadata:personMetadata:)``.
    ///
    /// - Throws: ``FaceKit/GalleryError/invalidArgument(_:)`` for an empty identifier, a person
    ///   without embeddings or an embedding of the wrong dimension (nothing is stored then).
    public func importPeople(_ people: [GalleryPerson]) async throws {
        try requireWritable()
        // One row per distinct identifier, in first-seen order; a repeated one merges (new values win).
        var identifiers: [String] = [], personMetadata: [[String: String]] = [], position: [String: Int] = [:]
        var owners: [Int] = [], vectors: [String] = [], metas: [String] = []
        for person in people {
            let id = person.identifier.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !id.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
            guard !person.embeddings.isEmpty else { throw GalleryError.invalidArgument("enrolling \(id) needs at least one embedding") }
            try checkEmbeddings(person.embeddings.map(\.embedding))
            let owner: Int
            if let i = position[id] {
                personMetadata[i].merge(person.metadata) { _, new in new }
                owner = i
            } else {
                owner = identifiers.count
                position[id] = owner
                identifiers.append(id)
                personMetadata.append(person.metadata)
            }
            for e in person.embeddings {
                owners.append(owner)
                vectors.append(Self.vectorLiteral(e.embedding.vector))
                metas.append(try Self.json(e.metadata))
            }
        }
        guard !identifiers.isEmpty else { return }
        let personMetas = try personMetadata.map(Self.json)
        let t = tables
        let (ids, ownerIndexes, vectorLiterals, embeddingMetas) = (identifiers, owners, vectors, metas)
        try await transaction { connection, logger in
            var binds = PostgresBindings()
            binds.append(ids)
            binds.append(personMetas)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(t.people) (identifier, metadata)
                SELECT i, m::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(i, m, n) ORDER BY n
                ON CONFLICT (identifier) DO UPDATE SET metadata = \(t.people).metadata || EXCLUDED.metadata
                RETURNING identifier, id
                """, binds: binds), logger: logger)
            var returned: [String: Int64] = [:]
            for try await (identifier, id) in rows.decode((String, Int64).self) { returned[identifier] = id }
            let personIDs = try ids.map { identifier -> Int64 in
                guard let id = returned[identifier] else { throw GalleryError.io(file: t.people, reason: "the server returned no id for \(identifier)") }
                return id
            }
            try await Self.insertEmbeddings(connection, tables: t, personIDs: ownerIndexes.map { personIDs[$0] },
                                            vectors: vectorLiterals, metadata: embeddingMetas, logger: logger)
        }
    }

    // MARK: Helpers

    private func requireWritable() throws {
        guard configuration.writable else {
            throw GalleryError.invalidArgument("\(configuration.displayName) is open read-only; open it writable to change it")
        }
    }

    private func checkEmbeddings(_ embeddings: [FaceEmbedding]) throws {
        for e in embeddings where e.vector.count != dimension || !e.vector.allSatisfy(\.isFinite) {
            throw GalleryError.invalidArgument("an embedding has \(e.vector.count) values (or non-finite ones); the gallery stores \(dimension)")
        }
    }

    /// Runs `body` in one transaction on a pooled connection: committed when it returns,
    /// rolled back when it throws. Errors become ``GalleryError``s.
    @discardableResult
    func transaction<Result: Sendable>(
        _ body: @Sendable (PostgresConnection, Logger) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection, logger)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.map(error, index: configuration.displayName)
        }
    }

    /// The ``GalleryError`` for a failure of the server or the connection.
    static func map(_ error: any Error, index: String) -> any Error {
        if error is GalleryError { return error }
        if let error = error as? PSQLError {
            if error.code == .server, let state = error.serverInfo?[.sqlState] {
                let message = error.serverInfo?[.message] ?? "server error \(state)"
                switch state {
                case "42P01", "42703", "42704", "3F000":   // undefined table, column, object, schema
                    return GalleryError.schemaMismatch(index: index, reason: message)
                case "3D000", "28000", "28P01", "57P01", "57P02", "57P03", "53300":   // no database, auth, shutdown, too many connections
                    return GalleryError.unavailable(index: index, reason: message)
                default:
                    if state.hasPrefix("08") { return GalleryError.unavailable(index: index, reason: message) }
                    return GalleryError.io(file: index, reason: "the server refused a statement: \(message) (SQLSTATE \(state))")
                }
            }
            let reason: String
            if let underlying = error.underlying { reason = "\(error.code): \(underlying)" } else { reason = "\(error.code)" }
            return GalleryError.unavailable(index: index, reason: reason)
        }
        // The pool's own errors (its circuit breaker after 15 s of failed connects, a closed pool),
        // cancellation, and the channel's errors: the index cannot be reached.
        return GalleryError.unavailable(index: index, reason: String(describing: error))
    }

    /// pgvector's text form of a vector: `[v1,v2,…]` (Float's description round-trips exactly).
    static func vectorLiteral(_ v: [Float]) -> String {
        var s = "["
        s.reserveCapacity(v.count * 12 + 2)
        for (i, x) in v.enumerated() {
            if i > 0 { s += "," }
            s += x.description
        }
        s += "]"
        return s
    }

    static func json(_ d: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(d), as: UTF8.self)
    }

    static func dictionary(_ json: String) throws -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    static func personID(_ connection: PostgresConnection, tables t: Tables, identifier: String, logger: Logger) async throws -> Int64? {
        var binds = PostgresBindings()
        binds.append(identifier)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT id FROM \(t.people) WHERE identifier = $1", binds: binds), logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    static func upsertPerson(_ connection: PostgresConnection, tables t: Tables, identifier: String, metadata: String,
                             logger: Logger) async throws -> Int64 {
        var binds = PostgresBindings()
        binds.append(identifier)
        binds.append(metadata)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(t.people) (identifier, metadata) VALUES ($1, $2::jsonb)
            ON CONFLICT (identifier) DO UPDATE SET metadata = \(t.people).metadata || EXCLUDED.metadata
            RETURNING id
            """, binds: binds), logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw GalleryError.io(file: t.people, reason: "the server returned no id for \(identifier)")
    }

    static func insertEmbeddings(_ connection: PostgresConnection, tables t: Tables, personIDs: [Int64], vectors: [String],
                                 metadata: [String], logger: Logger) async throws {
        var binds = PostgresBindings()
        binds.append(personIDs)
        binds.append(vectors)
        binds.append(metadata)
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(t.embeddings) (person_id, embedding, metadata)
            SELECT p, v::vector, m::jsonb FROM unnest($1::int8[], $2::text[], $3::text[]) WITH ORDINALITY AS u(p, v, m, n) ORDER BY n
            """, binds: binds), logger: logger)
    }
}

/// The quoted names of one index's tables.
struct Tables: Sendable {
    let schema: String
    var quotedSchema: String { "\"\(schema)\"" }
    var version: String { "\(quotedSchema).facekit_schema_version" }
    var meta: String { "\(quotedSchema).facekit_meta" }
    var people: String { "\(quotedSchema).facekit_people" }
    var embeddings: String { "\(quotedSchema).facekit_embeddings" }
}
