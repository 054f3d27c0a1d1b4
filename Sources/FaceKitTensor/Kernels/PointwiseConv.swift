// Pointwise (1×1) convolution as a register-blocked GEMM over pre-packed weights.
//
//   input   [M, K]   M = N·H·W pixels, K = input channels (NHWC rows)
//   weights [K, N]   TensorFlow's [1, 1, K, N], N = output channels
//   output  [M, N]   = act(input · weights + bias [+ residual])
//
// Packed layout (XNNPACK style): panels of 16 output channels, each
// [16 bias][K × 16 weights], zero-padded past N. The micro-kernel
// `f32GEMM6x16` keeps a 6×16 tile of C in 12 vector registers; it also takes the last
// 2–5 rows of M, and `f32GEMM1x16` a single leftover row.

/// Pointwise weights packed in 16-channel panels with the bias first.
public struct PackedPointwiseWeights: Sendable {
    /// Panel width in output channels.
    public static let panelWidth = 16
    /// K, the input channels.
    public let inputChannels: Int
    /// N, the output channels.
    public let outputChannels: Int
    let panels: Int
    let storage: AlignedBuffer

    var panelStride: Int { Self.panelWidth * (inputChannels + 1) }

    /// Packs `weights` ([K, N] row-major, TensorFlow's HWIO for a 1×1 kernel) and `bias` ([N] or nil).
    public init(weights: [Float], bias: [Float]?, inputChannels k: Int, outputChannels n: Int) throws {
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
        panels = (n + 15) / 16
        let stride = 16 * (k + 1)
        storage = AlignedBuffer(count: panels * stride)
        let p = storage.pointer
        for panel in 0..<panels {
            let base = p + panel * stride
            for j in 0..<16 where panel * 16 + j < n {
                let col = panel * 16 + j
                base[j] = bias?[col] ?? 0
                for kk in 0..<k { base[16 + kk * 16 + j] = weights[kk * n + col] }
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
        f32GEMM(
            a: input.data, m: s.pixels, weights: weights, c: output.data,
            epilogue: EpilogueKind(activation), residual: residual.map { UnsafePointer($0.data) },
            threads: threads)
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

    /// C[M, N] = epilogue(A[M, K] · B + bias), split across threads by row groups or panels.
    static func f32GEMM(
        a: UnsafePointer<Float>, m: Int, weights w: PackedPointwiseWeights, c: UnsafeMutablePointer<Float>,
        epilogue: EpilogueKind, residual: UnsafePointer<Float>?, threads: ThreadCount
    ) {
        let rowBlocks = (m + 5) / 6
        let flops = 2 * m * w.inputChannels * w.outputChannels
        // Below ~0.5 MFLOP a second thread costs more than it saves.
        let useThreads = flops < 500_000 ? ThreadCount.single : threads
        // Each thread takes a contiguous range of row blocks and sweeps every panel over it
        // (panel outer: the 16-column panel stays in L1 while A streams past it). Measured
        // against row groups of 48–768 rows with all panels inside: slower on one thread.
        // Splitting rows makes every thread read all weights (K·N) and its share of A; splitting
        // panels makes every thread read all of A (M·K) and its share of the weights. Split the
        // larger operand.
        let splitRows = w.panels < useThreads.value || (m >= w.outputChannels && rowBlocks >= useThreads.value * 4)
        if splitRows {
            parallelFor(rowBlocks, threads: useThreads) { b0, b1 in
                for panel in 0..<w.panels {
                    gemmTiles(a, m, w, c, epilogue, residual, rowBlocks: b0..<b1, panel: panel)
                }
            }
        } else {
            parallelFor(w.panels, threads: useThreads) { p0, p1 in
                for panel in p0..<p1 {
                    gemmTiles(a, m, w, c, epilogue, residual, rowBlocks: 0..<rowBlocks, panel: panel)
                }
            }
        }
    }

    @inline(__always)
    static func gemmTiles(
        _ a: UnsafePointer<Float>, _ m: Int, _ w: PackedPointwiseWeights, _ c: UnsafeMutablePointer<Float>,
        _ epilogue: EpilogueKind, _ residual: UnsafePointer<Float>?, rowBlocks: Range<Int>, panel: Int
    ) {
        let k = w.inputChannels, n = w.outputChannels
        let packed = UnsafePointer(w.storage.pointer + panel * w.panelStride)
        let n0 = panel * 16
        let cols = min(16, n - n0)
        for block in rowBlocks {
            let m0 = block * 6
            let rows = min(6, m - m0)
            if rows >= 2 {
                // A partial tile of 2–5 rows costs one 6-row pass; row by row, each row's two
                // accumulator chains would wait on FMA latency.
                f32GEMM6x16(a + m0 * k, k, packed, c + m0 * n + n0, n, cols, n0, epilogue, residual.map { $0 + m0 * n + n0 }, rows: rows)
            } else {
                for r in 0..<rows {
                    f32GEMM1x16(a + (m0 + r) * k, k, packed, c + (m0 + r) * n + n0, cols, n0, epilogue,
                                residual.map { $0 + (m0 + r) * n + n0 })
                }
            }
        }
    }

    /// Writes a 16-wide row of results (`cols` of them) through the epilogue.
    @inline(__always)
    static func storeRow(
        _ lo: F32x8, _ hi: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
        _ e: EpilogueKind, _ r: UnsafePointer<Float>?
    ) {
        var lo = lo, hi = hi
        if cols == 16 {
            if let r { lo += load8(r); hi += load8(r + 8) }
            store8(e.apply(lo, channel: n0), c)
            store8(e.apply(hi, channel: n0 + 8), c + 8)
        } else {
            for j in 0..<cols {
                var v = j < 8 ? lo[j] : hi[j - 8]
                if let r { v += r[j] }
                c[j] = e.apply(v, channel: n0 + j)
            }
        }
    }

    /// f32 GEMM micro-kernel, 6 rows × 16 columns, 8-lane SIMD. With `rows` < 6 the missing
    /// rows re-read the last real one and their results are not stored.
    @inline(__always)
    static func f32GEMM6x16(
        _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ ldc: Int, _ cols: Int, _ n0: Int, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?, rows: Int = 6
    ) {
        let b0 = load8(packed), b1 = load8(packed + 8)
        var c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1
        var c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1
        var w = packed + 16
        let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
        let a3 = a + min(3, rows - 1) * k, a4 = a + min(4, rows - 1) * k, a5 = a + min(5, rows - 1) * k
        for kk in 0..<k {
            let wl = load8(w), wh = load8(w + 8)
            let x0 = F32x8(repeating: a0[kk]); c00 = madd(c00, x0, wl); c01 = madd(c01, x0, wh)
            let x1 = F32x8(repeating: a1[kk]); c10 = madd(c10, x1, wl); c11 = madd(c11, x1, wh)
            let x2 = F32x8(repeating: a2[kk]); c20 = madd(c20, x2, wl); c21 = madd(c21, x2, wh)
            let x3 = F32x8(repeating: a3[kk]); c30 = madd(c30, x3, wl); c31 = madd(c31, x3, wh)
            let x4 = F32x8(repeating: a4[kk]); c40 = madd(c40, x4, wl); c41 = madd(c41, x4, wh)
            let x5 = F32x8(repeating: a5[kk]); c50 = madd(c50, x5, wl); c51 = madd(c51, x5, wh)
            w += 16
        }
        storeRow(c00, c01, c, cols, n0, e, residual)
        storeRow(c10, c11, c + ldc, cols, n0, e, residual.map { $0 + ldc })
        if rows > 2 { storeRow(c20, c21, c + 2 * ldc, cols, n0, e, residual.map { $0 + 2 * ldc }) }
        if rows > 3 { storeRow(c30, c31, c + 3 * ldc, cols, n0, e, residual.map { $0 + 3 * ldc }) }
        if rows > 4 { storeRow(c40, c41, c + 4 * ldc, cols, n0, e, residual.map { $0 + 4 * ldc }) }
        if rows > 5 { storeRow(c50, c51, c + 5 * ldc, cols, n0, e, residual.map { $0 + 5 * ldc }) }
    }

    /// f32 GEMM micro-kernel for the leftover rows: 1 row × 16 columns.
    @inline(__always)
    static func f32GEMM1x16(
        _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ cols: Int, _ n0: Int, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        var lo = load8(packed), hi = load8(packed + 8)
        var w = packed + 16
        for kk in 0..<k {
            let x = F32x8(repeating: a[kk])
            lo = madd(lo, x, load8(w)); hi = madd(hi, x, load8(w + 8))
            w += 16
        }
        storeRow(lo, hi, c, cols, n0, e, residual)
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
