// SHA-256 of files and bytes (swift-crypto).
import Crypto
import Foundation

enum Digest {
    /// Lowercase hex SHA-256 of `data`.
    static func sha256<D: DataProtocol>(_ data: D) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Lowercase hex SHA-256 and size of the file at `url`, read in 1 MiB chunks.
    static func sha256(file url: URL) throws -> (digest: String, size: Int) {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw WeightsError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw WeightsError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            size += chunk.count
            hasher.update(data: chunk)
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}
