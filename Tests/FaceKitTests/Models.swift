import FaceKit
import FaceKitTestSupport
import Foundation

/// Loads models from ../shared/weights into a throw-away cache, once per test process.
actor TestModels {
    static let shared = TestModels()
    private var weights: [ModelID: ModelWeights] = [:]
    private var detectors: [DetectorVariant: FaceDetector] = [:]

    nonisolated let store: WeightStore = {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("facekit-tests-\(ProcessInfo.processInfo.processIdentifier)")
        return WeightStore(directory: Shared.weights, environment: [:], cacheDirectory: cache, allowsDownload: false)
    }()

    func weights(_ model: ModelID) async throws -> ModelWeights {
        if let w = weights[model] { return w }
        let w = try await store.load(model)
        weights[model] = w
        return w
    }

    private var embedder: FaceEmbedder?

    func embedder() async throws -> FaceEmbedder {
        if let embedder { return embedder }
        let e = try FaceEmbedder(weights: try await weights(.arcfaceSEMobileFaceNet))
        embedder = e
        return e
    }

    private var singlePassDetectors: [DetectorVariant: FaceDetector] = [:]

    /// The detector with tiling off: the single pass TensorFlow's reference was made with.
    static func singlePass(_ variant: DetectorVariant) async throws -> FaceDetector { try await shared.singlePassDetector(variant) }

    func singlePassDetector(_ variant: DetectorVariant) async throws -> FaceDetector {
        if let d = singlePassDetectors[variant] { return d }
        let d = try FaceDetector(configuration: .init(variant: variant, tiling: .off), weights: try await weights(variant.model))
        singlePassDetectors[variant] = d
        return d
    }

    func detector(_ variant: DetectorVariant) async throws -> FaceDetector {
        if let d = detectors[variant] { return d }
        let d = try FaceDetector(configuration: .init(variant: variant), weights: try await weights(variant.model))
        detectors[variant] = d
        return d
    }
}
