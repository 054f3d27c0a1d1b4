// Comparing embeddings: cosine similarity and Euclidean distance. The dot product is the
// tensor layer's f32-dot micro-kernel (FMA where the CPU has it), tested there.
import FaceKitTensor

/// Σ a[i]·b[i] over `n` elements, on the process's kernel variant.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, kernels: KernelConfiguration = .current) -> Float {
    VectorOps.dot(a, b, count: n, kernels: kernels)
}

/// Cosine similarity of two equally long vectors (0 if either is zero).
///
/// - Throws: ``FaceKitError/invalidArgument(_:)`` when the lengths differ (embeddings of
///   different models or dimensions cannot be compared).
public func cosineSimilarity(_ a: [Float], _ b: [Float]) throws -> Float {
    try requireSameLength(a, b)
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            let n = a.count
            guard n > 0 else { return 0 }
            let ab = dot(pa.baseAddress!, pb.baseAddress!, n)
            let aa = dot(pa.baseAddress!, pa.baseAddress!, n), bb = dot(pb.baseAddress!, pb.baseAddress!, n)
            return aa > 0 && bb > 0 ? ab / (aa.squareRoot() * bb.squareRoot()) : 0
        }
    }
}

/// Euclidean distance of two equally long vectors.
///
/// - Throws: ``FaceKitError/invalidArgument(_:)`` when the lengths differ.
public func euclideanDistance(_ a: [Float], _ b: [Float]) throws -> Float {
    try requireSameLength(a, b)
    var acc = SIMD8<Float>()
    var tail: Float = 0
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            var i = 0
            while i + 8 <= a.count {
                let d = UnsafeRawPointer(pa.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                    - UnsafeRawPointer(pb.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                acc += d * d
                i += 8
            }
            while i < a.count { let d = pa[i] - pb[i]; tail += d * d; i += 1 }
        }
    }
    return (acc.sum() + tail).squareRoot()
}

private func requireSameLength(_ a: [Float], _ b: [Float]) throws {
    guard a.count == b.count else {
        throw FaceKitError.invalidArgument("cannot compare vectors of \(a.count) and \(b.count) values: embeddings of different models or dimensions are not comparable")
    }
}
