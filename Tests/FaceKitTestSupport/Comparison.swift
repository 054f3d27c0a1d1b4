// The one way tests compare floating-point results: a NaN anywhere, or a length mismatch,
// makes the difference NaN, and NaN fails every `<=` check.

/// The worst element-wise difference between two float sequences.
public struct Difference: Sendable, CustomStringConvertible {
    /// The largest difference; NaN when either side holds a NaN (or an infinity the other
    /// side does not match), or when the lengths differ.
    public let value: Float
    /// Where `value` was found (the first NaN, if any); −1 for a length mismatch or empty input.
    public let index: Int

    /// True when the difference is finite and at most `tolerance`.
    public func isWithin(_ tolerance: Float) -> Bool { value <= tolerance }

    public var description: String {
        index < 0 && value.isNaN ? "length mismatch" : "\(value) at index \(index)"
    }
}

/// max |a[i] − b[i]|, or max |a[i] − b[i]| / max(1, |b[i]|) when `relative`, NaN-propagating.
public func worstDifference<A: Collection, B: Collection>(_ a: A, _ b: B, relative: Bool = false) -> Difference
where A.Element == Float, B.Element == Float {
    guard a.count == b.count else { return Difference(value: .nan, index: -1) }
    var worst: Float = 0, at = -1, i = 0
    for (x, y) in zip(a, b) {
        var d = abs(x - y)
        if x == y { d = 0 }   // equal infinities are no difference
        if relative { d /= max(1, abs(y)) }
        if d.isNaN { return Difference(value: .nan, index: i) }
        if d > worst || at < 0 { worst = d; at = i }
        i += 1
    }
    return Difference(value: worst, index: at)
}

/// max |x| over a sequence, NaN when any element is NaN.
public func largestMagnitude<S: Sequence>(_ values: S) -> Float where S.Element == Float {
    var m: Float = 0
    for v in values {
        if v.isNaN { return .nan }
        m = max(m, abs(v))
    }
    return m
}

/// Cosine similarity accumulated in Double; NaN when a vector is zero, contains a NaN, or the lengths differ.
public func cosineInDouble(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return .nan }
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in a.indices {
        dot += Double(a[i]) * Double(b[i]); na += Double(a[i]) * Double(a[i]); nb += Double(b[i]) * Double(b[i])
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

/// The largest of `values`, NaN when any is NaN or there are none (`Sequence.max()` skips a NaN
/// anywhere but at the start, and `Swift.max(a, b)` drops a NaN in `b`).
public func largest<S: Sequence>(_ values: S) -> S.Element where S.Element: FloatingPoint {
    var result = S.Element.nan, first = true
    for v in values {
        if v.isNaN { return .nan }
        if first || v > result { result = v; first = false }
    }
    return result
}

/// The smallest of `values`, NaN when any is NaN or there are none.
public func smallest<S: Sequence>(_ values: S) -> S.Element where S.Element: FloatingPoint {
    -largest(values.lazy.map { -$0 })
}
