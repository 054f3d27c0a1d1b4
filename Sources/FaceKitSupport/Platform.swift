// The one place that imports the C library behind `canImport`: every FaceKit module that
// needs a system call or a libm function imports FaceKitSupport instead of repeating this.
// (FaceKitTensor keeps its own Platform.swift for now: it sits below this module and is
// being rebuilt into per-CPU kernel modules.)
#if canImport(Darwin)
@_exported import Darwin
#elseif canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#endif

/// Small wrappers over system calls whose module differs between platforms.
package enum Platform {
    /// The message of the current `errno`.
    package static func errorMessage() -> String { String(cString: strerror(errno)) }

    /// `write(2)`: bytes written, or -1 with `errno` set.
    package static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        return Darwin.write(fd, buffer, count)
        #elseif canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Musl.write(fd, buffer, count)
        #endif
    }

    /// Whether the file descriptor is a terminal.
    package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }
}
