import FaceKitTestSupport
import FaceKitWeights
import Foundation
import Testing

/// A store that sees only what the test gives it: no $FACEKIT_WEIGHTS, a fresh cache.
func isolatedStore(directory: URL? = nil, weightsEnv: URL? = nil, allowsDownload: Bool = false, mirror: URL? = nil) throws -> WeightStore {
    let cache = try Shared.temporaryDirectory("facekit-cache")
    var env: [String: String] = ["HOME": cache.path]
    if let weightsEnv { env["FACEKIT_WEIGHTS"] = weightsEnv.path }
    var store = WeightStore(directory: directory, environment: env, cacheDirectory: cache, allowsDownload: allowsDownload, mirror: mirror)
    store.downloadTimeout = 10
    return store
}

/// A writable copy of ../shared/weights/<model>.
func copyOfModel(_ model: ModelID) throws -> URL {
    let root = try Shared.temporaryDirectory("facekit-weights")
    try FileManager.default.copyItem(at: Shared.weights.appendingPathComponent(model.rawValue), to: root.appendingPathComponent(model.rawValue))
    for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(model.rawValue).path) {
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root.appendingPathComponent(model.rawValue).appendingPathComponent(file).path)
    }
    return root
}

@Suite struct StoreTests {
    @Test("resolution order: code directory, then $FACEKIT_WEIGHTS, then the cache")
    func order() async throws {
        let code = try copyOfModel(.blazefaceFront)
        let store = try isolatedStore(directory: code, weightsEnv: Shared.weights)
        #expect(try await store.resolve(.blazefaceFront).source == .directory)
        #expect(try await store.resolve(.arcfaceSEMobileFaceNet).source == .environment)   // absent from `code`
        let cacheOnly = try isolatedStore()
        try FileManager.default.copyItem(at: code.appendingPathComponent("blazeface-front"), to: cacheOnly.cacheDirectory.appendingPathComponent("blazeface-front"))
        #expect(try await cacheOnly.resolve(.blazefaceFront).source == .cache)
        do { _ = try await cacheOnly.resolve(.blazefaceBack); Issue.record("resolved a missing model offline") } catch let error as WeightsError {
            guard case .notFound = error else { Issue.record("\(error)"); return }
            #expect("\(error)".contains("FACEKIT_WEIGHTS"))
        }
    }

    @Test("tampered files are refused with the file, expected and actual digest", arguments: ["flip", "short", "json"])
    func tampered(kind: String) async throws {
        let root = try copyOfModel(.blazefaceFront)
        let dir = root.appendingPathComponent("blazeface-front")
        let target = dir.appendingPathComponent(kind == "json" ? "model.json" : "blazeface-front.bin")
        var bytes = try Data(contentsOf: target)
        switch kind {
        case "flip": bytes[1000] ^= 0x01
        case "short": bytes.removeLast()
        default: bytes = Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"float32\"", with: "\"float16\"").utf8)
        }
        try bytes.write(to: target)
        let store = try isolatedStore(directory: root)
        do { _ = try await store.resolve(.blazefaceFront); Issue.record("accepted a tampered \(kind) file") } catch let error as WeightsError {
            switch error {
            case let .checksumMismatch(file, expected, actual):
                #expect(file == target.path && expected != actual && expected.count == 64 && actual.count == 64)
            case let .sizeMismatch(file, expected, actual):
                #expect(file == target.path && expected == actual + 1)
            default: Issue.record("unexpected \(error)")
            }
        }
        #expect(store.status(.blazefaceFront).contains { $0.path == target.path && $0.state != .verified })
    }

    @Test("conversion writes safetensors that load back identically, and damaged conversions are redone")
    func conversion() async throws {
        let store = try isolatedStore(weightsEnv: Shared.weights)
        let source = try await store.loadSource(.blazefaceFront)
        let url = try await store.convert(.blazefaceFront)
        let converted = try store.loadConverted(.blazefaceFront)
        #expect(converted.tensors == source.weights)
        // Damage one tensor byte: the data digest catches it, and load() reconverts.
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: url)
        #expect(throws: WeightsError.self) { try store.loadConverted(.blazefaceFront) }
        let healed = try await store.load(.blazefaceFront)
        #expect(healed.tensors == source.weights)
        #expect(try store.loadConverted(.blazefaceFront).tensors == source.weights)
        // A conversion recorded for other sources is stale.
        let stale = try SafeTensors.encode([], metadata: ["facekit.format": "facekit-converted-1", "facekit.model": "blazeface-front"])
        try stale.write(to: url)
        do { _ = try store.loadConverted(.blazefaceFront); Issue.record("accepted a stale conversion") } catch {
            #expect("\(error)".contains("stale"))
        }
    }

    @Test("safetensors round trip and malformed files")
    func safetensors() throws {
        let tensors = [WeightTensor(name: "a", shape: [2, 3], values: .float32([1, 2, 3, 4, 5, 6])),
                       WeightTensor(name: "b", shape: [1], values: .int32([-7]))]
        let data = try SafeTensors.encode(tensors, metadata: ["k": "v"])
        let (back, meta) = try SafeTensors.decode(data, name: "t")
        #expect(back["a"] == tensors[0] && back["b"] == tensors[1] && meta == ["k": "v"])
        #expect(throws: WeightsError.self) { try SafeTensors.decode(data.prefix(data.count - 1), name: "t") }
        #expect(throws: WeightsError.self) { try SafeTensors.decode(Data([1, 2, 3]), name: "t") }
        var huge = data
        huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: WeightsError.self) { try SafeTensors.decode(huge, name: "t") }
    }

    @Test("the default cache honours XDG_CACHE_HOME, then HOME")
    func cacheLocation() {
        #expect(WeightStore.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x"]).path == "/x/facekit")
        #if !canImport(Darwin)
        #expect(WeightStore.defaultCacheDirectory(environment: ["HOME": "/h"]).path == "/h/.cache/facekit")
        #endif
    }
}

