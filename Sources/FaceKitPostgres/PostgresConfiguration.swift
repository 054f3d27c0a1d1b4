// Where a PostgreSQL face index lives and how it searches: parsed from a postgres:// URL or
// from the PGHOST/PGPORT/PGUSER/PGDATABASE environment variables libpq's tools read.
import FaceKit
import Foundation

/// How a ``PostgresFaceIndex`` finds the best matches.
public enum PostgresSearchMode: Sendable, Equatable, CustomStringConvertible {
    /// A full scan: every stored embedding is compared with the probe, so the result is the
    /// true top `k` (the gallery's answer). Time grows linearly with the number of embeddings.
    case exact
    /// An approximate search through pgvector's HNSW index (`vector_cosine_ops`), created when
    /// missing. `efSearch` is the size of the candidate list each search keeps (pgvector's
    /// `hnsw.ef_search`, set with `SET LOCAL` in the search's transaction): larger is slower and
    /// finds the true neighbours more often. `m` and `efConstruction` shape the graph when this
    /// index creates it; an index that already exists keeps its own.
    ///
    /// Results may miss a true neighbour (recall below 1), and the order of people whose
    /// similarities differ by less than the index's error may differ from ``exact``. On 100,000
    /// random unit vectors (no clusters, HNSW's worst case), with probes made like a new photo of
    /// an enrolled person (cosine 0.65 to an enrolled vector), the best match was found every
    /// time at `efSearch` 1000 with the default graph and at 200 with `m` 32 and
    /// `efConstruction` 128, but recall@10 against exact search stayed at 0.78 and 0.96 at
    /// `efSearch` 1000 (`bench postgres`, `Benchmarks/postgres`); measure it on your own
    /// embeddings before relying on it.
    case hnsw(efSearch: Int = 100, m: Int = 16, efConstruction: Int = 64)

    public var description: String {
        switch self {
        case .exact: return "exact"
        case let .hnsw(ef, m, efc): return "hnsw(ef_search \(ef), m \(m), ef_construction \(efc))"
        }
    }
}

/// The connection settings and options of a ``PostgresFaceIndex``.
///
/// Make one from a URL (``init(url:)``), from the environment (``init(environment:)``), or
/// member by member. The index's tables live in ``schema`` of ``database``: several indexes
/// can share a database in different schemas.
public struct PostgresIndexConfiguration: Sendable, Equatable {
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The role to connect as.
    public var username: String
    /// The role's password, or nil for trust or peer authentication.
    public var password: String?
    /// The database that holds the index.
    public var database: String
    /// The PostgreSQL schema (namespace) of the index's tables; created when missing.
    public var schema: String
    /// Whether writes are allowed; a read-only index neither creates nor migrates its schema.
    public var writable: Bool
    /// How searches run.
    public var searchMode: PostgresSearchMode
    /// The most connections the pool opens to the server.
    public var maximumConnections: Int
    /// How long to wait for the server when connecting.
    public var connectTimeout: Duration
    /// Whether to negotiate TLS when the server offers it (the connection is plain otherwise).
    public var preferTLS: Bool

    /// Creates a configuration; the defaults are those of libpq (port 5432, database named after the user).
    public init(host: String = "127.0.0.1", port: Int = 5432, username: String, password: String? = nil,
                database: String? = nil, schema: String = "public", writable: Bool = true,
                searchMode: PostgresSearchMode = .exact, maximumConnections: Int = 8,
                connectTimeout: Duration = .seconds(10), preferTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database ?? username
        self.schema = schema
        self.writable = writable
        self.searchMode = searchMode
        self.maximumConnections = maximumConnections
        self.connectTimeout = connectTimeout
        self.preferTLS = preferTLS
    }

