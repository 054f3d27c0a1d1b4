// The gallery file, format 2: a checksummed snapshot followed by an append-only log of the
// writes made since (all integers little-endian).
//
// The snapshot (a format-1 file is a snapshot alone, and this FaceKit still reads it):
//
//   offset  size   field
//        0     8   magic "FKGALLRY"
//        8     4   format version (2; 1 = a snapshot with no log after it)
//       12     4   embedding dimension D
//       16     4   number of embeddings N in the snapshot
//       20    32   model identifier, UTF-8, zero-padded
//       52     8   byte length J of the JSON index
//       60    32   SHA-256 of the snapshot body: offsets 92 ..< 92+J+4·D·N
//       92     J   JSON index: [{"identifier", "metadata", "embeddings": [{"metadata", "norm"}]}]
//     92+J  4·D·N  the embeddings (L2-normalised float32), people and their embeddings in index order
//
// The log (format 2), from 92+J+4·D·N to the end of the file: zero or more records, one per
// enrol, rename or remove, each appended with one write and flushed to disk (fsync) before the
// write returns:
//
//   offset  size   field
//        0     4   record magic "FKLR"
//        4     4   payload length L
//        8    32   SHA-256 of the payload
//       40     L   payload: 4-byte length C of the JSON change, the change, then the 4·D·n
//                  float32 values of the n embeddings an enrolment adds (none for the others)
//
// A change is {"op": "enroll", "identifier", "personMetadata", "embeddings": [{"metadata", "norm"}]},
// {"op": "rename", "identifier", "to"} or {"op": "remove", "identifier"}. Opening replays the
// records in order over the snapshot. A record that fails its check and runs to the end of the
// file (a writer killed in mid-append; or zeros to the end, after a power loss) is a torn tail:
// readers ignore it and the next writer cuts it off when it opens the gallery. A record that
// fails its check with more bytes after it, or whose change does not apply, is damage:
// ``GalleryError/corrupt(file:reason:)``.
//
// Compaction writes the whole gallery as a new snapshot with an empty log to a temporary file,
// flushes it and renames it over the gallery, so a crash leaves the old or the new file, never
// a torn one. It runs on `save()` and when the log grows past `compactionRatio` times the
// snapshot (and at least `minimumLogBytes`), so appends stay amortised O(1). A reader reads the
// file once: it sees one inode, either the old snapshot with a prefix of its log or the new
// snapshot, always a state some write returned in (or the one in flight).
//
// A writer holds an exclusive flock on "<file>.lock" while the gallery is open for writing; a
// second writer fails with `.locked`. Under that lock the temporary file has one fixed name,
// ".<file>.partial", so a writer killed in mid-compaction leaves at most that one file; the
// next writer removes it when it opens the gallery (with any ".<file>.<UUID>.partial" an older
// FaceKit left) and every compaction replaces it.
import FaceKitSupport
import Foundation

/// A gallery stored in one file: a snapshot and an append-only log (see the format above).
public final class GalleryFile: GalleryStorage, @unchecked Sendable {
    /// The first 8 bytes of every gallery file: `FKGALLRY`.
    public static let magic = Array("FKGALLRY".utf8)
    /// The format version this FaceKit writes (it also reads version 1).
    public static let version: UInt32 = 2
    static let headerSize = 92
    static let recordMagic = Array("FKLR".utf8)
    static let recordHeaderSize = 40

    /// What the last ``load()`` found in the file.
    public struct Layout: Sendable, Equatable {
        /// The format version of the file (0 when there was no file).
        public var version: Int
        /// The bytes of the snapshot (header, index and embeddings).
        public var snapshotBytes: Int
        /// The log records replayed over the snapshot.
        public var logRecords: Int
        /// The bytes of those records.
        public var logBytes: Int
        /// The bytes of a torn last record that were ignored (a writer cuts them off).
        public var tornBytes: Int
    }

    /// The gallery file.
    public let url: URL
    /// The log is compacted into a new snapshot when it is larger than both this many bytes and
    /// ``compactionRatio`` times the snapshot.
    public let minimumLogBytes: Int
    /// The size of the log, relative to the snapshot, past which it is compacted.
    public let compactionRatio: Double
    private var writerLock: ExclusiveFileLock?
    private let writable: Bool
    private let lock = NSLock()
    // Writer state, under `lock`: the file being appended to and its sizes.
    private var descriptor: Int32 = -1
    private var snapshotBytes = 0
    private var fileBytes = 0
    private var lastLayout: Layout?

