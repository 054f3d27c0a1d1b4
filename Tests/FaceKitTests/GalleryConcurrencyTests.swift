// One gallery used from many tasks at once (run under ThreadSanitizer by .ci/run), and what a
// killed writer leaves behind (the SIGKILL test itself is .ci/gallery-crash-test).
import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct GalleryConcurrencyTests {
    @Test("many tasks enrol, search and save one gallery: every enrolment is kept and found")
    func manyTasks() async throws {
        let path = try Shared.temporaryDirectory("gallery-tasks").appendingPathComponent("people.fkg").path
        let gallery = try FaceGallery(path: path, writable: true)
        let tasks = 8, perTask = 12
        func vector(_ t: Int, _ i: Int) -> FaceEmbedding {
            var rng = SeededRandom(seed: UInt64(1000 * t + i + 1))
            return randomEmbedding(&rng)
        }
        let misses = try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var missed = 0
                    for i in 0..<perTask {
                        try await gallery.enroll("t\(t)-p\(i)", embeddings: [vector(t, i)])
                        // The person just enrolled is its own best match, whatever the other tasks did meanwhile.
                        let best = try await gallery.search(vector(t, i), top: 1)
                        if best.first?.identifier != "t\(t)-p\(i)" { missed += 1 }
                        if i % 4 == 3 { try await gallery.save() }
                    }
                    return missed
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(misses == 0)
        try await gallery.save()
        let reopened = try FaceGallery(path: path, writable: false)
        let names = Set(await reopened.people.map(\.identifier))
        #expect(names == Set((0..<tasks).flatMap { t in (0..<perTask).map { "t\(t)-p\($0)" } }))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("one gallery file saved from several threads at once holds one whole snapshot")
    func concurrentFileSaves() async throws {
        let url = try Shared.temporaryDirectory("gallery-saves").appendingPathComponent("g.fkg")
        let file = try GalleryFile(url: url, writable: true)
        var rng = SeededRandom(seed: 7)
        let snapshots = (0..<6).map { k in
            GallerySnapshot(people: (0...k).map { GalleryPerson(identifier: "p\($0)", embeddings: [GalleryEmbedding(embedding: randomEmbedding(&rng))]) })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in snapshots { group.addTask { for _ in 0..<3 { try file.save(s) } } }
            try await group.waitForAll()
        }
        let loaded = try GalleryFile(url: url, writable: false).load()
        #expect(snapshots.contains(loaded), "the file holds \(loaded.people.count) people, not one of the saved snapshots")
    }

    @Test("temporary files a killed writer left are removed by the next writer, not by readers")
    func leftoversRemoved() throws {
        let directory = try Shared.temporaryDirectory("gallery-leftovers")
        let url = directory.appendingPathComponent("people.fkg")
        let leftovers = [".people.fkg.partial", ".people.fkg.6F1C2B9E-0000-4000-8000-000000000000.partial"]
        for name in leftovers + [".other.fkg.partial"] {
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data([1, 2, 3]))
        }
        func present() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".partial") })
        }
        _ = try GalleryFile(url: url, writable: false)
        #expect(try present() == Set(leftovers + [".other.fkg.partial"]), "a reader must not touch them")
        let writer = try GalleryFile(url: url, writable: true)
        #expect(try present() == [".other.fkg.partial"], "another gallery's file is not this writer's")
        try writer.save(GallerySnapshot())
        #expect(try present() == [".other.fkg.partial"])
        #expect(try writer.load() == GallerySnapshot())
    }
}
