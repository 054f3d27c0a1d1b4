// The public face detector.
import FaceKitImage
import FaceKitTensor
import FaceKitWeights

/// Finds faces with BlazeFace: boxes, scores and six keypoints.
///
/// A detector is immutable after loading and safe to share between tasks: each call
/// runs in its own pooled workspace, so steady-state inference allocates no tensors.
///
/// ```swift
/// let detector = try await FaceDetector()
/// let image = try ImageDecoder().decode(contentsOfFile: "group.jpg")
/// for face in try detector.detect(in: image) { print(face.score, face.box) }
/// ```
public final class FaceDetector: Sendable {
    /// Detection settings.
    public struct Configuration: Sendable, Equatable {
        /// The BlazeFace variant (default `.back`, which finds the small faces of ordinary photos).
        public var variant: DetectorVariant
        /// Minimum score of a face (default 0.5).
        public var minimumScore: Double
        /// IoU above which candidates merge in weighted NMS (default 0.3).
        public var iouThreshold: Double
        /// The most faces to report, best first (default: no limit).
        public var maximumFaces: Int?
        /// Threads the kernels may use per call (default: all processors).
        public var threads: ThreadCount
        /// The smallest face, in pixels of the photo (box side), the back model should find
        /// (default 20). When the single pass cannot see faces that small, the photo is also
        /// searched in tiles at finer scales (see ``tiling``). Not used by the front model.
        /// Detection throws ``FaceKitError/invalidArgument(_:)`` when the finest scale would
        /// exceed 128 megapixels (a tiny minimum on a huge photo).
        public var minimumFaceSize: Double
        /// Whether the back model also runs on tiles at finer scales (default
        /// ``TilingMode/automatic``; ``TilingMode/off`` gives the single pass alone).
        public var tiling: TilingMode

        /// Creates a configuration; the defaults are the pipeline's.
        public init(variant: DetectorVariant = .back, minimumScore: Double = 0.5, iouThreshold: Double = 0.3,
                    maximumFaces: Int? = nil, threads: ThreadCount = .automatic,
                    minimumFaceSize: Double = 20, tiling: TilingMode = .automatic) {
            self.variant = variant; self.minimumScore = minimumScore; self.iouThreshold = iouThreshold
            self.maximumFaces = maximumFaces; self.threads = threads
            self.minimumFaceSize = minimumFaceSize; self.tiling = tiling
        }
    }

    /// The settings this detector was made with.
    public let configuration: Configuration
    let network: BlazeFaceNetwork
    let pool: WorkspacePool<BlazeFaceNetwork.Workspace>

    /// Loads the variant's weights through `store` (finding, verifying, converting as needed).
    public convenience init(configuration: Configuration = Configuration(), store: WeightStore = WeightStore()) async throws {
        let weights = try await store.load(configuration.variant.model)
        try self.init(configuration: configuration, weights: weights)
    }

