// Where a gallery lives. `FaceGallery` talks only to this protocol, so a database-backed
// store can replace the file without touching callers.

/// One enrolled person.
public struct GalleryPerson: Sendable, Equatable, Codable {
    /// The identifier the person was enrolled under (unique in the gallery).
    public var identifier: String
    /// Free-form metadata (for example the enrolment date).
    public var metadata: [String: String]
    /// The person's embeddings, each with optional metadata (for example the source image).
    public var embeddings: [GalleryEmbedding]

    /// Creates a person record.
    public init(identifier: String, metadata: [String: String] = [:], embeddings: [GalleryEmbedding] = []) {
        self.identifier = identifier; self.metadata = metadata; self.embeddings = embeddings
    }
}

/// One stored embedding.
public struct GalleryEmbedding: Sendable, Equatable, Codable {
    /// The embedding.
    public var embedding: FaceEmbedding
    /// Free-form metadata (for example `source`: the image it came from).
    public var metadata: [String: String]

    /// Creates a stored embedding.
    public init(embedding: FaceEmbedding, metadata: [String: String] = [:]) {
        self.embedding = embedding; self.metadata = metadata
    }
}

/// The whole content of a gallery.
public struct GallerySnapshot: Sendable, Equatable {
    /// The embedding model all vectors come from.
    public var model: String
    /// The embedding dimension.
    public var dimension: Int
    /// The enrolled people, in enrolment order.
    public var people: [GalleryPerson]

    /// Creates a snapshot; by default an empty one for ``FaceEmbedder/model`` and ``FaceEmbedder/dimension``.
    public init(model: String = FaceEmbedder.model.rawValue, dimension: Int = FaceEmbedder.dimension, people: [GalleryPerson] = []) {
        self.model = model; self.dimension = dimension; self.people = people
    }
}

/// One write to a gallery, as a storage records it.
public enum GalleryChange: Sendable, Equatable {
    /// Embeddings added to a person (enrolled if new), and metadata merged into theirs.
    case enroll(identifier: String, embeddings: [GalleryEmbedding], personMetadata: [String: String])
    /// A person renamed.
    case rename(identifier: String, to: String)
    /// A person removed with their embeddings.
    case remove(identifier: String)
}

/// A backend that loads galleries and stores their writes.
public protocol GalleryStorage: Sendable {
    /// The stored gallery, or an empty one when none exists yet.
    func load() throws -> GallerySnapshot
    /// Replaces the stored gallery atomically.
    func save(_ snapshot: GallerySnapshot) throws
    /// Stores one write durably before returning; `snapshot` is the gallery with the write
    /// applied. A storage that throws must be left as it was. The default saves `snapshot` whole.
    func record(_ change: GalleryChange, in snapshot: GallerySnapshot) throws
    /// Releases the storage's resources (locks, files). The default does nothing.
    func close()
}

extension GalleryStorage {
    /// Saves `snapshot` whole.
    public func record(_ change: GalleryChange, in snapshot: GallerySnapshot) throws { try save(snapshot) }
    /// Does nothing.
    public func close() {}
}

/// A gallery held only in memory (for tests and ephemeral use).
public final class InMemoryGalleryStorage: GalleryStorage, @unchecked Sendable {
    private var snapshot: GallerySnapshot
    private let lock = NSLock()
    /// A storage holding `snapshot` (by default an empty gallery).
    public init(_ snapshot: GallerySnapshot = GallerySnapshot()) { self.snapshot = snapshot }
    /// The held gallery.
    public func load() throws -> GallerySnapshot { lock.withLock { snapshot } }
    /// Replaces the held gallery.
    public func save(_ snapshot: GallerySnapshot) throws { lock.withLock { self.snapshot = snapshot } }
}

import Foundation

/// Errors of galleries.
public enum GalleryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a FaceKit gallery or is damaged.
    case corrupt(file: String, reason: String)
    /// The file was written by a newer FaceKit.
    case unsupportedVersion(file: String, version: Int)
    /// The gallery holds embeddings of another model or dimension.
    case modelMismatch(file: String, expected: String, found: String)
    /// Another process holds the gallery open for writing.
    case locked(file: String)
    /// No person with this identifier.
    case unknownPerson(String)
    /// A person with this identifier already exists.
    case duplicatePerson(String)
    /// An argument is invalid (empty identifier, wrong dimension…).
    case invalidArgument(String)
    /// Reading or writing failed.
    case io(file: String, reason: String)
    /// The index's server cannot be reached (down, refused, timed out, authentication failed).
    case unavailable(index: String, reason: String)
    /// The index's stored schema is not one this FaceKit reads (too new, or not a FaceKit index).
    case schemaMismatch(index: String, reason: String)

    public var description: String {
        switch self {
        case let .corrupt(f, r): return "\(f): not a valid FaceKit gallery (\(r)); restore it from a backup or delete it"
        case let .unsupportedVersion(f, v): return "\(f): gallery format version \(v) is newer than this FaceKit reads (1)"
        case let .modelMismatch(f, e, found): return "\(f): the gallery holds \(found) embeddings, this pipeline makes \(e); they cannot be mixed"
        case let .locked(f): return "\(f): another process is writing this gallery (lock \(f).lock held); try again when it has finished"
        case let .unknownPerson(p): return "no person '\(p)' in the gallery"
        case let .duplicatePerson(p): return "a person '\(p)' is already in the gallery"
        case let .invalidArgument(m): return m
        case let .io(f, r): return "\(f): \(r)"
        case let .unavailable(i, r): return "\(i): the index cannot be reached (\(r)); check that the server runs and the address is right"
        case let .schemaMismatch(i, r): return "\(i): not a FaceKit index this version reads (\(r))"
        }
    }
}
