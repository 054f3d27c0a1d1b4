import FaceKitTestSupport
import FaceKitWeights
import Foundation
import Testing

/// `WeightStore.load` checks the pinned files on every call, also once a conversion exists.
@Suite struct LoadVerificationTests {
    @Test("a pinned file changed after the first conversion is refused by the next load")
    func tamperedAfterConversion() async throws {
        let code = try copyOfModel(.blazefaceFront)
        let store = try isolatedStore(directory: code)
        let first = try await store.load(.blazefaceFront)
        #expect(FileManager.default.fileExists(atPath: store.convertedURL(.blazefaceFront).path))
        #expect(try await store.load(.blazefaceFront).model == first.model)   // the cached conversion, verified again

        // Same size, one byte flipped: only a hash notices.
        let shard = code.appendingPathComponent("blazeface-front/blazeface-front.bin")
        var bytes = try Data(contentsOf: shard)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: shard)
        do {
            _ = try await store.load(.blazefaceFront)
            Issue.record("loaded weights whose pinned shard was tampered with after conversion")
        } catch let error as WeightsError {
            guard case let .checksumMismatch(file, _, _) = error else { Issue.record("\(error)"); return }
            #expect(file == shard.path)
        }

        // A model whose pinned files are gone is not loaded from its conversion alone.
        try FileManager.default.removeItem(at: code.appendingPathComponent("blazeface-front"))
        await #expect(throws: WeightsError.self) { try await store.load(.blazefaceFront) }
    }
}