    /// Opens the gallery at `url`; with `writable`, takes the cross-process writer lock
    /// (throws ``GalleryError/locked(file:)`` when another process holds it).
    ///
    /// - Parameters:
    ///   - minimumLogBytes: the log is never compacted automatically below this size (1 MiB).
    ///   - compactionRatio: the log is compacted when it passes this fraction of the snapshot (0.5).
    public init(url: URL, writable: Bool, minimumLogBytes: Int = 1 << 20, compactionRatio: Double = 0.5) throws {
        self.url = url
        self.writable = writable
        self.minimumLogBytes = max(0, minimumLogBytes)
        self.compactionRatio = max(0, compactionRatio)
        if writable {
            do { writerLock = try ExclusiveFileLock(path: url.path + ".lock") } catch {
                switch error {
                case .held: throw GalleryError.locked(file: url.path)
                case let .unavailable(failure): throw GalleryError.io(file: failure.path, reason: failure.reason)
                }
            }
            Self.removeLeftovers(of: url)
        } else {
            writerLock = nil
        }
    }

    deinit { if descriptor >= 0 { _ = closeFile(descriptor) } }

    /// What the last ``load()`` found: versions, snapshot and log sizes, a torn tail.
    public var layout: Layout? { lock.withLock { lastLayout } }

