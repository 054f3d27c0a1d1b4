// The few file operations the weight store needs, atomic where it matters.
import FaceKitSupport
import Foundation

enum FileSystem {
    static func exists(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw WeightsError.writeFailed(file: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Creates the directory, then writes `data` with ``AtomicFile/write(_:to:)``.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try createDirectory(url.deletingLastPathComponent())
        do { try AtomicFile.write(data, to: url) } catch {
            throw WeightsError.writeFailed(file: error.path, reason: error.reason)
        }
    }

    /// Lowercase hex SHA-256 and size of the file at `url`.
    static func sha256(of url: URL) throws -> (digest: String, size: Int) {
        do { return try Digest.sha256(file: url) } catch {
            throw WeightsError.unreadable(file: error.path, reason: error.reason)
        }
    }
}
