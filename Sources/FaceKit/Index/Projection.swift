// Principal component analysis for `facekit gallery plot`: every embedding projected onto the
// two directions along which the gallery varies most, so that clusters (one per person) and
// outlier enrolments show on a flat map.

/// A linear projection onto the principal components of a set of vectors.
public struct PrincipalComponents: Sendable, Equatable {
    /// The mean vector that is subtracted before projecting.
    public let mean: [Float]
    /// The components, unit vectors, in order of decreasing variance. Each is signed so that
    /// its largest-magnitude entry is positive (the lowest index among equals), which makes
    /// the projection deterministic.
    public let components: [[Float]]
    /// The variance of the vectors along each component.
    public let variances: [Float]
    /// The total variance of the vectors (the covariance matrix's trace): `variances` summed
    /// over it is the share of the spread the components show.
    public let totalVariance: Float

    /// Fits `count` components to `vectors` (all of one length), by power iteration with
    /// deflation on the covariance matrix (accumulated in double precision). At most
    /// `sampleLimit` vectors, evenly spaced, are used to fit; all can still be projected.
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` when there are no vectors, their lengths
    ///   differ or are zero, or `count` is not between 1 and the length.
    public init(fitting vectors: [[Float]], count: Int = 2, sampleLimit: Int = 50_000) throws {
        guard let d = vectors.first?.count, d > 0 else { throw GalleryError.invalidArgument("PCA needs at least one non-empty vector") }
        guard vectors.allSatisfy({ $0.count == d }) else { throw GalleryError.invalidArgument("PCA needs vectors of one length") }
        guard count >= 1, count <= d else { throw GalleryError.invalidArgument("PCA: \(count) components of \(d)-d vectors") }
        let step = max(1, (vectors.count + sampleLimit - 1) / max(1, sampleLimit))
        let sample = stride(from: 0, to: vectors.count, by: step).map { vectors[$0] }
        var mean = [Double](repeating: 0, count: d)
        for v in sample { for i in 0..<d { mean[i] += Double(v[i]) } }
        for i in 0..<d { mean[i] /= Double(sample.count) }
        // Covariance (population), d × d, symmetric.
        var cov = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        for v in sample {
            for i in 0..<d { centred[i] = Double(v[i]) - mean[i] }
            for i in 0..<d where centred[i] != 0 {
                let ci = centred[i]
                for j in i..<d { cov[i * d + j] += ci * centred[j] }
            }
        }
        let n = Double(sample.count)
        for i in 0..<d { for j in i..<d { cov[i * d + j] /= n; cov[j * d + i] = cov[i * d + j] } }
        let trace = (0..<d).reduce(0.0) { $0 + cov[$1 * d + $1] }
        var components: [[Float]] = [], variances: [Float] = []
        for c in 0..<count {
            // Start from a fixed vector not orthogonal to most directions.
            var v = (0..<d).map { 1 + Double(($0 * 7 + c * 3) % 11) / 10 }
            var lambda = 0.0
            for _ in 0..<500 {
                var w = [Double](repeating: 0, count: d)
                for i in 0..<d { var s = 0.0; for j in 0..<d { s += cov[i * d + j] * v[j] }; w[i] = s }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm < 1e-30 { lambda = 0; break }
                for i in 0..<d { w[i] /= norm }
                let change = zip(w, v).reduce(0) { $0 + abs($1.0 - $1.1) }
                v = w
                lambda = norm
                if change < 1e-12 { break }
            }
            // Deterministic sign: the largest-magnitude entry positive.
            var at = 0
            for i in 1..<d where abs(v[i]) > abs(v[at]) + 1e-12 { at = i }
            if v[at] < 0 { v = v.map { -$0 } }
            // Deflate: remove this component's variance.
            for i in 0..<d { for j in 0..<d { cov[i * d + j] -= lambda * v[i] * v[j] } }
            components.append(v.map { Float($0) })
            variances.append(Float(lambda))
        }
        self.mean = mean.map { Float($0) }
        self.components = components
        self.variances = variances
        self.totalVariance = Float(trace)
    }

    /// The coordinates of `vector` along each component.
    ///
    /// - Throws: ``GalleryError/invalidArgument(_:)`` when its length differs from the fitted vectors'.
    public func project(_ vector: [Float]) throws -> [Float] {
        guard vector.count == mean.count else {
            throw GalleryError.invalidArgument("PCA: a \(vector.count)-d vector for components of \(mean.count)-d vectors")
        }
        return components.map { c in
            var s: Float = 0
            for i in 0..<c.count { s += (vector[i] - mean[i]) * c[i] }
            return s
        }
    }
}