    /// Reads the file, checks it and replays its log; an empty gallery when it does not exist yet.
    /// A writer also cuts off a torn last record.
    ///
    /// - Throws: ``GalleryError`` when the file is unreadable, damaged or of a newer format.
    public func load() throws -> GallerySnapshot {
        try lock.withLock {
            guard FileManager.default.fileExists(atPath: url.path) else {
                closeDescriptor()
                lastLayout = Layout(version: 0, snapshotBytes: 0, logRecords: 0, logBytes: 0, tornBytes: 0)
                return GallerySnapshot()
            }
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw GalleryError.io(file: url.path, reason: error.localizedDescription)
            }
            let contents = try Self.decodeContents(data, name: url.path)
            lastLayout = contents.layout
            if writerLock != nil {
                closeDescriptor()
                if contents.layout.version == Int(Self.version) {
                    try openDescriptor()
                    if contents.validBytes < data.count {   // cut off the torn tail before appending after it
                        guard ftruncate(descriptor, off_t(contents.validBytes)) == 0, fsync(descriptor) == 0 else {
                            throw GalleryError.io(file: url.path, reason: "cannot cut off a torn log record (\(Platform.errorMessage()))")
                        }
                    }
                    snapshotBytes = contents.layout.snapshotBytes
                    fileBytes = contents.validBytes
                }
            }
            return contents.snapshot
        }
    }

    /// Replaces the file atomically with `snapshot` and an empty log (compaction).
    ///
    /// - Throws: ``GalleryError`` when the gallery was opened read-only or writing fails.
    public func save(_ snapshot: GallerySnapshot) throws {
        try lock.withLock { try compact(snapshot) }
    }

    /// Appends `change` to the log and flushes it; `snapshot` (the gallery with the change) is
    /// written whole instead when the file is not yet a format-2 file, and when the log has
    /// grown past the compaction threshold (a failed compaction keeps the log, which holds the
    /// change, and is tried again at the next write).
    ///
    /// - Throws: ``GalleryError`` when the gallery was opened read-only or writing fails; the
    ///   file is then as it was.
    public func record(_ change: GalleryChange, in snapshot: GallerySnapshot) throws {
        try lock.withLock {
            guard writerLock != nil else { throw readOnly() }
            guard descriptor >= 0 else { return try compact(snapshot) }
            let bytes = try Self.encodeRecord(change, dimension: snapshot.dimension)
            var failure: String?
            bytes.withUnsafeBytes { raw in
                var written = 0
                while written < raw.count {
                    let n = pwrite(descriptor, raw.baseAddress! + written, raw.count - written, off_t(fileBytes + written))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { failure = n < 0 ? Platform.errorMessage() : "the disk accepted no more bytes"; return }
                    written += n
                }
            }
            if failure == nil && fsync(descriptor) != 0 { failure = Platform.errorMessage() }
            if let failure {
                _ = ftruncate(descriptor, off_t(fileBytes))   // take back a partial record
                throw GalleryError.io(file: url.path, reason: "cannot append to the gallery (\(failure))")
            }
            fileBytes += bytes.count
            let log = fileBytes - snapshotBytes
            if log > minimumLogBytes && Double(log) > compactionRatio * Double(snapshotBytes) {
                try? compact(snapshot)
            }
        }
    }

    /// Releases the writer lock and the file; later writes fail. Idempotent.
    public func close() {
        lock.withLock {
            closeDescriptor()
            writerLock?.unlock()
            writerLock = nil
        }
    }

    private func readOnly() -> GalleryError {
        .invalidArgument("\(url.path): the gallery was opened read-only" + (writable ? " (or was closed)" : ""))
    }

    /// Writes `snapshot` whole (under `lock`) and appends after it from now on.
    private func compact(_ snapshot: GallerySnapshot) throws {
        guard writerLock != nil else { throw readOnly() }
        let data = try Self.encode(snapshot)
        try Self.writeAtomically(data, to: url, temporary: Self.temporaryURL(of: url))
        closeDescriptor()
        try openDescriptor()
        snapshotBytes = data.count
        fileBytes = data.count
    }

    private func openDescriptor() throws {
        let fd = open(url.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GalleryError.io(file: url.path, reason: "cannot open the gallery for appending (\(Platform.errorMessage()))") }
        descriptor = fd
    }

    private func closeDescriptor() {
        if descriptor >= 0 { _ = closeFile(descriptor); descriptor = -1 }
    }

    /// The temporary file a writer saves through: ".<file>.partial" beside the gallery.
    static func temporaryURL(of url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
    }

    /// Removes the temporary files a killed writer left beside `url` (called with the writer
    /// lock held, so no other writer is using them). Best effort: a file that cannot be removed
    /// is left, and the next save overwrites the fixed-name one anyway.
    static func removeLeftovers(of url: URL) {
        let directory = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    // MARK: Encoding

    struct IndexEntry: Codable {
        struct Item: Codable { var metadata: [String: String]; var norm: Float }
        var identifier: String
        var metadata: [String: String]
        var embeddings: [Item]
    }

    struct LogEntry: Codable {
        var op: String
        var identifier: String
        var to: String?
        var personMetadata: [String: String]?
        var embeddings: [IndexEntry.Item]?
    }

    /// The bytes of a gallery file holding `s` as a snapshot with an empty log (the format
    /// described at the top of this file).
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` when an embedding's length differs from the dimension.
    public static func encode(_ s: GallerySnapshot) throws -> Data {
        let index = s.people.map { p in
            IndexEntry(identifier: p.identifier, metadata: p.metadata, embeddings: p.embeddings.map { .init(metadata: $0.metadata, norm: $0.embedding.norm) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(index)
        let count = s.people.reduce(0) { $0 + $1.embeddings.count }
        var payload = Data(capacity: json.count + 4 * s.dimension * count)
        payload.append(json)
        for p in s.people {
            for e in p.embeddings {
                guard e.embedding.vector.count == s.dimension else {
                    throw GalleryError.invalidArgument("an embedding of \(p.identifier) has \(e.embedding.vector.count) values, the gallery \(s.dimension)")
                }
                e.embedding.vector.withUnsafeBytes { payload.append(contentsOf: $0) }
            }
        }
        var out = Data(capacity: headerSize + payload.count)
        out.append(contentsOf: magic)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(version); u32(UInt32(s.dimension)); u32(UInt32(count))
        var model = Array(s.model.utf8.prefix(32))
        model += [UInt8](repeating: 0, count: 32 - model.count)
        out.append(contentsOf: model)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Digest.sha256Bytes(payload))
        out.append(payload)
        return out
    }

    /// The bytes of one log record holding `change` (the format described at the top of this file).
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` when an embedding's length differs from `dimension`.
    public static func encodeRecord(_ change: GalleryChange, dimension: Int) throws -> Data {
        let entry: LogEntry
        var vectors: [[Float]] = []
        switch change {
        case let .enroll(identifier, embeddings, personMetadata):
            for e in embeddings where e.embedding.vector.count != dimension {
                throw GalleryError.invalidArgument("an embedding of \(identifier) has \(e.embedding.vector.count) values, the gallery \(dimension)")
            }
            entry = LogEntry(op: "enroll", identifier: identifier, personMetadata: personMetadata,
                             embeddings: embeddings.map { .init(metadata: $0.metadata, norm: $0.embedding.norm) })
            vectors = embeddings.map(\.embedding.vector)
        case let .rename(identifier, to):
            entry = LogEntry(op: "rename", identifier: identifier, to: to)
        case let .remove(identifier):
            entry = LogEntry(op: "remove", identifier: identifier)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(entry)
        var payload = Data(capacity: 4 + json.count + 4 * dimension * vectors.count)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { payload.append(contentsOf: $0) }
        payload.append(json)
        for v in vectors { v.withUnsafeBytes { payload.append(contentsOf: $0) } }
        var out = Data(capacity: recordHeaderSize + payload.count)
        out.append(contentsOf: recordMagic)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Digest.sha256Bytes(payload))
        out.append(payload)
        return out
    }

    /// The gallery held in `data` (snapshot and log replayed); `name` names the file in errors.
    ///
    /// - Throws: ``GalleryError/corrupt(file:reason:)`` or ``GalleryError/unsupportedVersion(file:version:)``.
    public static func decode(_ data: Data, name: String) throws -> GallerySnapshot {
        try decodeContents(data, name: name).snapshot
    }

    struct Contents {
        var snapshot: GallerySnapshot
        var layout: Layout
        /// The bytes up to the end of the last good record.
        var validBytes: Int
    }

    static func decodeContents(_ data: Data, name: String) throws -> Contents {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Contents in
            func fail(_ r: String) -> GalleryError { .corrupt(file: name, reason: r) }
            let size = raw.count
            guard size >= headerSize else { throw fail("\(size) bytes is shorter than the \(headerSize)-byte header") }
            guard Array(raw[0..<8]) == magic else { throw fail("wrong magic number") }
            func u32(_ o: Int) -> Int { Int(UInt32(raw[o]) | UInt32(raw[o + 1]) << 8 | UInt32(raw[o + 2]) << 16 | UInt32(raw[o + 3]) << 24) }
            let version = u32(8)
            guard version == 1 || version == Int(Self.version) else { throw GalleryError.unsupportedVersion(file: name, version: version) }
            let dimension = u32(12), count = u32(16)
            let model = String(decoding: raw[20..<52].prefix { $0 != 0 }, as: UTF8.self)
            var jsonLength: UInt64 = 0
            for i in 0..<8 { jsonLength |= UInt64(raw[52 + i]) << (8 * UInt64(i)) }
            guard dimension > 0, dimension <= 4096, jsonLength <= UInt64(size) else {
                throw fail("sizes in the header do not match the file (\(size) bytes)")
            }
            let end = headerSize + Int(jsonLength) + 4 * dimension * count
            guard version == 1 ? end == size : end <= size else {
                throw fail("sizes in the header do not match the file (\(size) bytes)")
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[headerSize..<end])
            guard Digest.sha256Bytes(body) == Array(raw[60..<92]) else { throw fail("checksum mismatch: the file is damaged") }
            let index: [IndexEntry]
            do { index = try JSONDecoder().decode([IndexEntry].self, from: Data(body.prefix(Int(jsonLength)))) } catch {
                throw fail("unreadable index")
            }
            guard index.reduce(0, { $0 + $1.embeddings.count }) == count else { throw fail("the index lists a different number of embeddings") }
            var offset = headerSize + Int(jsonLength)
            var people: [GalleryPerson] = []
            people.reserveCapacity(index.count)
            for entry in index {
                var person = GalleryPerson(identifier: entry.identifier, metadata: entry.metadata)
                person.embeddings.reserveCapacity(entry.embeddings.count)
                for item in entry.embeddings {
                    let vector = readVector(raw, at: offset, dimension)
                    guard vector.allSatisfy(\.isFinite) else { throw fail("non-finite embedding values for \(entry.identifier)") }
                    person.embeddings.append(GalleryEmbedding(embedding: FaceEmbedding(normalized: vector, norm: item.norm), metadata: item.metadata))
                    offset += 4 * dimension
                }
                people.append(person)
            }
            var replay = GalleryReplay(GallerySnapshot(model: model, dimension: dimension, people: people))
            // The log: records until the end of the file or a torn tail.
            var position = end, records = 0, torn = 0
            while position < size {
                let left = size - position
                let framed = left >= recordHeaderSize
                let length = framed ? u32(position + 4) : 0
                let fits = framed && length <= left - recordHeaderSize
                let good = fits && Array(raw[position..<position + 4]) == recordMagic
                    && Digest.sha256Bytes(UnsafeRawBufferPointer(rebasing: raw[(position + recordHeaderSize)..<(position + recordHeaderSize + length)]))
                        == Array(raw[(position + 8)..<(position + recordHeaderSize)])
                if !good {
                    // Torn: the record runs to (or past) the end of the file, or only zeros follow.
                    if !fits || position + recordHeaderSize + length == size || raw[position...].allSatisfy({ $0 == 0 }) {
                        torn = left
                        break
                    }
                    throw fail("log record \(records + 1) at byte \(position) is damaged and more records follow")
                }
                let payload = UnsafeRawBufferPointer(rebasing: raw[(position + recordHeaderSize)..<(position + recordHeaderSize + length)])
                do { try replay.apply(payload, dimension: dimension) } catch let reason as ReplayFailure {
                    throw fail("log record \(records + 1) at byte \(position): \(reason.message)")
                }
                position += recordHeaderSize + length
                records += 1
            }
            let layout = Layout(version: version, snapshotBytes: end, logRecords: records, logBytes: position - end, tornBytes: torn)
            return Contents(snapshot: replay.snapshot, layout: layout, validBytes: position)
        }
    }

    static func readVector(_ raw: UnsafeRawBufferPointer, at offset: Int, _ dimension: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
            for i in 0..<dimension {
                buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
            }
            initialized = dimension
        }
    }

    static func writeAtomically(_ data: Data, to url: URL, temporary: URL? = nil) throws {
        do { try AtomicFile.write(data, to: url, temporary: temporary) } catch {
            throw GalleryError.io(file: error.path, reason: "cannot write the gallery (\(error.reason))")
        }
    }
}

