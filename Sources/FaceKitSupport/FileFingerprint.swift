// What a file's metadata says about it, cheaply: if none of these changed since the file was
// hashed, its content did not change either (short of tampering with the file system itself).
import Foundation

/// Device, inode, size, modification and status-change times of a file.
///
/// Rewriting a file in place changes its mtime and ctime; replacing it changes its inode;
/// `touch -d` can restore an mtime but not the ctime, which only the kernel sets.
package struct FileFingerprint: Codable, Equatable, Sendable {
    package let device: UInt64
    package let inode: UInt64
    package let size: Int64
    package let modified: Int64   // nanoseconds since 1970
    package let changed: Int64    // nanoseconds since 1970

    /// The fingerprint of the file at `path`, or nil when it cannot be read.
    package init?(path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(truncatingIfNeeded: s.st_dev)
        inode = UInt64(truncatingIfNeeded: s.st_ino)
        size = Int64(s.st_size)
        #if canImport(Darwin)
        modified = Int64(s.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(s.st_mtimespec.tv_nsec)
        changed = Int64(s.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(s.st_ctimespec.tv_nsec)
        #else
        modified = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        changed = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
        #endif
    }
}
