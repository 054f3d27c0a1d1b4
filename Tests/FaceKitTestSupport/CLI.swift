// Running the built `facekit` executable as a user would, for the test targets that need it.
import Foundation
import Testing

/// Runs the built `facekit` with ../shared/weights and a throw-away cache: the one subprocess
/// runner of the CLI tests and the service's start-up tests.
public struct CLI {
    public static var binary: URL {
        // The test bundle and the executables are built into the same directory.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("facekit").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("facekit")
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        /// Line `line` of standard output as a JSON object; a missing line is a test failure,
        /// not a crash that would end the whole test run.
        public func json(_ line: Int = 0) throws -> [String: Any] {
            let all = lines
            try #require(line < all.count, "no stdout line \(line) (stdout: \(stdout.prefix(300)), stderr: \(stderr.prefix(300)))")
            return try #require(try JSONSerialization.jsonObject(with: Data(all[line].utf8)) as? [String: Any])
        }
    }

    public static let cache = (try? Shared.temporaryDirectory("cli-cache"))?.path ?? "/tmp"

    public static func run(_ arguments: [String], weights: Bool = true, cache: String = CLI.cache) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        var env = ["HOME": cache, "XDG_CACHE_HOME": cache, "PATH": "/usr/bin:/bin"]
        if weights { env["FACEKIT_WEIGHTS"] = Shared.weights.path }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    public static func image(_ relative: String) -> String { Shared.images.appendingPathComponent(relative).path }
}
