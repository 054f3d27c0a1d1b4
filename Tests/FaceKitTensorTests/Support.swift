import FaceKitTensor
import FaceKitTestSupport
import Testing

func randomTensor(_ shape: TensorShape, _ rng: inout SeededRandom) -> Tensor {
    try! Tensor(shape: shape, values: rng.floats(shape.count))
}

/// The tolerance rule for every kernel test: a result summing K products of values in
/// [-1, 1] may differ from the Double-accumulated reference by at most 1e-5·K·(1 + scale)
/// absolute, where scale is the largest magnitude the reference produced (so
/// activations that amplify, like sigmoid of large values, are covered too). A NaN on
/// either side fails (`worstDifference`).
func expectClose(_ fast: Tensor, _ reference: Tensor, k: Int, _ context: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fast.shape == reference.shape, "\(context): shape", sourceLocation: sourceLocation)
    let ref = UnsafeBufferPointer(start: reference.data, count: reference.count)
    let scale = largestMagnitude(ref)
    let tolerance = 1e-5 * Float(max(k, 1)) * (1 + scale)
    let d = worstDifference(UnsafeBufferPointer(start: fast.data, count: fast.count), ref)
    #expect(d.isWithin(tolerance), "\(context): max |diff| \(d) > tolerance \(tolerance) (K=\(k))",
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

/// Pools of 2, 3 and 8 participants, made once: even on a 2-core machine the kernels'
/// threaded paths then run with 3 and 8 workers.
let testPools: [Int: WorkerPool] = [2: WorkerPool(workers: 1), 3: WorkerPool(workers: 2), 8: WorkerPool(workers: 7)]

/// One way to run a kernel: a micro-kernel variant, and either one thread or threads forced
/// on (every size splits) over a pool of `threads` participants.
struct KernelRun: CustomTestStringConvertible, Sendable {
    let kernels: KernelConfiguration
    let threads: Int
    var testDescription: String { "\(kernels.name), \(threads == 1 ? "1 thread" : "\(threads) threads forced")" }

    /// Every variant this CPU can execute (plus the AVX-512 layout from the AVX2 module), each
    /// on 1 thread and with threads forced on at 2, 3 and 8.
    static let all: [KernelRun] = KernelConfiguration.testVariants.flatMap { k in [1, 2, 3, 8].map { KernelRun(kernels: k, threads: $0) } }
    /// Every variant on one thread.
    static let single: [KernelRun] = KernelConfiguration.testVariants.map { KernelRun(kernels: $0, threads: 1) }

    var threadCount: ThreadCount { ThreadCount(threads) }

    /// Runs `body` (a whole sweep) under this run's threading: threads forced on over the pool
    /// of `threads` participants, and a check that jobs really ran on that pool.
    func callAsFunction(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) rethrows {
        guard threads > 1, let pool = testPools[threads] else { return try body() }
        let before = pool.completedJobCount
        try Tuning.$current.withValue(.alwaysThreaded(on: pool)) { try body() }
        #expect(pool.completedJobCount > before, "\(testDescription): no job ran on the pool",
                sourceLocation: sourceLocation)
    }
}
