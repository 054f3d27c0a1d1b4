import FaceKitTensor
import FaceKitTestSupport
import Testing

func randomTensor(_ shape: TensorShape, _ rng: inout SeededRandom) -> Tensor {
    try! Tensor(shape: shape, values: rng.floats(shape.count))
}

/// The tolerance rule for every kernel test: a result summing K products of values in
/// [-1, 1] may differ from the Double-accumulated reference by at most 1e-5·K·(1 + scale)
/// absolute, where scale is the largest magnitude the reference produced (so
/// activations that amplify, like sigmoid of large values, are covered too).
func expectClose(_ fast: Tensor, _ reference: Tensor, k: Int, _ context: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fast.shape == reference.shape, "\(context): shape", sourceLocation: sourceLocation)
    var scale: Float = 0
    for i in 0..<reference.count { scale = max(scale, abs(reference.data[i])) }
    let tolerance = 1e-5 * Float(max(k, 1)) * (1 + scale)
    var worst: Float = 0, worstIndex = 0
    for i in 0..<min(fast.count, reference.count) {
        let d = abs(fast.data[i] - reference.data[i])
        if !(d <= worst) { worst = d; worstIndex = i }   // NaN counts as worst
    }
    #expect(worst <= tolerance,
            "\(context): max |diff| \(worst) at \(worstIndex) > tolerance \(tolerance) (K=\(k))",
            sourceLocation: sourceLocation)
}

/// Channel counts the kernel tests sweep.
let sweepChannels = [1, 3, 13, 16, 24, 31, 48, 96, 127, 128, 256]

enum ActivationCase: String, CaseIterable, CustomTestStringConvertible {
    case identity, relu, prelu, sigmoid
    var testDescription: String { rawValue }
    func make(channels: Int, _ rng: inout SeededRandom) -> Activation {
        switch self {
        case .identity: return .identity
        case .relu: return .relu
        case .prelu: return .prelu(slopes: randomTensor(TensorShape(1, 1, 1, channels), &rng))
        case .sigmoid: return .sigmoid
        }
    }
}
