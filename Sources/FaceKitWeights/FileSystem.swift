// The few file operations the weight store needs, atomic where it matters.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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

    /// Writes `data` to a temporary file beside `url`, flushes it to disk and renames it
    /// over `url`, so a reader sees either the old file or the whole new one.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try createDirectory(url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw WeightsError.writeFailed(file: temporary.path, reason: "cannot create a temporary file")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw WeightsError.writeFailed(file: url.path, reason: "\(error.localizedDescription)")
        }
        try move(temporary, over: url)
    }

    /// Renames `source` over `destination` (atomic replacement on one file system).
    static func move(_ source: URL, over destination: URL) throws {
        if rename(source.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: source)
            throw WeightsError.writeFailed(file: destination.path, reason: reason)
        }
    }
}
