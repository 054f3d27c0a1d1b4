import FaceKitKernelABI

// Pointwise (1×1) convolution as a register-blocked GEMM over pre-packed weights.
//
//   input   [M, K]   M = N·H·W pixels, K = input channels (NHWC rows)
//   weights [K, N]   TensorFlow's [1, 1, K, N], N = output channels
//   output  [M, N]   = act(input · weights + bias [+ residual])
//
// Packed layout (XNNPACK style): panels of W output channels, each [W bias][K × W weights],
// zero-padded past N; W is chosen per layer by the kernel configuration (16 for the 8-lane
// f32-gemm 6x16 of the baseline and AVX2 variants, 24 for their 3x24 where N is a multiple of
// 24, 32 for AVX2's 3x32 where N is a multiple of 32 and for AVX-512's 16-lane 6x32). The
// micro-kernels live in `MicroKernels/Source/GEMM.swift`; this file packs, validates and splits
// the work between threads.

/// Pointwise weights packed in panels with the bias first, for one kernel configuration.
public struct PackedPointwiseWeights: Sendable {
    /// K, the input channels.
    public let inputChannels: Int
    /// N, the output channels.
    public let outputChannels: Int
    /// The micro-kernels these weights are packed for, and that run them.
    public let kernels: KernelConfiguration
    /// Panel width in output channels (chosen for N by the configuration).
    public let panelWidth: Int
    /// Rows of the input per GEMM tile (the micro-kernel is f32-gemm `rowTile`x`panelWidth`).
    public let rowTile: Int
    let panels: Int
    let storage: AlignedBuffer

    /// Packs `weights` ([K, N] row-major, TensorFlow's HWIO for a 1×1 kernel) and `bias` ([N] or nil)
    /// for `kernels` (by default the process's ``KernelConfiguration/current``).
    public init(weights: [Float], bias: [Float]?, inputChannels k: Int, outputChannels n: Int,
                kernels: KernelConfiguration = .current) throws {
        guard k > 0, n > 0 else {
            throw TensorError.invalidArgument(operation: "pointwise pack", reason: "empty weights \(k)x\(n)")
        }
        guard weights.count == k * n else {
            throw TensorError.shapeMismatch(operation: "pointwise pack", expected: "\(k * n) weights", actual: "\(weights.count)")
        }
        if let bias, bias.count != n {
            throw TensorError.shapeMismatch(operation: "pointwise pack", expected: "\(n) biases", actual: "\(bias.count)")
        }
        inputChannels = k
        outputChannels = n
        self.kernels = kernels
        let (width, rows) = kernels.table.gemmTile(n)
        panelWidth = width
        rowTile = rows
        panels = (n + width - 1) / width
        let stride = width * (k + 1)
        storage = AlignedBuffer(count: panels * stride)
        let p = storage.pointer
        for panel in 0..<panels {
            let base = p + panel * stride
            for j in 0..<width where panel * width + j < n {
                let col = panel * width + j
                base[j] = bias?[col] ?? 0
                for kk in 0..<k { base[width + kk * width + j] = weights[kk * n + col] }
            }
        }
    }
}

/// Pointwise convolution: fast GEMM and its plain reference.
public enum PointwiseConv {
    /// act(input · W + bias [+ residual]) over NHWC tensors; `output` must be [N, H, W, Cout].
    public static func run(
        input: Tensor, weights: PackedPointwiseWeights, output: Tensor,
        activation: Activation = .identity, residual: Tensor? = nil, threads: ThreadCount = .single
    ) throws {
        let s = input.shape
        try validate(s, weights, output, activation, residual)
        let args = GEMMArguments(
            a: input.data, m: s.pixels, k: weights.inputChannels, packed: weights.storage.pointer, panelWidth: weights.panelWidth,
            n: weights.outputChannels,
            c: output.data, residual: residual.map { UnsafePointer($0.data) }, epilogue: activation.epilogue)
        f32GEMM(args, weights: weights, threads: threads)
    }