    /// Builds the detector from already loaded weights.
    public init(configuration: Configuration = Configuration(), weights: ModelWeights) throws {
        guard weights.model == configuration.variant.model else {
            throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: "*",
                                             reason: "these are not \(configuration.variant.model.rawValue) weights")
        }
        try Self.validate(configuration)
        self.configuration = configuration
        network = try BlazeFaceNetwork(variant: configuration.variant, weights: weights)
        pool = WorkspacePool()
    }

    private init(configuration: Configuration, sharing other: FaceDetector) {
        self.configuration = configuration
        network = other.network
        pool = other.pool
    }

    /// A detector with other settings that shares this one's loaded network and workspaces, so
    /// it costs no weights and no memory of its own: per-call settings, such as a server
    /// request's minimum score or minimum face size.
    ///
    /// - Parameter configuration: The new settings; its ``Configuration/variant`` must be this
    ///   detector's (another variant needs other weights: load a new detector).
    /// - Returns: This detector when `configuration` equals its own, else a new one.
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` for another variant or settings out of range.
    public func reconfigured(_ configuration: Configuration) throws -> FaceDetector {
        guard configuration != self.configuration else { return self }
        guard configuration.variant == self.configuration.variant else {
            throw FaceKitError.invalidArgument("this detector holds the \(self.configuration.variant.rawValue) model; the \(configuration.variant.rawValue) model needs a detector of its own")
        }
        try Self.validate(configuration)
        return FaceDetector(configuration: configuration, sharing: self)
    }

    private static func validate(_ configuration: Configuration) throws {
        guard configuration.minimumScore >= 0, configuration.minimumScore <= 1,
              configuration.iouThreshold >= 0, configuration.iouThreshold <= 1, (configuration.maximumFaces ?? 1) >= 0 else {
            throw FaceKitError.invalidArgument("minimum score and IoU threshold must lie in [0, 1], maximum faces must not be negative")
        }
        guard configuration.minimumFaceSize.isFinite, configuration.minimumFaceSize >= 1 else {
            throw FaceKitError.invalidArgument("the minimum face size must be at least 1 pixel, got \(configuration.minimumFaceSize)")
        }
    }

    /// Floating-point operations of the network for one image (2 per multiply-add).
    public var flopsPerImage: Int { network.flopsPerImage }

    /// The faces in `image`, best score first.
    public func detect(in image: RGBImage) throws -> [DetectedFace] {
        try detect(in: [image])[0]
    }

    /// The faces in each image.
    ///
    /// Several images are shared out whole between the threads (with work stealing), each
    /// image running the network on one thread: BlazeFace back's activations (128×128×24 per
    /// image) overflow the L2 cache when batched, and threads that split every layer of one
    /// image wait for each other at every layer. A single image uses all threads per layer for
    /// its single pass, and shares its tiles (``Configuration/tiling``) out between the threads.
    public func detect(in images: [RGBImage]) throws -> [[DetectedFace]] {
        guard images.count > 1 else { return images.isEmpty ? [] : [try detectOne(images[0], threads: configuration.threads)] }
        let results = ResultList<[DetectedFace]>(count: images.count)
        parallelFor(images.count, threads: configuration.threads) { i0, i1 in
            for i in i0..<i1 { results.set(i, Result { try detectOne(images[i], threads: .single) }) }
        }
        return try results.values()
    }

    private func detectOne(_ image: RGBImage, threads: ThreadCount) throws -> [DetectedFace] {
        if configuration.variant == .back && configuration.tiling != .off { return try detectTiled(image, threads: threads) }
        let (candidates, box) = try singlePassCandidates(image, threads: threads)
        return DetectionDecoder.weightedNMS(candidates, iouThreshold: configuration.iouThreshold, maximumFaces: configuration.maximumFaces)
            .map { DetectionDecoder.face($0, letterbox: box, variant: configuration.variant) }
    }

    /// The single pass: the whole image letterboxed into the input; candidates in the letterbox's unit square.
    func singlePassCandidates(_ image: RGBImage, threads: ThreadCount) throws -> ([Candidate], Letterbox) {
        let n = configuration.variant.inputSize
        return try pool.with(fits: { $0.batch == 1 }, make: { try BlazeFaceNetwork.Workspace(network: network, batch: 1) }) { ws in
            let box = image.letterboxResized(to: n, scale: 1 / 127.5, offset: -1, into: ws.input.data)
            try network.forward(ws, batch: 1, threads: threads)
            var scores = [Float](repeating: 0, count: BlazeFaceOutputs.anchors)
            var regressors = [Float](repeating: 0, count: BlazeFaceOutputs.anchors * 16)
            scores.withUnsafeMutableBufferPointer { s in
                regressors.withUnsafeMutableBufferPointer { r in
                    network.collect(ws, image: 0, scores: s.baseAddress!, regressors: r.baseAddress!)
                }
            }
            return (DetectionDecoder.candidates(scores: scores, regressors: regressors, inputSize: n,
                                                minimumScore: configuration.minimumScore), box)
        }
    }

    /// The raw network outputs for preprocessed input (`[batch, n, n, 3]` floats in [−1, 1], NHWC).
    public func rawOutputs(input: [Float], batch: Int = 1) throws -> BlazeFaceOutputs {
        let n = configuration.variant.inputSize
        guard batch > 0, input.count == batch * n * n * 3 else {
            throw FaceKitError.invalidArgument("expected \(batch)x\(n)x\(n)x3 = \(batch * n * n * 3) input values, got \(input.count)")
        }
        return try pool.with(fits: { $0.batch >= batch }, make: { try BlazeFaceNetwork.Workspace(network: network, batch: batch) }) { ws in
            input.withUnsafeBufferPointer { ws.input.data.update(from: $0.baseAddress!, count: input.count) }
            try network.forward(ws, batch: batch, threads: configuration.threads)
            let anchors = BlazeFaceOutputs.anchors
            var out = BlazeFaceOutputs(scores: [Float](repeating: 0, count: batch * anchors), regressors: [Float](repeating: 0, count: batch * anchors * 16), batch: batch)
            for b in 0..<batch {
                out.scores.withUnsafeMutableBufferPointer { s in
                    out.regressors.withUnsafeMutableBufferPointer { r in
                        network.collect(ws, image: b, scores: s.baseAddress! + b * anchors, regressors: r.baseAddress! + b * anchors * 16)
                    }
                }
            }
            return out
        }
    }
}
