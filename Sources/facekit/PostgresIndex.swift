// The command line's door to the PostgreSQL index: IndexOptions (--index) calls this for a
// postgres:// URL, so that enroll, identify and gallery work on either back end.
import FaceKit
import FaceKitPostgres

/// Opens the PostgreSQL + pgvector index at `url` (postgres://user@host:port/database, with
/// optional ?schema=NAME&search=exact|hnsw&ef_search=N; missing parts from PGHOST, PGPORT,
/// PGUSER, PGDATABASE); a writable open creates or migrates the schema.
func openPostgresIndex(url: String, writable: Bool) async throws -> any FaceIndex {
    try await PostgresFaceIndex.open(url: url, writable: writable)
}