    /// The same result by three nested loops; the oracle for `run`.
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, output: Tensor,
        activation: Activation = .identity, residual: Tensor? = nil
    ) throws {
        let m = input.shape.pixels, k = input.shape.channels, n = output.shape.channels
        guard weights.count == k * n, output.shape.pixels == m else {
            throw TensorError.shapeMismatch(operation: "pointwise reference", expected: "\(k)x\(n)", actual: "\(weights.count)")
        }
        for i in 0..<m {
            for j in 0..<n {
                var acc = Double(bias?[j] ?? 0)
                for kk in 0..<k { acc += Double(input.data[i * k + kk]) * Double(weights[kk * n + j]) }
                var v = Float(acc)
                if let residual { v += residual.data[i * n + j] }
                output.data[i * n + j] = referenceActivation(v, activation, channel: j)
            }
        }
    }

    static func validate(
        _ s: TensorShape, _ w: PackedPointwiseWeights, _ output: Tensor, _ act: Activation, _ residual: Tensor?
    ) throws {
        guard s.channels == w.inputChannels else {
            throw TensorError.shapeMismatch(operation: "pointwise", expected: "\(w.inputChannels) input channels", actual: "\(s)")
        }
        let outShape = TensorShape(s.batch, s.height, s.width, w.outputChannels)
        try requireShape(output, outShape, "pointwise output")
        if let residual { try requireShape(residual, outShape, "pointwise residual") }
        try act.validate(channels: w.outputChannels, operation: "pointwise")
    }

    /// C[M, N] = epilogue(A[M, K] · B + bias), split across threads by row tiles or panels.
    static func f32GEMM(_ args: GEMMArguments, weights w: PackedPointwiseWeights, threads: ThreadCount) {
        let table = w.kernels.table
        let rowBlocks = (args.m + w.rowTile - 1) / w.rowTile
        let flops = 2 * args.m * w.inputChannels * w.outputChannels
        // Below ~0.5 MFLOP a second thread costs more than it saves.
        let useThreads = flops < Tuning.current.gemmMinimumFlops ? ThreadCount.single : threads
        // Each thread takes a contiguous range of row tiles and sweeps every panel over it
        // (panel outer: the panel stays in L1 while A streams past it). Splitting rows makes
        // every thread read all weights (K·N) and its share of A; splitting panels makes every
        // thread read all of A (M·K) and its share of the weights. Split the larger operand.
        let splitRows = w.panels < useThreads.value || (args.m >= w.outputChannels && rowBlocks >= useThreads.value * 4)
        if splitRows {
            parallelFor(rowBlocks, threads: useThreads) { b0, b1 in table.gemm(args, b0..<b1, 0..<w.panels) }
        } else {
            parallelFor(w.panels, threads: useThreads) { p0, p1 in table.gemm(args, 0..<rowBlocks, p0..<p1) }
        }
    }
}

/// A fully-connected layer on a batch of vectors: the squeeze-excitation 1×1
/// convolutions on a 1×1 map. It is the pointwise GEMM with M = batch.
///
///   input [N, 1, 1, K] · weights [K, Nout] + bias → output [N, 1, 1, Nout]
public enum FullyConnected {
    /// act(input · W + bias) for each of the batch's vectors.
    public static func run(
        input: Tensor, weights: PackedPointwiseWeights, output: Tensor, activation: Activation = .identity
    ) throws {
        guard input.shape.height == 1, input.shape.width == 1 else {
            throw TensorError.shapeMismatch(operation: "fully connected", expected: "Nx1x1xK", actual: "\(input.shape)")
        }
        try PointwiseConv.run(input: input, weights: weights, output: output, activation: activation)
    }

    /// Plain reference.
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, output: Tensor, activation: Activation = .identity
    ) throws {
        try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: output, activation: activation)
    }
}
