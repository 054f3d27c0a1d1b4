// The index's schema and its versioned migrations, applied at open under an advisory lock, and
// the model-identity check.
import FaceKit
import PostgresNIO

extension PostgresFaceIndex {
    /// The migrations, in order: migration `i` brings the schema from version `i` to `i + 1`.
    static func migrations(_ t: Tables, dimension: Int) -> [[String]] {
        [
            [
                "CREATE TABLE \(t.meta) (key text PRIMARY KEY, value text NOT NULL)",
                """
                CREATE TABLE \(t.people) (
                    id bigserial PRIMARY KEY,
                    identifier text NOT NULL UNIQUE,
                    metadata jsonb NOT NULL DEFAULT '{}')
                """,
                """
                CREATE TABLE \(t.embeddings) (
                    id bigserial PRIMARY KEY,
                    person_id bigint NOT NULL REFERENCES \(t.people) (id) ON DELETE CASCADE,
                    embedding vector(\(dimension)) NOT NULL,
                    metadata jsonb NOT NULL DEFAULT '{}')
                """,
                "CREATE INDEX facekit_embeddings_person ON \(t.embeddings) (person_id, id)",
            ],
        ]
    }

    /// Checks (and, writable, creates or migrates) the schema on `connection`, in one transaction.
    static func prepare(_ connection: PostgresConnection, tables t: Tables, configuration: PostgresIndexConfiguration,
                        model: String, dimension: Int, logger: Logger) async throws {
        let name = configuration.displayName
        try await connection.query("BEGIN", logger: logger)
        do {
            if configuration.writable {
                // One opener at a time per schema (hashtext is stable across sessions).
                var binds = PostgresBindings()
                binds.append("facekit:" + configuration.schema)
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(hashtext($1))", binds: binds), logger: logger)
                if try await !exists(connection, "SELECT 1 FROM pg_extension WHERE extname = 'vector'", logger: logger) {
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtext('facekit:extension'))", logger: logger)
                    do {
                        try await connection.query("CREATE EXTENSION IF NOT EXISTS vector", logger: logger)
                    } catch let error as PSQLError where error.code == .server {
                        throw GalleryError.schemaMismatch(index: name, reason: "pgvector is not installed in this database and cannot be created here (\(error.serverInfo?[.message] ?? "")); a superuser runs CREATE EXTENSION vector")
                    }
                }
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(t.quotedSchema)"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(t.version) (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """), logger: logger)
            } else {
                var binds = PostgresBindings()
                binds.append(configuration.schema)
                let hasTable = try await exists(connection, PostgresQuery(unsafeSQL: """
                    SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'facekit_schema_version'
                    """, binds: binds), logger: logger)
                guard hasTable else {
                    throw GalleryError.schemaMismatch(index: name, reason: "no FaceKit index in schema \(configuration.schema); enrol into it (writable) first")
                }
            }
            let version = try await currentVersion(connection, t, logger: logger)
            let all = migrations(t, dimension: dimension)
            if version > all.count {
                throw GalleryError.schemaMismatch(index: name, reason: "schema version \(version) is newer than this FaceKit reads (\(all.count))")
            }
            if version < all.count {
                guard configuration.writable else {
                    throw GalleryError.schemaMismatch(index: name, reason: "schema version \(version) is older than this FaceKit's \(all.count); open it writable once to migrate it")
                }
                for v in version..<all.count {
                    for statement in all[v] { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    var binds = PostgresBindings()
                    binds.append(v + 1)
                    try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t.version) (version) VALUES ($1)", binds: binds), logger: logger)
                }
            }
            // The model identity: recorded by the first writer, checked by everyone.
            var found: [String: String] = [:]
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT key, value FROM \(t.meta)"), logger: logger)
            for try await (key, value) in rows.decode((String, String).self) { found[key] = value }
            if let foundModel = found["model"], let foundDimension = found["dimension"] {
                if foundModel != model || foundDimension != String(dimension) {
                    throw GalleryError.modelMismatch(file: name, expected: "\(model) (\(dimension)-d)", found: "\(foundModel) (\(foundDimension)-d)")
                }
            } else if configuration.writable {
                var binds = PostgresBindings()
                binds.append(model)
                binds.append(String(dimension))
                try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(t.meta) (key, value) VALUES ('model', $1), ('dimension', $2)
                    ON CONFLICT (key) DO NOTHING
                    """, binds: binds), logger: logger)
            } else {
                throw GalleryError.schemaMismatch(index: name, reason: "the index records no model; open it writable once")
            }
            if configuration.writable, case let .hnsw(_, m, efConstruction) = configuration.searchMode {
                // Built here when missing: on a full table this takes a while (the bench measures it).
                try await connection.query("SET LOCAL maintenance_work_mem = '1GB'", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE INDEX IF NOT EXISTS facekit_embeddings_hnsw ON \(t.embeddings)
                    USING hnsw (embedding vector_cosine_ops) WITH (m = \(m), ef_construction = \(efConstruction))
                    """), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    static func currentVersion(_ connection: PostgresConnection, _ t: Tables, logger: Logger) async throws -> Int {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(t.version)"), logger: logger)
        for try await v in rows.decode(Int.self) { return v }
        return 0
    }

    static func exists(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(query, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Drops the index's schema and everything in it (the tests' and the bench's clean-up).
    /// The index must not be used afterwards.
    public func dropSchema() async throws {
        let t = tables
        try await transaction { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(t.quotedSchema) CASCADE"), logger: logger)
        }
    }
}
