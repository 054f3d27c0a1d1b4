// The whole pipeline in one object: detect → align → embed → match.
import FaceKitImage
import FaceKitWeights

/// A face found in an image, aligned and embedded.
public struct RecognizedFace: Sendable {
    /// What the detector reported.
    public let detection: DetectedFace
    /// The aligned 112×112 crop the embedder saw.
    public let aligned: AlignedFace
    /// The face's embedding.
    public let embedding: FaceEmbedding
}

/// Detects, aligns and embeds faces, and compares them.
///
/// ```swift
/// let recognizer = try await FaceRecognizer()
/// let a = try ImageDecoder().decode(contentsOfFile: "alice-1.jpg")
/// let b = try ImageDecoder().decode(contentsOfFile: "alice-2.jpg")
/// let result = try recognizer.compare(a, b)
/// print(result.similarity, result.isMatch)
/// ```
///
/// Loading throws for missing or tampered weights. Every method is safe to call from many
/// tasks at once.
public final class FaceRecognizer: Sendable {
    /// Pipeline settings.
    public struct Configuration: Sendable, Equatable {
        /// The detector's settings (default: the back model).
        public var detector: FaceDetector.Configuration
        /// How each face is aligned before embedding (default ``AlignmentMethod/template``).
        public var alignment: AlignmentMethod
        /// The embedder's settings.
        public var embedder: FaceEmbedder.Configuration
        /// Verification threshold on cosine similarity (default ``FaceMatcher/defaultThreshold``).
        public var threshold: Float
        /// Refine each face's keypoints with the short-range model on a close-up crop before
        /// aligning (default true; used only when the detector is the back model).
        public var refinesKeypoints: Bool

        /// Creates a configuration; every default is the pipeline the default threshold was measured on.
        public init(detector: FaceDetector.Configuration = .init(), alignment: AlignmentMethod = .template,
                    embedder: FaceEmbedder.Configuration = .init(), threshold: Float = FaceMatcher.defaultThreshold,
                    refinesKeypoints: Bool = true) {
            self.detector = detector; self.alignment = alignment; self.embedder = embedder; self.threshold = threshold
            self.refinesKeypoints = refinesKeypoints
        }

        /// Whether this pipeline runs keypoint refinement, and so needs a front-model refiner:
        /// ``refinesKeypoints`` is on and the detector is the back model.
        public var needsKeypointRefiner: Bool { refinesKeypoints && detector.variant == .back }
    }

    /// The settings this recognizer was made with.
    public let configuration: Configuration
    /// Finds the faces.
    public let detector: FaceDetector
    /// Embeds the aligned crops.
    public let embedder: FaceEmbedder
    let aligner: any FaceAligner

    let refiner: KeypointRefiner?

    /// Loads the models through `store`: the detector, the short-range model for keypoint
    /// refinement when ``Configuration/needsKeypointRefiner``, and the embedder.
    ///
    /// - Throws: ``WeightsError`` when a model cannot be found, verified or loaded.
    public convenience init(configuration: Configuration = Configuration(), store: WeightStore = WeightStore()) async throws {
        let detector = try await FaceDetector(configuration: configuration.detector, store: store)
        let embedder = try await FaceEmbedder(configuration: configuration.embedder, store: store)
        var refiner: FaceDetector? = nil
        if configuration.needsKeypointRefiner {
            refiner = try await FaceDetector(configuration: .init(variant: .front, threads: configuration.detector.threads), store: store)
        }
        try self.init(configuration: configuration, detector: detector, embedder: embedder, refiner: refiner)
    }

    /// Assembles a recognizer from loaded parts.
    ///
    /// - Parameters:
    ///   - configuration: The pipeline; `detector` and `embedder` must have been made with its
    ///     ``Configuration/detector`` and ``Configuration/embedder`` settings.
    ///   - detector: The face detector.
    ///   - embedder: The embedder.
    ///   - refiner: A front-model detector. Required when ``Configuration/needsKeypointRefiner``
    ///     (the default pipeline), ignored otherwise.
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when a part's configuration differs from
    ///   the recognizer's, or the refiner is missing or not the front model.
    public init(configuration: Configuration = Configuration(), detector: FaceDetector, embedder: FaceEmbedder,
                refiner: FaceDetector? = nil) throws {
        guard detector.configuration == configuration.detector else {
            throw FaceKitError.invalidArgument("the detector's configuration differs from the recognizer's")
        }
        guard embedder.configuration == configuration.embedder else {
            throw FaceKitError.invalidArgument("the embedder's configuration differs from the recognizer's")
        }
        if let refiner, refiner.configuration.variant != .front {
            throw FaceKitError.invalidArgument("the keypoint refiner must be a front-model detector")
        }
        if configuration.needsKeypointRefiner && refiner == nil {
            throw FaceKitError.invalidArgument(
                "keypoint refinement is on with the back detector but no refiner was given; pass a front-model detector as refiner, or set refinesKeypoints to false")
        }
        self.configuration = configuration
        self.detector = detector
        self.embedder = embedder
        self.refiner = configuration.needsKeypointRefiner ? refiner.map { KeypointRefiner(detector: $0) } : nil
        aligner = configuration.alignment.aligner
    }

    private init(configuration: Configuration, detector: FaceDetector, sharing other: FaceRecognizer) {
        self.configuration = configuration
        self.detector = detector
        embedder = other.embedder
        refiner = other.refiner
        aligner = other.aligner
    }

