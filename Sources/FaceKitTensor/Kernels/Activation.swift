// The activation fused into the end of every kernel, and its plain reference.
// The micro-kernels apply it in raw form (`Epilogue`, see KernelConfiguration.swift).

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
