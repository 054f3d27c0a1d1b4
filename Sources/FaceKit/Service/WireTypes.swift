// The JSON shapes of FaceKit's results, shared by the `facekit` command line (`--json`) and the
// HTTP service (`facekit serve`): one set of Codable types, so the two never drift apart.
// Keys are public API (see README, "Compatibility"). Numbers are rounded as the CLI always
// printed them: pixel coordinates to 2 decimals, scores and similarities to 4, embedding
// values to 6.
import Foundation

/// Rounds `value` to `digits` decimals (the precision of the JSON reports).
@inlinable func reportRounded(_ value: Double, _ digits: Int) -> Double {
    guard value.isFinite else { return value }
    let p = pow(10, Double(digits))
    return (value * p).rounded() / p
}

/// The six BlazeFace keypoints of a face, each as `[x, y]` in pixels of the upright image.
public struct KeypointsReport: Codable, Sendable, Equatable {
    public var rightEye: [Double]
    public var leftEye: [Double]
    public var noseTip: [Double]
    public var mouthCenter: [Double]
    public var rightEarTragion: [Double]
    public var leftEarTragion: [Double]

    /// The keypoints of `keypoints`, rounded to 2 decimals.
    public init(_ keypoints: FaceKeypoints) {
        func p(_ q: PixelPoint) -> [Double] { [reportRounded(q.x, 2), reportRounded(q.y, 2)] }
        rightEye = p(keypoints.rightEye); leftEye = p(keypoints.leftEye); noseTip = p(keypoints.noseTip)
        mouthCenter = p(keypoints.mouthCenter); rightEarTragion = p(keypoints.rightEarTragion); leftEarTragion = p(keypoints.leftEarTragion)
    }

    enum CodingKeys: String, CodingKey { case rightEye, leftEye, noseTip, mouthCenter, rightEarTragion, leftEarTragion }
}

/// One gallery match: a person and the similarity of their best embedding to the face.
public struct MatchReport: Codable, Sendable, Equatable {
    /// The person.
    public var identifier: String
    /// Cosine similarity, rounded to 4 decimals.
    public var similarity: Double

    /// The report of `match`.
    public init(_ match: GalleryMatch) {
        identifier = match.identifier
        similarity = reportRounded(Double(match.similarity), 4)
    }
}

/// One face: its box, detection score and keypoints, and when computed its embedding, identity
/// and gallery matches.
///
/// `identity` is encoded (as `null` when unknown) whenever `matches` is present.
public struct FaceReport: Codable, Sendable, Equatable {
    /// The face's box in pixels of the upright image (2 decimals).
    public var box: BoundingBox
    /// The detection score in [0, 1] (4 decimals).
    public var score: Double
    /// The six keypoints.
    public var keypoints: KeypointsReport
    /// The L2-normalised embedding (6 decimals), when requested.
    public var embedding: [Double]?
    /// The identified person, or nil when unknown or not identified.
    public var identity: String?
    /// The best gallery matches, best first, when the face was identified.
    public var matches: [MatchReport]?

    /// The report of a detection.
    public init(_ face: DetectedFace) {
        box = BoundingBox(x: reportRounded(face.box.x, 2), y: reportRounded(face.box.y, 2),
                          width: reportRounded(face.box.width, 2), height: reportRounded(face.box.height, 2))
        score = reportRounded(face.score, 4)
        keypoints = KeypointsReport(face.keypoints)
    }

    /// The report of a recognized face, with its embedding when `includesEmbedding`.
    public init(_ face: RecognizedFace, includesEmbedding: Bool) {
        self.init(face.detection)
        if includesEmbedding { embedding = FaceReport.values(of: face.embedding) }
    }

    /// The report of an identified face: the detection, the identity and matches.
    public init(_ face: RecognizedFace, identification: GalleryIdentification) {
        self.init(face.detection)
        identity = identification.identity
        matches = identification.matches.map(MatchReport.init)
    }

    /// An embedding's values, rounded to 6 decimals.
    public static func values(of embedding: FaceEmbedding) -> [Double] {
        embedding.vector.map { reportRounded(Double($0), 6) }
    }

    enum CodingKeys: String, CodingKey { case box, score, keypoints, embedding, identity, matches }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        box = try c.decode(BoundingBox.self, forKey: .box)
        score = try c.decode(Double.self, forKey: .score)
        keypoints = try c.decode(KeypointsReport.self, forKey: .keypoints)
        embedding = try c.decodeIfPresent([Double].self, forKey: .embedding)
        identity = try c.decodeIfPresent(String.self, forKey: .identity)
        matches = try c.decodeIfPresent([MatchReport].self, forKey: .matches)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(box, forKey: .box)
        try c.encode(score, forKey: .score)
        try c.encode(keypoints, forKey: .keypoints)
        try c.encodeIfPresent(embedding, forKey: .embedding)
        if let matches {
            try c.encode(identity, forKey: .identity)   // null when unknown
            try c.encode(matches, forKey: .matches)
        } else {
            try c.encodeIfPresent(identity, forKey: .identity)
        }
    }
}

/// The faces of one image: what `facekit detect|embed|identify --json` print per image and
/// what `POST /v1/detect|embed|identify` return.
public struct ImageReport: Codable, Sendable, Equatable {
    /// The image's path (command line) or nil (service).
    public var image: String?
    /// The upright image's width in pixels (detection reports).
    public var width: Int?
    /// The upright image's height in pixels (detection reports).
    public var height: Int?
    /// The identification threshold (identification reports).
    public var threshold: Double?
    /// The faces, best detection score first.
    public var faces: [FaceReport]

    /// Creates a report.
    public init(image: String? = nil, width: Int? = nil, height: Int? = nil, threshold: Float? = nil, faces: [FaceReport]) {
        self.image = image; self.width = width; self.height = height
        self.threshold = threshold.map { reportRounded(Double($0), 4) }
        self.faces = faces
    }

    enum CodingKeys: String, CodingKey { case image, width, height, threshold, faces }
}

/// The comparison of the main faces of two images.
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// The first image's path (command line) or nil (service).
    public var first: String?
    /// The second image's path (command line) or nil (service).
    public var second: String?
    /// Cosine similarity (4 decimals).
    public var similarity: Double
    /// Euclidean distance of the normalised embeddings (4 decimals).
    public var distance: Double
    /// The threshold the verdict used (4 decimals).
    public var threshold: Double
    /// Whether the similarity clears the threshold.
    public var match: Bool

    /// The report of `verification`.
    public init(_ verification: Verification, first: String? = nil, second: String? = nil) {
        self.first = first; self.second = second
        similarity = reportRounded(Double(verification.similarity), 4)
        distance = reportRounded(Double(verification.distance), 4)
        threshold = reportRounded(Double(verification.threshold), 4)
        match = verification.isMatch
    }

    enum CodingKeys: String, CodingKey { case first, second, similarity, distance, threshold, match }
}

/// One enrolled person as the service lists them.
public struct PersonReport: Codable, Sendable, Equatable {
    /// The person's identifier.
    public var identifier: String
    /// How many embeddings are stored.
    public var embeddings: Int
    /// The person's metadata.
    public var metadata: [String: String]

    /// The report of an index listing entry.
    public init(_ person: IndexedPerson) {
        identifier = person.identifier; embeddings = person.embeddingCount; metadata = person.metadata
    }
}
