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

    /// Creates the directory, then writes `data` with ``AtomicFile/write(_:to:)``.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try createDirectory(url.deletingLastPathComponent())
        do { try AtomicFile.write(data, to: url) } catch {
            throw WeightsError.writeFailed(file: error.path, reason: error.reason)
        }
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

/// Crash-safe replacement of a whole file, shared by the weight cache and the gallery file
/// (`package`: for FaceKit's own modules, not part of the public API).
package enum AtomicFile {
    /// Why a write failed: the file and the system's reason.
    package struct Failure: Error {
        package let path: String
        package let reason: String
    }

    /// Writes `data` to a temporary file beside `url`, flushes it to disk, renames it over
    /// `url` and flushes the directory, so a reader sees either the old file or the whole
    /// new one, also after a crash. The directory must exist. Nothing is left behind on failure.
    package static func write(_ data: Data, to url: URL) throws(Failure) {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        let fd = open(temporary.path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: temporary.path, reason: systemError()) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = n < 0 ? systemError() : "the disk accepted no more bytes"; return }
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = systemError() }
        if close(fd) != 0 && failure == nil { failure = systemError() }
        if failure == nil && rename(temporary.path, url.path) != 0 { failure = systemError() }
        if let failure {
            unlink(temporary.path)
            throw Failure(path: url.path, reason: failure)
        }
        // Make the rename itself durable.
        let dfd = open(directory.path, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); _ = close(dfd) }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        return Darwin.write(fd, buffer, count)
        #elseif canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Musl.write(fd, buffer, count)
        #endif
    }
}
