// The public embedder.
import FaceKitImage
import Foundation
import FaceKitTensor
import FaceKitWeights

/// Turns aligned 112×112 face crops into 256-d embeddings with SE-MobileFaceNet (ArcFace loss).
///
/// Safe to share between tasks; each call runs in its own pooled workspace. Embedding many
/// faces in one call runs the network on batches of up to ``Configuration/maximumBatch``.
public final class FaceEmbedder: Sendable {
    /// The model this embedder runs. Embeddings of different models are not comparable, so
    /// galleries record it (see ``GallerySnapshot/model``).
    public static let model: ModelID = .arcfaceSEMobileFaceNet
    /// The number of values in each embedding.
    public static let dimension = SEMobileFaceNet.dimension

    /// Embedding settings.
    public struct Configuration: Sendable, Equatable {
        /// Add the embedding of the mirrored crop before normalising (default false).
        public var flipAugmentation: Bool
        /// Threads the kernels may use per call (default: all processors).
        public var threads: ThreadCount
        /// The most crops per network run (default 8).
        public var maximumBatch: Int

        /// Creates a configuration; `maximumBatch` below 1 counts as 1.
        public init(flipAugmentation: Bool = false, threads: ThreadCount = .automatic, maximumBatch: Int = 8) {
            self.flipAugmentation = flipAugmentation
            self.threads = threads
            self.maximumBatch = max(1, maximumBatch)
        }
    }

    /// The settings this embedder was made with.
    public let configuration: Configuration
    let network: SEMobileFaceNet
    private let pool = WorkspacePool<SEMobileFaceNet.Workspace>()

    /// Loads the weights through `store` (finding, verifying, converting as needed).
    public convenience init(configuration: Configuration = Configuration(), store: WeightStore = WeightStore()) async throws {
        try self.init(configuration: configuration, weights: try await store.load(Self.model))
    }

    /// Builds the embedder from loaded weights.
    public init(configuration: Configuration = Configuration(), weights: ModelWeights) throws {
        guard weights.model == Self.model else {
            throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: "*", reason: "these are not \(Self.model) weights")
        }
        self.configuration = configuration
        network = try SEMobileFaceNet(weights: weights)
    }

    /// Floating-point operations of the network for one face.
    public var flopsPerImage: Int { network.flopsPerImage }

    /// The embedding of one aligned face.
    public func embedding(of face: AlignedFace) throws -> FaceEmbedding {
        try embeddings(of: [face])[0]
    }

    /// The embeddings of many aligned faces, computed in batches.
    public func embeddings(of faces: [AlignedFace]) throws -> [FaceEmbedding] {
        guard !faces.isEmpty else { return [] }
        let crops = configuration.flipAugmentation ? faces.flatMap { [$0, $0.mirrored()] } : faces
        var raw: [[Float]] = []
        raw.reserveCapacity(crops.count)
        var start = 0
        while start < crops.count {
            let chunk = Array(crops[start..<min(crops.count, start + configuration.maximumBatch)])
            let n = AlignedFace.valueCount
            var input = [Float](repeating: 0, count: chunk.count * n)
            for (i, face) in chunk.enumerated() {
                for j in 0..<n { input[i * n + j] = (face.pixels[j] - 127.5) / 128 }
            }
            let out = try rawEmbeddings(input: input, batch: chunk.count)
            let d = Self.dimension
            for i in 0..<chunk.count { raw.append(Array(out[(i * d)..<((i + 1) * d)])) }
            start += chunk.count
        }
        if configuration.flipAugmentation {
            return stride(from: 0, to: raw.count, by: 2).map { i in FaceEmbedding(raw: zip(raw[i], raw[i + 1]).map { $0 + $1 }) }
        }
        return raw.map { FaceEmbedding(raw: $0) }
    }

    /// Raw (unnormalised) embeddings of normalised input, `[batch, 112, 112, 3]` with values (v − 127.5)/128.
    ///
    /// One image uses all threads inside each layer. A batch shares its images out whole
    /// between the threads for the early layers (see `SEMobileFaceNet.forward`), so the threads
    /// rarely wait for each other: that is what makes a batch faster per face than single calls
    /// on several threads.
    public func rawEmbeddings(input: [Float], batch: Int = 1) throws -> [Float] {
        let s = AlignedFace.size
        guard batch > 0, input.count == batch * AlignedFace.valueCount else {
            throw FaceKitError.invalidArgument("expected \(batch)x\(s)x\(s)x3 = \(batch * AlignedFace.valueCount) input values, got \(input.count)")
        }
        return try pool.with(fits: { $0.batch >= batch }, make: { try SEMobileFaceNet.Workspace(batch: batch) }) { ws in
            input.withUnsafeBufferPointer { ws.input.data.update(from: $0.baseAddress!, count: input.count) }
            try network.forward(ws, batch: batch, threads: configuration.threads)
            return Array(UnsafeBufferPointer(start: ws.output.data, count: batch * Self.dimension))
        }
    }
}
