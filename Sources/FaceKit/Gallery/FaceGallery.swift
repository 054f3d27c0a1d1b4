// 1:N identification: enrolled people, searched by cosine similarity.

/// One search result.
public struct GalleryMatch: Sendable, Equatable {
    /// The enrolled person.
    public let identifier: String
    /// The best cosine similarity between the probe and the person's embeddings.
    public let similarity: Float

    /// Creates a match.
    public init(identifier: String, similarity: Float) {
        self.identifier = identifier
        self.similarity = similarity
    }
}

/// Who a probe face is, judged against a threshold.
public struct GalleryIdentification: Sendable, Equatable {
    /// The best match's identifier when its similarity clears the threshold, else nil (unknown).
    public let identity: String?
    /// The best matches, best first.
    public let matches: [GalleryMatch]
    /// The threshold used.
    public let threshold: Float

    /// Creates an identification.
    public init(identity: String?, matches: [GalleryMatch], threshold: Float) {
        self.identity = identity
        self.matches = matches
        self.threshold = threshold
    }
}

/// A gallery of enrolled people, searchable by face embedding.
///
/// An actor: safe to use from many tasks, and the in-process ``FaceIndex``. Every write
/// (enrol, rename, remove) is stored before it returns (the storage replaces the stored gallery
/// atomically); a write whose storing fails changes nothing. Search is a brute-force SIMD scan over all
/// embeddings; each person scores with their best-matching embedding, and the best `k`
/// people are selected with a bounded heap (O(people · log k), no full sort).
public actor FaceGallery: FaceIndex {
    /// The embedding model whose vectors the gallery holds.
    public nonisolated let model: String
    /// The number of values in each embedding.
    public nonisolated let dimension: Int
    private let storage: any GalleryStorage
    /// The gallery file's path, or nil for another storage.
    public nonisolated var filePath: String? { (storage as? GalleryFile)?.url.path }
    private var snapshot: GallerySnapshot
    /// All vectors, contiguous: [count × dimension].
    private var matrix: [Float] = []
    /// The person index of each vector.
    private var owners: [Int] = []
    /// The index in `snapshot.people` of each identifier.
    private var positions: [String: Int] = [:]

    /// Opens a gallery over `storage`, refusing one made with another embedding model.
    public init(storage: any GalleryStorage, model: String = FaceEmbedder.model.rawValue, dimension: Int = FaceEmbedder.dimension) throws {
        self.storage = storage
        let loaded = try storage.load()
        if !loaded.people.isEmpty && (loaded.model != model || loaded.dimension != dimension) {
            let name = (storage as? GalleryFile)?.url.path ?? "gallery"
            throw GalleryError.modelMismatch(file: name, expected: "\(model) (\(dimension)-d)", found: "\(loaded.model) (\(loaded.dimension)-d)")
        }
        snapshot = loaded.people.isEmpty ? GallerySnapshot(model: model, dimension: dimension, people: loaded.people) : loaded
        self.model = snapshot.model
        self.dimension = snapshot.dimension
        (matrix, owners, positions) = Self.index(snapshot)
    }

    /// Opens (or creates) the gallery file at `path`; `writable` takes the writer lock.
    public init(path: String, writable: Bool) throws {
        try self.init(storage: try GalleryFile(url: URL(fileURLWithPath: path), writable: writable))
    }

    private static func index(_ s: GallerySnapshot) -> ([Float], [Int], [String: Int]) {
        var m: [Float] = [], o: [Int] = [], positions: [String: Int] = [:]
        m.reserveCapacity(s.people.reduce(0) { $0 + $1.embeddings.count } * s.dimension)
        for (i, p) in s.people.enumerated() {
            for e in p.embeddings { m += e.embedding.vector; o.append(i) }
            positions[p.identifier] = i
        }
        return (m, o, positions)
    }

    /// The enrolled people in enrolment order.
    public var people: [GalleryPerson] { snapshot.people }
    /// The number of stored embeddings.
    public var embeddingCount: Int { owners.count }

    /// Adds embeddings to `identifier`, enrolling the person if new.
    ///
    /// To enrol from photos, take each photo's face with
    /// ``FaceRecognizer/face(in:choosing:source:)``: it refuses a photo with several faces
    /// unless told which to use, so a group photo never enrols a stranger.
    public func enroll(_ identifier: String, embeddings: [FaceEmbedding], metadata: [[String: String]]? = nil,
                       personMetadata: [String: String] = [:]) throws {
        let id = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !id.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
        guard !embeddings.isEmpty else { throw GalleryError.invalidArgument("enrolling \(id) needs at least one embedding") }
        for e in embeddings where e.vector.count != snapshot.dimension || !e.vector.allSatisfy(\.isFinite) {
            throw GalleryError.invalidArgument("an embedding has \(e.vector.count) values (or non-finite ones); the gallery stores \(snapshot.dimension)")
        }
        let items = embeddings.enumerated().map { GalleryEmbedding(embedding: $1, metadata: metadata?[safe: $0] ?? [:]) }
        var next = snapshot
        let owner: Int
        if let i = positions[id] {
            next.people[i].embeddings += items
            next.people[i].metadata.merge(personMetadata) { _, new in new }
            owner = i
        } else {
            next.people.append(GalleryPerson(identifier: id, metadata: personMetadata, embeddings: items))
            owner = next.people.count - 1
        }
        try storage.save(next)   // stored first: a failed save leaves the gallery as it was
        snapshot = next
        positions[id] = owner
        for e in embeddings { matrix += e.vector; owners.append(owner) }
    }

    /// Removes a person and their embeddings.
    public func remove(_ identifier: String) throws {
        guard let i = positions[identifier] else { throw GalleryError.unknownPerson(identifier) }
        var next = snapshot
        next.people.remove(at: i)
        try storage.save(next)
        snapshot = next
        (matrix, owners, positions) = Self.index(snapshot)
    }

    /// Renames a person.
    public func rename(_ identifier: String, to newIdentifier: String) throws {
        let new = newIdentifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !new.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
        guard let i = positions[identifier] else { throw GalleryError.unknownPerson(identifier) }
        guard new == identifier || positions[new] == nil else { throw GalleryError.duplicatePerson(new) }
        var next = snapshot
        next.people[i].identifier = new
        try storage.save(next)
        snapshot = next
        positions[identifier] = nil
        positions[new] = i
    }

    /// Stores the gallery again (atomic replacement). Writes are stored as they happen, so this
    /// is needed only to rewrite the storage, for example after it was replaced behind the
    /// gallery's back.
    public func save() throws { try storage.save(snapshot) }

    /// The enrolled people with their embedding counts, in enrolment order.
    public func enrolledPeople() -> [IndexedPerson] {
        snapshot.people.map { IndexedPerson(identifier: $0.identifier, embeddingCount: $0.embeddings.count, metadata: $0.metadata) }
    }

    /// The stored embeddings of `identifier`, in enrolment order.
    public func embeddings(of identifier: String) throws -> [GalleryEmbedding] {
        guard let i = positions[identifier] else { throw GalleryError.unknownPerson(identifier) }
        return snapshot.people[i].embeddings
    }

    /// Releases the gallery's storage (a file gallery's writer lock is released when the gallery
    /// is deinitialised; this stores nothing, as every write is already stored).
    public func close() {}

    /// The `k` best-matching people for `probe`, best first.
    public func search(_ probe: FaceEmbedding, top k: Int = 5) throws -> [GalleryMatch] {
        guard probe.vector.count == snapshot.dimension else {
            throw GalleryError.invalidArgument("the probe has \(probe.vector.count) values, the gallery \(snapshot.dimension)")
        }
        guard k > 0, !owners.isEmpty else { return [] }
        var best = [Float](repeating: -.infinity, count: snapshot.people.count)
        let d = snapshot.dimension, kernels = KernelConfiguration.current
        matrix.withUnsafeBufferPointer { m in
            probe.vector.withUnsafeBufferPointer { p in
                for (row, owner) in owners.enumerated() {
                    let s = dot(m.baseAddress! + row * d, p.baseAddress!, d, kernels: kernels)
                    if s > best[owner] { best[owner] = s }
                }
            }
        }
        return topIndices(of: best, count: k).map { GalleryMatch(identifier: snapshot.people[$0].identifier, similarity: best[$0]) }
    }

    /// The best matches for `probe`, and its identity: the best match when its similarity is at
    /// least `threshold`, otherwise unknown.
    public func identify(_ probe: FaceEmbedding, threshold: Float = FaceMatcher.defaultThreshold, top k: Int = 1) throws -> GalleryIdentification {
        let matches = try search(probe, top: max(1, k))
        let identity = matches.first.flatMap { $0.similarity >= threshold ? $0.identifier : nil }
        return GalleryIdentification(identity: identity, matches: matches, threshold: threshold)
    }

    /// The best matches for each of many probes.
    public func search(_ probes: [FaceEmbedding], top k: Int = 5) throws -> [[GalleryMatch]] {
        try probes.map { try search($0, top: k) }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// The indices of the `k` largest scores, largest first (ties: lower index first), selected
/// with a bounded min-heap of `k` entries: O(n log k) instead of sorting all n scores.
func topIndices(of scores: [Float], count k: Int) -> [Int] {
    guard k > 0 else { return [] }
    // `a` ranks below `b`: a lower score, or an equal score at a later index.
    func below(_ a: Int, _ b: Int) -> Bool { scores[a] != scores[b] ? scores[a] < scores[b] : a > b }
    var heap: [Int] = []   // heap[0] is the lowest-ranked index kept
    heap.reserveCapacity(Swift.min(k, scores.count))
    func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && below(heap[l], heap[m]) { m = l }
            if r < heap.count && below(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
    for i in scores.indices {
        if heap.count < k {
            heap.append(i)
            var c = heap.count - 1
            while c > 0 {
                let parent = (c - 1) / 2
                guard below(heap[c], heap[parent]) else { break }
                heap.swapAt(c, parent)
                c = parent
            }
        } else if below(heap[0], i) {
            heap[0] = i
            siftDown(0)
        }
    }
    return heap.sorted { below($1, $0) }
}

import Foundation
