import FaceKitSupport
import Foundation
import Testing

/// `AtomicFile`, the crash-safe write shared by the weight cache and the gallery file.
@Suite struct AtomicFileTests {
    private func scratchDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("facekit-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("replaces the whole file through a new inode and leaves no temporary file")
    func replaces() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("data.bin")
        try AtomicFile.write(Data(repeating: 1, count: 100_000), to: url)
        let before = try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int
        // A reader holding the old file keeps reading the old content after the replacement.
        let reader = try FileHandle(forReadingFrom: url)
        defer { try? reader.close() }
        try AtomicFile.write(Data([7, 8, 9]), to: url)
        #expect(try Data(contentsOf: url) == Data([7, 8, 9]))
        let after = try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int
        #expect(before != nil && before != after, "the file was rewritten in place")
        #expect(try reader.readToEnd() == Data(repeating: 1, count: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["data.bin"])
        try AtomicFile.write(Data(), to: url)
        #expect(try Data(contentsOf: url).isEmpty)
    }

    @Test("a directory that does not exist gives a failure naming the file, and nothing is written")
    func missingDirectory() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("absent/data.bin")
        do {
            try AtomicFile.write(Data([1]), to: url)
            Issue.record("wrote into a missing directory")
        } catch {
            #expect(error.path.contains("absent"), "\(error.path)")
            #expect(error.reason.lowercased().contains("no such file"), "\(error.reason)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
