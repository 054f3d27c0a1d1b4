// 1:1 verification against a threshold.

/// The outcome of comparing two embeddings.
public struct Verification: Sendable, Equatable, Codable {
    /// Cosine similarity in [−1, 1]; higher is more alike.
    public let similarity: Float
    /// Euclidean distance of the normalised embeddings, in [0, 2].
    public let distance: Float
    /// The threshold the similarity was compared with.
    public let threshold: Float
    /// Whether `similarity >= threshold`: the faces are judged to be the same person.
    public let isMatch: Bool
}

/// Decides whether two embeddings show the same person.
///
/// The default threshold, ``defaultThreshold`` = 0.37, was measured on the sample photos of the
/// FaceKit repository's test data: 11 single-person photos of 6 people plus the two faces of a
/// two-person photo (9 same-person and 69 different-person pairs), through the default pipeline
/// (BlazeFace back, keypoints refined by BlazeFace front on a close-up, template alignment,
/// SE-MobileFaceNet). Same-person pairs scored 0.41 … 0.98 (the lowest: a profile view against a
/// portrait), different-person pairs −0.15 … 0.33 (the highest: two NASA portraits with the same
/// backdrop); 0.37 is the middle of that gap. That is a very small sample: pick your own threshold
/// for a target false-accept rate with labelled photos of your own (`facekit evaluate`).
public struct FaceMatcher: Sendable, Equatable {
    /// The measured default threshold on cosine similarity.
    public static let defaultThreshold: Float = 0.37

    /// The cosine-similarity threshold at or above which two faces match.
    public var threshold: Float

    public init(threshold: Float = FaceMatcher.defaultThreshold) {
        self.threshold = threshold
    }

    /// Compares two embeddings.
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the embeddings differ in length.
    public func verify(_ a: FaceEmbedding, _ b: FaceEmbedding) throws -> Verification {
        let s = try a.cosineSimilarity(to: b)
        return Verification(similarity: s, distance: try a.euclideanDistance(to: b), threshold: threshold, isMatch: s >= threshold)
    }
}