    /// Parses a `postgres://user[:password]@host[:port]/database[?schema=NAME&search=exact|hnsw&ef_search=N]`
    /// URL (`postgresql://` too). Missing parts come from `environment` (PGUSER, PGHOST, …) and
    /// then libpq's defaults.
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` naming what is wrong with the URL.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw GalleryError.invalidArgument("\(url) is not a postgres:// URL (postgres://user@host:port/database)")
        }
        var base = try Self(environment: environment, requireUser: false)
        if let host = parts.host, !host.isEmpty { base.host = host }
        if let port = parts.port {
            guard (1...65535).contains(port) else { throw GalleryError.invalidArgument("\(url): port \(port) is out of range") }
            base.port = port
        }
        let user = parts.user.flatMap { $0.removingPercentEncoding ?? $0 }
        if let user, !user.isEmpty { base.username = user }
        if let password = parts.password { base.password = password.removingPercentEncoding ?? password }
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        if !path.isEmpty { base.database = path.removingPercentEncoding ?? path }
        else if environment["PGDATABASE"] == nil { base.database = base.username }
        guard !base.username.isEmpty else {
            throw GalleryError.invalidArgument("\(url) names no user; write postgres://USER@host/database or set PGUSER")
        }
        var efSearch: Int?
        for item in parts.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema": base.schema = value
            case "search":
                switch value {
                case "exact": base.searchMode = .exact
                case "hnsw": if case .exact = base.searchMode { base.searchMode = .hnsw() }
                default: throw GalleryError.invalidArgument("\(url): search=\(value) is not exact or hnsw")
                }
            case "ef_search":
                guard let n = Int(value), n >= 1 else { throw GalleryError.invalidArgument("\(url): ef_search must be a positive integer") }
                efSearch = n
            case "sslmode": base.preferTLS = value != "disable"
            default: throw GalleryError.invalidArgument("\(url): unknown parameter \(item.name) (schema, search, ef_search, sslmode)")
            }
        }
        if let efSearch {
            if case let .hnsw(_, m, efc) = base.searchMode { base.searchMode = .hnsw(efSearch: efSearch, m: m, efConstruction: efc) }
            else { base.searchMode = .hnsw(efSearch: efSearch) }
        }
        try base.validate()
        self = base
    }

    /// Reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (and FACEKIT_PG_SCHEMA), with
    /// libpq's defaults for what is unset (127.0.0.1, 5432, USER, the user's name).
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` for a PGPORT that is not a port.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(environment: environment, requireUser: true)
    }

    private init(environment env: [String: String], requireUser: Bool) throws {
        var host = env["PGHOST"] ?? "127.0.0.1"
        if host.isEmpty || host.hasPrefix("/") { host = "127.0.0.1" }   // a socket folder: use loopback TCP
        var port = 5432
        if let p = env["PGPORT"], !p.isEmpty {
            guard let n = Int(p), (1...65535).contains(n) else { throw GalleryError.invalidArgument("PGPORT=\(p) is not a port number") }
            port = n
        }
        let user = env["PGUSER"] ?? env["USER"] ?? ""
        if requireUser && user.isEmpty { throw GalleryError.invalidArgument("no database user: set PGUSER or use a postgres://USER@host/database URL") }
        self.init(host: host, port: port, username: user, password: env["PGPASSWORD"],
                  database: env["PGDATABASE"] ?? (user.isEmpty ? nil : user), schema: env["FACEKIT_PG_SCHEMA"] ?? "public")
    }

    /// The index's name in messages: its URL without the password.
    public var displayName: String {
        "postgres://\(username)@\(host):\(port)/\(database)" + (schema == "public" ? "" : "?schema=\(schema)")
    }

    func validate() throws {
        guard !schema.isEmpty, schema.count <= 63, schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
              !(schema.first?.isNumber ?? true) else {
            throw GalleryError.invalidArgument("schema '\(schema)' must be 1 to 63 ASCII letters, digits or _, not starting with a digit")
        }
        guard maximumConnections >= 1 else { throw GalleryError.invalidArgument("maximumConnections must be at least 1") }
        if case let .hnsw(ef, m, efc) = searchMode {
            guard (1...1000).contains(ef) else { throw GalleryError.invalidArgument("ef_search must be 1…1000 (pgvector's range), not \(ef)") }
            guard (2...100).contains(m) else { throw GalleryError.invalidArgument("HNSW m must be 2…100, not \(m)") }
            guard (4...1000).contains(efc), efc >= 2 * m else {
                throw GalleryError.invalidArgument("HNSW ef_construction must be 4…1000 and at least 2·m, not \(efc)")
            }
        }
    }
}