    /// This pipeline with other detection settings and threshold, sharing this recognizer's
    /// loaded models (see ``FaceDetector/reconfigured(_:)``): per-call options, such as a server
    /// request's minimum score, minimum face size, tiling or threshold.
    ///
    /// - Parameters:
    ///   - detector: The detection settings (default: this recognizer's); the
    ///     ``FaceDetector/Configuration/variant`` must stay the same.
    ///   - threshold: The verification threshold (default: this recognizer's).
    /// - Returns: This recognizer when nothing changes, else a new one.
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` for another detector variant, settings out
    ///   of range, or a threshold outside [−1, 1].
    public func reconfigured(detector: FaceDetector.Configuration? = nil, threshold: Float? = nil) throws -> FaceRecognizer {
        var changed = configuration
        if let detector { changed.detector = detector }
        if let threshold {
            guard (-1...1).contains(threshold) else { throw FaceKitError.invalidArgument("the threshold must lie in [-1, 1], got \(threshold)") }
            changed.threshold = threshold
        }
        guard changed != configuration else { return self }
        return FaceRecognizer(configuration: changed, detector: try self.detector.reconfigured(changed.detector), sharing: self)
    }

    /// The matcher for the configured threshold.
    public var matcher: FaceMatcher { FaceMatcher(threshold: configuration.threshold) }

    /// Every face in `image`, best detection score first, with its crop and embedding.
    public func faces(in image: RGBImage) throws -> [RecognizedFace] {
        try faces(in: [image])[0]
    }

    /// Every face in each image; detection runs as one batch, embedding in batches.
    public func faces(in images: [RGBImage]) throws -> [[RecognizedFace]] {
        let detections = try detector.detect(in: images)
        var aligned: [AlignedFace] = []
        for (image, faces) in zip(images, detections) {
            for face in faces { aligned.append(try aligner.align(try refinedDetection(of: face, in: image), in: image)) }
        }
        let embeddings = try embedder.embeddings(of: aligned)
        var k = 0
        return detections.map { faces in
            faces.map { face in
                defer { k += 1 }
                return RecognizedFace(detection: face, aligned: aligned[k], embedding: embeddings[k])
            }
        }
    }

    /// The main face of `image`: the one with the highest detection score.
    public func mainFace(in image: RGBImage, source: String = "<image>") throws -> RecognizedFace {
        guard let best = try detector.detect(in: image).first else { throw FaceKitError.noFace(source: source) }
        let aligned = try aligner.align(try refinedDetection(of: best, in: image), in: image)
        return RecognizedFace(detection: best, aligned: aligned, embedding: try embedder.embedding(of: aligned))
    }

    /// The face of `image` that `choice` picks, aligned and embedded: the face to enrol from a
    /// photo that should show one person.
    ///
    /// Unlike ``mainFace(in:source:)``, which silently takes the highest-scoring face, the
    /// default choice refuses a photo with several faces, so a group photo never enrols a
    /// stranger. Only the chosen face is aligned and embedded.
    ///
    /// - Parameters:
    ///   - image: The photo.
    ///   - choice: Which face to use (default ``FaceChoice/only``).
    ///   - source: Names the photo in errors.
    /// - Throws: ``FaceKitError/noFace(source:)`` without a face,
    ///   ``FaceKitError/multipleFaces(source:faces:)`` when several faces leave ``FaceChoice/only``
    ///   undecided (the error lists each face's box and score), and
    ///   ``FaceKitError/noSuchFace(source:index:faces:)`` for an index the photo does not have.
    public func face(in image: RGBImage, choosing choice: FaceChoice = .only, source: String = "<image>") throws -> RecognizedFace {
        let detections = try detector.detect(in: image)
        let chosen = detections[try choice.position(among: detections, source: source)]
        let aligned = try aligner.align(try refinedDetection(of: chosen, in: image), in: image)
        return RecognizedFace(detection: chosen, aligned: aligned, embedding: try embedder.embedding(of: aligned))
    }

    /// Whether this recognizer re-detects each face's keypoints with the front model before
    /// aligning it (a front-model detector is loaded for it).
    public var refinesKeypoints: Bool { refiner != nil }

    /// `face` as this recognizer aligns it: with its keypoints re-detected by the front model on
    /// a crop around the face when ``refinesKeypoints`` is true, else unchanged.
    ///
    /// - Parameters:
    ///   - face: A face the recognizer's detector found in `image`.
    ///   - image: The image the face was found in.
    public func refinedDetection(of face: DetectedFace, in image: RGBImage) throws -> DetectedFace {
        try refiner?.refine(face, in: image) ?? face
    }

    /// The embedding of the main face of `image`; throws ``FaceKitError/noFace(source:)`` without one.
    public func embedding(of image: RGBImage, source: String = "<image>") throws -> FaceEmbedding {
        try mainFace(in: image, source: source).embedding
    }

    /// Compares the main faces of two images with the configured threshold.
    public func compare(_ a: RGBImage, _ b: RGBImage) throws -> Verification {
        try verify(try embedding(of: a, source: "first image"), try embedding(of: b, source: "second image"))
    }

    /// Compares two embeddings with `threshold` (default: the configured one).
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the embeddings differ in length.
    public func verify(_ a: FaceEmbedding, _ b: FaceEmbedding, threshold: Float? = nil) throws -> Verification {
        try FaceMatcher(threshold: threshold ?? configuration.threshold).verify(a, b)
    }
}
