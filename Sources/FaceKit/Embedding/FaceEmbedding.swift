// A face embedding: the 256-d vector the embedder produced, L2-normalised.

/// The embedding of one face.
public struct FaceEmbedding: Sendable, Equatable, Codable {
    /// The L2-normalised vector (``FaceEmbedder/dimension`` values for ``FaceEmbedder/model``).
    public let vector: [Float]
    /// The L2 norm of the raw network output.
    public let norm: Float

    /// Normalises a raw network output.
    public init(raw: [Float]) {
        var sq: Float = 0
        for v in raw { sq += v * v }
        let norm = sq.squareRoot()
        self.norm = norm
        vector = norm > 0 ? raw.map { $0 / norm } : raw
    }

    /// Wraps an already normalised vector (for example one read from a gallery).
    public init(normalized vector: [Float], norm: Float = 1) {
        self.vector = vector
        self.norm = norm
    }

    /// The raw network output (vector × norm).
    public var raw: [Float] { vector.map { $0 * norm } }

    /// Cosine similarity in [−1, 1]; for normalised vectors, their dot product.
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the two vectors differ in length.
    public func cosineSimilarity(to other: FaceEmbedding) throws -> Float {
        try FaceKit.cosineSimilarity(vector, other.vector)
    }

    /// Euclidean distance of the normalised vectors, in [0, 2] (= √(2 − 2·cosine)).
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the two vectors differ in length.
    public func euclideanDistance(to other: FaceEmbedding) throws -> Float {
        try FaceKit.euclideanDistance(vector, other.vector)
    }
}
