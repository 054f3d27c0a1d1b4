// The gallery file format, version 1 (all integers little-endian):
//
//   offset  size  field
//        0     8  magic "FKGALLRY"
//        8     4  format version (1)
//       12     4  embedding dimension
//       16     4  number of embeddings
//       20    32  model identifier, UTF-8, zero-padded
//       52     8  byte length J of the JSON index
//       60    32  SHA-256 of everything from offset 92 to the end
//       92     J  JSON index: [{"identifier", "metadata", "embeddings": [{"metadata", "norm"}]}]
//     92+J   4·D·N  the embeddings (L2-normalised float32), people and their embeddings in index order
//
// Writes go to a temporary file that is flushed to disk and renamed over the gallery, so a
// crash leaves the old or the new file, never a torn one. A writer holds an exclusive flock on
// "<file>.lock" while the gallery is open for writing; a second writer fails with `.locked`.
// Under that lock the temporary file has one fixed name, ".<file>.partial", so a writer killed
// in mid-save leaves at most that one file; the next writer removes it when it opens the
// gallery (with any ".<file>.<UUID>.partial" an older FaceKit left) and every save replaces it.
import FaceKitSupport
import Foundation

/// A gallery stored in one file.
public final class GalleryFile: GalleryStorage, @unchecked Sendable {
    /// The first 8 bytes of every gallery file: `FKGALLRY`.
    public static let magic = Array("FKGALLRY".utf8)
    /// The format version this FaceKit writes and reads.
    public static let version: UInt32 = 1
    static let headerSize = 92

    /// The gallery file.
    public let url: URL
    private let writerLock: ExclusiveFileLock?
    private let lock = NSLock()

    /// Opens the gallery at `url`; with `writable`, takes the cross-process writer lock
    /// (throws ``GalleryError/locked(file:)`` when another process holds it).
    public init(url: URL, writable: Bool) throws {
        self.url = url
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

    /// Reads and checks the file; an empty gallery when it does not exist yet.
    ///
    /// - Throws: ``GalleryError`` when the file is unreadable, damaged or of a newer format.
    public func load() throws -> GallerySnapshot {
        guard FileManager.default.fileExists(atPath: url.path) else { return GallerySnapshot() }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GalleryError.io(file: url.path, reason: error.localizedDescription)
        }
        return try Self.decode(data, name: url.path)
    }

    /// Replaces the file atomically with `snapshot`.
    ///
    /// - Throws: ``GalleryError`` when the gallery was opened read-only or writing fails.
    public func save(_ snapshot: GallerySnapshot) throws {
        guard writerLock != nil else { throw GalleryError.invalidArgument("\(url.path): the gallery was opened read-only") }
        let data = try Self.encode(snapshot)
        try lock.withLock { try Self.writeAtomically(data, to: url, temporary: Self.temporaryURL(of: url)) }
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

    /// The bytes of the gallery file holding `s` (the format described at the top of this file).
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` when an embedding's length differs from the dimension.
    public static func encode(_ s: GallerySnapshot) throws -> Data {
        let index = s.people.map { p in
            IndexEntry(identifier: p.identifier, metadata: p.metadata, embeddings: p.embeddings.map { .init(metadata: $0.metadata, norm: $0.embedding.norm) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(index)
        var payload = json
        var count = 0
        for p in s.people {
            for e in p.embeddings {
                guard e.embedding.vector.count == s.dimension else {
                    throw GalleryError.invalidArgument("an embedding of \(p.identifier) has \(e.embedding.vector.count) values, the gallery \(s.dimension)")
                }
                e.embedding.vector.withUnsafeBytes { payload.append(contentsOf: $0) }
                count += 1
            }
        }
        var out = Data(magic)
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

    /// The gallery held in `data`; `name` names the file in errors.
    ///
    /// - Throws: ``GalleryError/corrupt(file:reason:)`` or ``GalleryError/unsupportedVersion(file:version:)``.
    public static func decode(_ data: Data, name: String) throws -> GallerySnapshot {
        func fail(_ r: String) -> GalleryError { .corrupt(file: name, reason: r) }
        guard data.count >= headerSize else { throw fail("\(data.count) bytes is shorter than the \(headerSize)-byte header") }
        let bytes = [UInt8](data)
        guard Array(bytes[0..<8]) == magic else { throw fail("wrong magic number") }
        func u32(_ o: Int) -> Int { Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24) }
        let version = u32(8)
        guard version == Int(Self.version) else { throw GalleryError.unsupportedVersion(file: name, version: version) }
        let dimension = u32(12), count = u32(16)
        let model = String(decoding: bytes[20..<52].prefix { $0 != 0 }, as: UTF8.self)
        var jsonLength = 0
        for i in 0..<8 { jsonLength |= Int(bytes[52 + i]) << (8 * i) }
        guard dimension > 0, dimension <= 4096, jsonLength >= 0, jsonLength <= data.count,
              headerSize + jsonLength + 4 * dimension * count == data.count else {
            throw fail("sizes in the header do not match the file (\(data.count) bytes)")
        }
        let payload = data.subdata(in: headerSize..<data.count)
        guard Digest.sha256Bytes(payload) == Array(bytes[60..<92]) else { throw fail("checksum mismatch: the file is damaged") }
        let index: [IndexEntry]
        do { index = try JSONDecoder().decode([IndexEntry].self, from: payload.prefix(jsonLength)) } catch {
            throw fail("unreadable index")
        }
        guard index.reduce(0, { $0 + $1.embeddings.count }) == count else { throw fail("the index lists a different number of embeddings") }
        var offset = headerSize + jsonLength
        var people: [GalleryPerson] = []
        for entry in index {
            var person = GalleryPerson(identifier: entry.identifier, metadata: entry.metadata)
            for item in entry.embeddings {
                let vector: [Float] = data.withUnsafeBytes { raw in
                    (0..<dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self))) }
                }
                guard vector.allSatisfy(\.isFinite) else { throw fail("non-finite embedding values for \(entry.identifier)") }
                person.embeddings.append(GalleryEmbedding(embedding: FaceEmbedding(normalized: vector, norm: item.norm), metadata: item.metadata))
                offset += 4 * dimension
            }
            people.append(person)
        }
        return GallerySnapshot(model: model, dimension: dimension, people: people)
    }

    static func writeAtomically(_ data: Data, to url: URL, temporary: URL? = nil) throws {
        do { try AtomicFile.write(data, to: url, temporary: temporary) } catch {
            throw GalleryError.io(file: error.path, reason: "cannot write the gallery (\(error.reason))")
        }
    }
}
