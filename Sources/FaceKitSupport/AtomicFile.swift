// Crash-safe file replacement and a cross-process writer lock, shared by the weight cache
// and the gallery file (`package`: for FaceKit's own modules, not part of the public API).
import Foundation

/// Crash-safe replacement of a whole file.
package enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, flushes it to disk, renames it over
    /// `url` and flushes the directory, so a reader sees either the old file or the whole
    /// new one, also after a crash. The directory must exist. Nothing is left behind on failure.
    ///
    /// The temporary file is `temporary` when given (a writer that holds a lock can reuse one
    /// fixed name, so a process killed while writing leaves at most that one file, which the
    /// next write replaces), else a new unique name beside `url` (safe between unlocked writers,
    /// but a kill in mid-write leaves it behind).
    package static func write(_ data: Data, to url: URL, temporary: URL? = nil) throws(FileFailure) {
        let directory = url.deletingLastPathComponent()
        let temporary = temporary ?? directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        let fd = open(temporary.path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileFailure(path: temporary.path, reason: Platform.errorMessage()) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Platform.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = n < 0 ? Platform.errorMessage() : "the disk accepted no more bytes"; return }
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = Platform.errorMessage() }
        if close(fd) != 0 && failure == nil { failure = Platform.errorMessage() }
        if failure == nil && rename(temporary.path, url.path) != 0 { failure = Platform.errorMessage() }
        if let failure {
            unlink(temporary.path)
            throw FileFailure(path: url.path, reason: failure)
        }
        // Make the rename itself durable.
        let dfd = open(directory.path, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); _ = close(dfd) }
    }
}

extension AtomicFile {
    /// Renames the finished file `temporary` over `url` (replacing it if it exists) and flushes
    /// the directory: the rename step of ``write(_:to:temporary:)`` for a file written in pieces
    /// (`facekit gallery export` streams). On failure `temporary` is left for the caller.
    package static func replace(_ url: URL, withFileAt temporary: URL) throws(FileFailure) {
        guard rename(temporary.path, url.path) == 0 else { throw FileFailure(path: url.path, reason: Platform.errorMessage()) }
        let dfd = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); _ = close(dfd) }
    }
}

/// An exclusive advisory lock (`flock`) on a lock file, held until ``unlock()`` or deinit.
package final class ExclusiveFileLock: @unchecked Sendable {
    /// Why a lock could not be taken.
    package enum Failure: Error {
        /// Another process holds the lock.
        case held
        /// The lock file could not be opened.
        case unavailable(FileFailure)
    }

    private var descriptor: Int32

    /// Takes the lock on `path` (created if missing) without waiting.
    package init(path: String) throws(Failure) {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .unavailable(FileFailure(path: path, reason: Platform.errorMessage())) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw .held
        }
        descriptor = fd
    }

    /// Releases the lock (idempotent).
    package func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