@Suite(.serialized) struct DownloadTests {
    /// Serves ../shared/weights/<model>/<file>, through `transform`.
    static func server(_ transform: @escaping @Sendable (String, Data) -> LoopbackHTTPServer.Response = { _, d in .init(body: d) }) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { path in
            let url = Shared.weights.appendingPathComponent(String(path.dropFirst()))
            guard !path.contains(".."), let data = try? Data(contentsOf: url) else { return .init(status: 404, body: Data("no".utf8)) }
            return transform(path, data)
        }
    }

    @Test("download into the cache: verified, renamed into place, then served from the cache")
    func download() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let store = try isolatedStore(allowsDownload: true, mirror: server.baseURL)
        let resolved = try await store.resolve(.arcfaceSEMobileFaceNet)
        #expect(resolved.source == .downloaded)
        #expect(Set(server.requests) == ["/arcface-se-mobilefacenet/model.json", "/arcface-se-mobilefacenet/group1-shard1of1.bin"])
        let names = try FileManager.default.contentsOfDirectory(atPath: resolved.directory.path).sorted()
        #expect(names == ["group1-shard1of1.bin", "model.json"], "no temporary files left behind")
        #expect(try await store.resolve(.arcfaceSEMobileFaceNet).source == .cache)
        #expect(server.requests.count == 2)
        let weights = try await store.load(.arcfaceSEMobileFaceNet)
        #expect(weights.tensors.count == 226)
    }

    @Test("a server returning a corrupt file is refused and nothing is left in the cache")
    func corrupt() async throws {
        let server = try Self.server { _, data in
            var d = data
            d[d.count / 2] ^= 0xFF
            return .init(body: d)
        }
        defer { server.stop() }
        let store = try isolatedStore(allowsDownload: true, mirror: server.baseURL)
        do { _ = try await store.resolve(.blazefaceFront); Issue.record("accepted a corrupt download") } catch {
            #expect("\(error)".contains("SHA-256 mismatch"), "\(error)")
        }
        let dir = store.cacheDirectory.appendingPathComponent("blazeface-front")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).isEmpty)
    }

    @Test("a connection dropped midway fails cleanly; a 404 too")
    func dropped() async throws {
        let server = try Self.server { path, data in
            path.hasSuffix(".bin") ? .init(body: data, dropAfter: data.count / 3) : .init(body: data)
        }
        defer { server.stop() }
        let store = try isolatedStore(allowsDownload: true, mirror: server.baseURL)
        do { _ = try await store.resolve(.blazefaceBack); Issue.record("accepted a partial download") } catch {
            #expect(error is WeightsError)
        }
        let dir = store.cacheDirectory.appendingPathComponent("blazeface-back")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        #expect(!left.contains("blazeface-back.bin") && !left.contains { $0.contains("partial") }, "\(left)")
        let missing = try isolatedStore(allowsDownload: true, mirror: server.baseURL.appendingPathComponent("nowhere"))
        do { _ = try await missing.resolve(.blazefaceFront); Issue.record("accepted a 404") } catch {
            #expect("\(error)".contains("404"), "\(error)")
        }
    }
}
