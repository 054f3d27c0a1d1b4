// The entry point of every fuzz target: each target's main.swift defines its input callback
// and calls `runFuzzer`, which hands it to libFuzzer's driver (command-line parsing, corpus,
// mutation, crash reports, as libFuzzer's own `main` would). SwiftPM links an executable with
// its `main` renamed for testability, so libFuzzer's `main` is never the one that runs.
//
// libFuzzer's runtime, linked into every executable of a `-sanitize=fuzzer` build, refers to
// `LLVMFuzzerTestOneInput`; this module defines it once for every target, dispatching to the
// callback `runFuzzer` was given. (The runtime also brings its own `main`, so a test binary
// cannot be linked in such a build: Fuzz/run builds only the fuzz products, in .build-fuzz.)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer's `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The input callback of the running fuzz target (nil in the executables that only link this).
nonisolated(unsafe) var activeCallback: (@convention(c) (UnsafePointer<UInt8>?, Int) -> CInt)?

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    activeCallback?(data, size) ?? 0
}

/// Runs libFuzzer over `callback` with the process's arguments and exits with its status.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    activeCallback = callback
    var count = CommandLine.argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&count, &arguments, callback))
}
