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
/// (enrol, rename, remove) is stored before it returns (a ``GalleryFile`` appends one
/// checksummed record to its log and flushes it; ``save()`` compacts the log into a new
/// snapshot); a write whose storing fails changes nothing. Search is exact: one probe is a
/// SIMD dot-product scan over all embeddings, split across the worker pool for large
/// galleries; many probes are one GEMM (probes × gallery) per block of the gallery. Each person
/// scores with their best-matching embedding, and the best `k` people are selected with a
/// bounded heap (O(people · log k), no full sort).
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

    /// A scratch buffer of one score per stored embedding, reused by single-probe searches.
    private var rowScores: [Float] = []

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
        // Changed in place (a copy of the snapshot would cost O(gallery) per write), stored,
        // and undone when storing fails.
        let owner: Int
        if let i = positions[id] {
            let (count, oldMetadata) = (snapshot.people[i].embeddings.count, snapshot.people[i].metadata)
            snapshot.people[i].embeddings += items
            snapshot.people[i].metadata.merge(personMetadata) { _, new in new }
            do { try storage.record(.enroll(identifier: id, embeddings: items, personMetadata: personMetadata), in: snapshot) } catch {
                snapshot.people[i].embeddings.removeSubrange(count...)
                snapshot.people[i].metadata = oldMetadata
                throw error
            }
            owner = i
        } else {
            snapshot.people.append(GalleryPerson(identifier: id, metadata: personMetadata, embeddings: items))
            do { try storage.record(.enroll(identifier: id, embeddings: items, personMetadata: personMetadata), in: snapshot) } catch {
                snapshot.people.removeLast()
                throw error
            }
            owner = snapshot.people.count - 1
        }
        positions[id] = owner
        for e in embeddings { matrix += e.vector; owners.append(owner) }
    }

    /// Removes a person and their embeddings.
    public func remove(_ identifier: String) throws {
        guard let i = positions[identifier] else { throw GalleryError.unknownPerson(identifier) }
        let person = snapshot.people.remove(at: i)
        do { try storage.record(.remove(identifier: identifier), in: snapshot) } catch {
            snapshot.people.insert(person, at: i)
            throw error
        }
        (matrix, owners, positions) = Self.index(snapshot)
    }

    /// Renames a person.
    public func rename(_ identifier: String, to newIdentifier: String) throws {
        let new = newIdentifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !new.isEmpty else { throw GalleryError.invalidArgument("a person needs a non-empty identifier") }
        guard let i = positions[identifier] else { throw GalleryError.unknownPerson(identifier) }
        guard new == identifier || positions[new] == nil else { throw GalleryError.duplicatePerson(new) }
        snapshot.people[i].identifier = new
        do { try storage.record(.rename(identifier: identifier, to: new), in: snapshot) } catch {
            snapshot.people[i].identifier = identifier
            throw error
        }
        positions[identifier] = nil
        positions[new] = i
    }

    /// Stores the whole gallery again, atomically: a ``GalleryFile`` compacts its log into a
    /// new snapshot. Writes are stored as they happen, so this is never needed for durability;
    /// it makes the next open faster (nothing to replay) and rewrites a storage replaced behind
    /// the gallery's back.
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

    /// Releases the gallery's storage: a file gallery's file and writer lock (also released
    /// when the gallery is deinitialised). It stores nothing, as every write is already stored;
    /// writes after it fail.
    public func close() { storage.close() }

    /// The `k` best-matching people for `probe`, best first.
    public func search(_ probe: FaceEmbedding, top k: Int = 5) throws -> [GalleryMatch] {
        guard probe.vector.count == snapshot.dimension else {
            throw GalleryError.invalidArgument("the probe has \(probe.vector.count) values, the gallery \(snapshot.dimension)")
        }
        guard k > 0, !owners.isEmpty else { return [] }
        let d = snapshot.dimension, kernels = KernelConfiguration.current, rows = owners.count
        if rowScores.count < rows { rowScores = [Float](repeating: 0, count: rows) }
        // Every row's score, split across the worker pool in pieces of at least 4,096 rows
        // (~4 MB of embeddings; smaller galleries stay on this thread).
        matrix.withUnsafeBufferPointer { m in
            probe.vector.withUnsafeBufferPointer { p in
                rowScores.withUnsafeMutableBufferPointer { out in
                    let (m, p, out) = (m.baseAddress!, p.baseAddress!, out.baseAddress!)
                    parallelFor(rows, threads: .automatic, minimumPerThread: 4_096, tasksPerThread: 4) { start, end in
                        for row in start..<end { out[row] = dot(m + row * d, p, d, kernels: kernels) }
                    }
                }
            }
        }
        var best = [Float](repeating: -.infinity, count: snapshot.people.count)
        for (row, owner) in owners.enumerated() where rowScores[row] > best[owner] { best[owner] = rowScores[row] }
        return topIndices(of: best, count: k).map { GalleryMatch(identifier: snapshot.people[$0].identifier, similarity: best[$0]) }
    }

    // `identify(_:threshold:top:)` is ``FaceIndex``'s shared extension: one threshold decision
    // for every back end.

    /// The best matches for each of many probes.
    ///
    /// Four probes or more are scored together by the GEMM kernel (probes × gallery, one block
    /// of gallery rows at a time), which reads the gallery once per group of probes instead of
    /// once per probe. Scores equal the single-probe search's up to float rounding.
    public func search(_ probes: [FaceEmbedding], top k: Int = 5) throws -> [[GalleryMatch]] {
        for p in probes where p.vector.count != snapshot.dimension {
            throw GalleryError.invalidArgument("a probe has \(p.vector.count) values, the gallery \(snapshot.dimension)")
        }
        guard probes.count >= Self.gemmMinimumProbes, k > 0, !owners.isEmpty else { return try probes.map { try search($0, top: k) } }
        return try gemmSearch(probes, top: k)
    }

    /// Batches of at least this many probes go through the GEMM kernel.
    static let gemmMinimumProbes = 4
    /// Gallery rows per GEMM block.
    static let gemmBlockRows = 2_048

    private func gemmSearch(_ probes: [FaceEmbedding], top k: Int) throws -> [[GalleryMatch]] {
        let d = snapshot.dimension, rows = owners.count, people = snapshot.people.count
        // Probes per group: the per-person best scores of a group stay within ~16 M floats.
        let group = max(1, min(probes.count, 16_777_216 / max(1, people), 128))
        var results: [[GalleryMatch]] = []
        results.reserveCapacity(probes.count)
        var best = [Float](repeating: -.infinity, count: group * people)
        let blockRows = min(Self.gemmBlockRows, rows)
        for first in stride(from: 0, to: probes.count, by: group) {
            let members = Array(probes[first..<min(probes.count, first + group)])
            let g = members.count
            // Weights [d, g]: column j is probe j.
            var weights = [Float](repeating: 0, count: d * g)
            for (j, p) in members.enumerated() { for i in 0..<d { weights[i * g + j] = p.vector[i] } }
            let packed = try wrapTensorErrors { try PackedPointwiseWeights(weights: weights, bias: nil, inputChannels: d, outputChannels: g) }
            for i in 0..<(g * people) { best[i] = -.infinity }
            var input = Tensor(shape: TensorShape(1, 1, blockRows, d)), output = Tensor(shape: TensorShape(1, 1, blockRows, g))
            var start = 0
            while start < rows {
                let n = min(blockRows, rows - start)
                if n != input.shape.width {
                    input = Tensor(shape: TensorShape(1, 1, n, d)); output = Tensor(shape: TensorShape(1, 1, n, g))
                }
                matrix.withUnsafeBufferPointer { m in input.data.update(from: m.baseAddress! + start * d, count: n * d) }
                try wrapTensorErrors { try PointwiseConv.run(input: input, weights: packed, output: output, threads: .automatic) }
                let scores = output.data
                best.withUnsafeMutableBufferPointer { b in
                    for r in 0..<n {
                        let owner = owners[start + r]
                        for j in 0..<g where scores[r * g + j] > b[j * people + owner] { b[j * people + owner] = scores[r * g + j] }
                    }
                }
                start += n
            }
            for j in 0..<g {
                let scores = Array(best[(j * people)..<((j + 1) * people)])
                results.append(topIndices(of: scores, count: k).map { GalleryMatch(identifier: snapshot.people[$0].identifier, similarity: scores[$0]) })
            }
        }
        return results
    }

    private func wrapTensorErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as GalleryError { throw error } catch {
            throw GalleryError.invalidArgument("batch search failed: \(error)")
        }
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

import FaceKitTensor
import Foundation
