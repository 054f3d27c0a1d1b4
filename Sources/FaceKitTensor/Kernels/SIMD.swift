// The vector type every kernel is written in, and the fused epilogue.
//
// Kernels use `F32x8` (8 lanes: one AVX/AVX2 register, two SSE or NEON registers) and
// `madd`. A build for a CPU with FMA (for example
// `-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DFACEKIT_FMA`) turns `madd` into
// one fused multiply-add; a baseline x86-64 build keeps `acc + a * b`, because
// `addingProduct` without an FMA target becomes a library call per lane. Every arm64 CPU
// (Apple silicon, Graviton) has vector FMA, so arm64 builds always fuse.

typealias F32x8 = SIMD8<Float>

@inline(__always)
func madd(_ acc: F32x8, _ a: F32x8, _ b: F32x8) -> F32x8 {
    #if FACEKIT_FMA || arch(arm64)
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> F32x8 {
    UnsafeRawPointer(p).loadUnaligned(as: F32x8.self)
}

@inline(__always)
func store8(_ v: F32x8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F32x8.self)
}

/// The activation fused into the end of a kernel.
public enum Activation: Sendable {
    /// No activation.
    case identity
    /// max(x, 0).
    case relu
    /// x for x > 0, slope[c]·x otherwise; `slopes` holds one value per output channel.
    case prelu(slopes: Tensor)
    /// 1 / (1 + e^−x).
    case sigmoid

    /// Checks that PReLU slopes cover `channels`.
    func validate(channels: Int, operation: String) throws {
        if case let .prelu(slopes) = self, slopes.count != channels {
            throw TensorError.shapeMismatch(
                operation: operation, expected: "\(channels) PReLU slopes", actual: "\(slopes.count)")
        }
    }
}

/// Raw form of an activation for the inner loops.
struct EpilogueKind {
    enum Kind { case identity, relu, prelu, sigmoid }
    let kind: Kind
    let slopes: UnsafePointer<Float>?

    init(_ activation: Activation) {
        switch activation {
        case .identity: kind = .identity; slopes = nil
        case .relu: kind = .relu; slopes = nil
        case let .prelu(s): kind = .prelu; slopes = UnsafePointer(s.data)
        case .sigmoid: kind = .sigmoid; slopes = nil
        }
    }

    /// Applies the activation to 8 channels starting at channel `c`.
    @inline(__always)
    func apply(_ v: F32x8, channel c: Int) -> F32x8 {
        switch kind {
        case .identity: return v
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .prelu: return v.replacing(with: v * load8(slopes! + c), where: v .< 0)
        case .sigmoid:
            var r = v
            for i in 0..<8 { r[i] = 1 / (1 + expf32(-v[i])) }
            return r
        }
    }

    /// Applies the activation to one value of channel `c`.
    @inline(__always)
    func apply(_ v: Float, channel c: Int) -> Float {
        switch kind {
        case .identity: return v
        case .relu: return v < 0 ? 0 : v
        case .prelu: return v < 0 ? v * slopes![c] : v
        case .sigmoid: return 1 / (1 + expf32(-v))
        }
    }
}

/// The activation as the references compute it: plain scalar code.
func referenceActivation(_ v: Float, _ activation: Activation, channel c: Int) -> Float {
    switch activation {
    case .identity: return v
    case .relu: return max(v, 0)
    case let .prelu(slopes): return v > 0 ? v : slopes.data[c] * v
    case .sigmoid: return 1 / (1 + expf32(-v))
    }
}

func requireShape(_ t: Tensor, _ expected: TensorShape, _ op: String) throws {
    guard t.shape == expected else {
        throw TensorError.shapeMismatch(operation: op, expected: "\(expected)", actual: "\(t.shape)")
    }
}
