import FaceKitTestSupport
import FaceKitWeights
import Foundation
import Testing

/// Issue 17: a weights directory given in code is never skipped silently.
@Suite struct DirectoryTests {
    @Test("a directory that does not exist, or is a file, fails every lookup with its path")
    func missingDirectory() async throws {
        let nowhere = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        let store = try isolatedStore(directory: nowhere, weightsEnv: Shared.weights)
        #expect(throws: WeightsError.invalidDirectory(path: nowhere.path, reason: "does not exist")) { try store.checkDirectory() }
        do { _ = try await store.resolve(.blazefaceFront); Issue.record("resolved through a missing directory") } catch let error as WeightsError {
            #expect(error == .invalidDirectory(path: nowhere.path, reason: "does not exist"))
            #expect("\(error)".contains(nowhere.path))
        }
        let file = try Shared.temporaryDirectory("weights-file").appendingPathComponent("f")
        try Data("x".utf8).write(to: file)
        await #expect(throws: WeightsError.invalidDirectory(path: file.path, reason: "is not a directory")) {
            try await isolatedStore(directory: file, weightsEnv: Shared.weights).resolve(.blazefaceFront)
        }
        #expect(throws: Never.self) { try isolatedStore().checkDirectory() }
    }

    @Test("a model missing from the directory comes from the next location, with a warning naming both")
    func fallbackWarns() async throws {
        let code = try copyOfModel(.blazefaceFront)
        var store = try isolatedStore(directory: code, weightsEnv: Shared.weights)
        let warnings = Warnings()
        store.warningHandler = { warnings.append($0) }
        #expect(try await store.resolve(.blazefaceFront).source == .directory)
        #expect(warnings.all.isEmpty)
        let resolved = try await store.resolve(.arcfaceSEMobileFaceNet)
        #expect(resolved.source == .environment)
        #expect(warnings.all == [.modelNotInDirectory(model: "arcface-se-mobilefacenet", directory: code.path,
                                                      usedInstead: resolved.directory.path, source: .environment)])
        let text = "\(warnings.all[0])"
        #expect(text.contains(code.path) && text.contains("arcface-se-mobilefacenet/model.json") && text.contains("$FACEKIT_WEIGHTS"), "\(text)")
    }
}

/// Collects warnings from the store's `@Sendable` handler.
final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [WeightsWarning] = []
    func append(_ w: WeightsWarning) { lock.lock(); items.append(w); lock.unlock() }
    var all: [WeightsWarning] { lock.lock(); defer { lock.unlock() }; return items }
}
