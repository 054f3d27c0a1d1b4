import FaceKitTestSupport
import Foundation
import Testing

/// `facekit --version` prints the version of the CHANGELOG's latest entry.
@Suite struct CLIVersionTests {
    @Test("facekit --version prints the CHANGELOG's latest version")
    func version() throws {
        let r = try CLI.run(["--version"], weights: false)
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try #require(try Changelog.latestVersion())
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }
}

/// The repository's CHANGELOG.md.
enum Changelog {
    static var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CHANGELOG.md")
    }

    /// The version of the first `## [x.y.z]` heading (the latest release).
    static func latestVersion() throws -> String? {
        let text = try String(contentsOf: url, encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("## [") {
            let rest = line.dropFirst(4)
            guard let end = rest.firstIndex(of: "]") else { continue }
            let v = String(rest[..<end])
            if v.lowercased() != "unreleased" { return v }
        }
        return nil
    }
}
