// SHA-256 of files and bytes (swift-crypto), for the weight store and the gallery file.
import Crypto
import Foundation

/// A file that could not be read or written: its path and the system's reason.
package struct FileFailure: Error, Sendable {
    package let path: String
    package let reason: String

    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// SHA-256 digests.
package enum Digest {
    /// The 32 bytes of the SHA-256 of `data`.
    package static func sha256Bytes<D: DataProtocol>(_ data: D) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }

    /// Lowercase hex SHA-256 of `data`.
    package static func sha256<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex SHA-256 and size of the file at `url`, read in 1 MiB chunks.
    package static func sha256(file url: URL) throws(FileFailure) -> (digest: String, size: Int) {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw FileFailure(path: url.path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw FileFailure(path: url.path, reason: error.localizedDescription)
            }
            if chunk.isEmpty { break }
            size += chunk.count
            hasher.update(data: chunk)
        }
        return (hex(hasher.finalize()), size)
    }

    private static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
