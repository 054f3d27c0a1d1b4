import FaceKit
import Foundation
import Testing

/// `FaceKit.version` and CHANGELOG.md stay in step.
@Suite struct VersionTests {
    @Test("FaceKit.version equals the CHANGELOG's latest version entry")
    func versionMatchesChangelog() throws {
        let changelog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("CHANGELOG.md")
        let text = try String(contentsOf: changelog, encoding: .utf8)
        // The first "## [x.y.z]" heading that is not "Unreleased" is the latest release.
        let latest = text.split(separator: "\n").lazy
            .filter { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
            .compactMap { $0.dropFirst(4).split(separator: "]").first.map(String.init) }
            .first
        #expect(latest == FaceKit.version)
        let parts = FaceKit.version.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "not a semantic version: \(FaceKit.version)")
    }
}
