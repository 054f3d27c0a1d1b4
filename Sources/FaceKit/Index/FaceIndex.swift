// The face index: enrolled people and their embeddings, searchable by cosine similarity,
// behind one async protocol that every back end implements (the in-process FaceGallery here,
// PostgreSQL + pgvector in the FaceKitPostgres product).

/// One enrolled person as an index lists them: the identifier, how many embeddings are stored,
/// and the person's metadata.
public struct IndexedPerson: Sendable, Equatable, Hashable, Codable {
    /// The person's identifier (unique in the index).
    public var identifier: String
    /// How many embeddings the index stores for this person.
    public var embeddingCount: Int
    /// Free-form metadata about the person.
    public var metadata: [String: String]

    /// Creates a listing entry.
    public init(identifier: String, embeddingCount: Int, metadata: [String: String] = [:]) {
        self.identifier = identifier
        self.embeddingCount = embeddingCount
        self.metadata = metadata
    }
}

/// A store of enrolled people that finds who a face embedding belongs to.
///
/// Every back end keeps the same contract, checked by one shared test suite:
/// - An index holds embeddings of one model (``model``) and dimension (``dimension``); it refuses
///   an embedding of another dimension, and opening an index made with another model fails with
///   ``GalleryError/modelMismatch(file:expected:found:)``.
/// - A write (``enroll(_:embeddings:metadata:personMetadata:)``, ``rename(_:to:)``,
///   ``remove(_:)``) is stored when it returns: another process that opens the same index
///   afterwards sees it. A write that throws changes nothing.
/// - ``search(_:top:)`` scores each person by the best cosine similarity between the probe and
///   any of their embeddings, and returns the best `k` people, best first; ties are broken by
///   enrolment order (the earlier person first), so results are deterministic. An exact back end returns the true top `k`;
///   an approximate one (an HNSW index) says so in its documentation.
/// - Errors are ``GalleryError`` values: an unknown person, a duplicate name, an invalid
///   argument, a model mismatch, an index that cannot be reached or has the wrong schema.
public protocol FaceIndex: Sendable {
    /// The embedding model whose vectors the index holds (``FaceEmbedder/model``'s raw value).
    var model: String { get }
    /// The number of values in each stored embedding.
    var dimension: Int { get }

    /// Adds embeddings to `identifier`, enrolling the person if new.
    ///
    /// - Parameters:
    ///   - identifier: the person; leading and trailing white space is removed, and an empty
    ///     identifier is refused.
    ///   - embeddings: at least one, each with ``dimension`` finite values.
    ///   - metadata: per-embedding metadata (same order as `embeddings`), or nil.
    ///   - personMetadata: merged into the person's metadata (new values win).
    func enroll(_ identifier: String, embeddings: [FaceEmbedding], metadata: [[String: String]]?,
                personMetadata: [String: String]) async throws

    /// The enrolled people, in enrolment order.
    func enrolledPeople() async throws -> [IndexedPerson]

    /// The stored embeddings of one person, in enrolment order.
    func embeddings(of identifier: String) async throws -> [GalleryEmbedding]

    /// Renames a person; the new identifier must not be taken.
    func rename(_ identifier: String, to newIdentifier: String) async throws

    /// Removes a person and all their embeddings.
    func remove(_ identifier: String) async throws

    /// The `k` best-matching people for `probe`, best first.
    func search(_ probe: FaceEmbedding, top k: Int) async throws -> [GalleryMatch]

    /// The `k` best-matching people for each probe, in the probes' order.
    func search(_ probes: [FaceEmbedding], top k: Int) async throws -> [[GalleryMatch]]

    /// Releases the index's resources (files, locks, connections). Calls after it may fail.
    func close() async throws
}

extension FaceIndex {
    /// Adds embeddings to `identifier` without metadata.
    public func enroll(_ identifier: String, embeddings: [FaceEmbedding]) async throws {
        try await enroll(identifier, embeddings: embeddings, metadata: nil, personMetadata: [:])
    }

    /// The best matches for `probe` and its identity: the best match when its similarity is at
    /// least `threshold`, otherwise unknown (nil).
    public func identify(_ probe: FaceEmbedding, threshold: Float = FaceMatcher.defaultThreshold,
                         top k: Int = 1) async throws -> GalleryIdentification {
        let matches = try await search(probe, top: max(1, k))
        let identity = matches.first.flatMap { $0.similarity >= threshold ? $0.identifier : nil }
        return GalleryIdentification(identity: identity, matches: matches, threshold: threshold)
    }
}