/// `close(2)`, out of reach of `GalleryFile.close()` inside the class.
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }

struct ReplayFailure: Error { var message: String }

/// A snapshot that log records are applied to, with the identifier → position map that keeps
/// each record O(its size) (a remove rebuilds the map).
struct GalleryReplay {
    var snapshot: GallerySnapshot
    var positions: [String: Int] = [:]

    init(_ snapshot: GallerySnapshot) {
        self.snapshot = snapshot
        rebuild()
    }

    mutating func rebuild() {
        positions = Dictionary(snapshot.people.enumerated().map { ($1.identifier, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Applies one record's payload (checksum already checked).
    mutating func apply(_ payload: UnsafeRawBufferPointer, dimension: Int) throws(ReplayFailure) {
        guard payload.count >= 4 else { throw ReplayFailure(message: "a payload of \(payload.count) bytes") }
        let jsonLength = Int(payload.loadUnaligned(as: UInt32.self).littleEndian)
        guard jsonLength <= payload.count - 4 else { throw ReplayFailure(message: "the change is longer than the record") }
        let entry: GalleryFile.LogEntry
        do { entry = try JSONDecoder().decode(GalleryFile.LogEntry.self, from: Data(payload[4..<(4 + jsonLength)])) } catch {
            throw ReplayFailure(message: "unreadable change")
        }
        let vectorBytes = payload.count - 4 - jsonLength
        switch entry.op {
        case "enroll":
            let items = entry.embeddings ?? []
            guard !items.isEmpty, !entry.identifier.isEmpty, vectorBytes == 4 * dimension * items.count else {
                throw ReplayFailure(message: "an enrolment whose embeddings do not match its values")
            }
            var added: [GalleryEmbedding] = []
            added.reserveCapacity(items.count)
            for (k, item) in items.enumerated() {
                let v = GalleryFile.readVector(payload, at: 4 + jsonLength + 4 * dimension * k, dimension)
                guard v.allSatisfy(\.isFinite) else { throw ReplayFailure(message: "non-finite embedding values for \(entry.identifier)") }
                added.append(GalleryEmbedding(embedding: FaceEmbedding(normalized: v, norm: item.norm), metadata: item.metadata))
            }
            if let i = positions[entry.identifier] {
                snapshot.people[i].embeddings += added
                snapshot.people[i].metadata.merge(entry.personMetadata ?? [:]) { _, new in new }
            } else {
                snapshot.people.append(GalleryPerson(identifier: entry.identifier, metadata: entry.personMetadata ?? [:], embeddings: added))
                positions[entry.identifier] = snapshot.people.count - 1
            }
        case "rename":
            guard vectorBytes == 0, let to = entry.to, !to.isEmpty else { throw ReplayFailure(message: "a rename without a new name") }
            guard let i = positions[entry.identifier] else { throw ReplayFailure(message: "renames '\(entry.identifier)', who is not in the gallery") }
            guard to == entry.identifier || positions[to] == nil else { throw ReplayFailure(message: "renames to '\(to)', who is already in the gallery") }
            snapshot.people[i].identifier = to
            positions[entry.identifier] = nil
            positions[to] = i
        case "remove":
            guard vectorBytes == 0 else { throw ReplayFailure(message: "a remove with embedding values") }
            guard let i = positions[entry.identifier] else { throw ReplayFailure(message: "removes '\(entry.identifier)', who is not in the gallery") }
            snapshot.people.remove(at: i)
            rebuild()
        default:
            throw ReplayFailure(message: "unknown change '\(entry.op)'")
        }
    }
}
