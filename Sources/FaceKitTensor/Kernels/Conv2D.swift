// General 2-D convolution (the stems: 5×5 stride 2 in BlazeFace, 3×3 stride 2 in the embedder).
//
//   input   [N, H, W, Cin]
//   weights [KH, KW, Cin, Cout]   TensorFlow HWIO
//   output  [N, OH, OW, Cout]     = act(conv + bias [+ residual])
//
// Packed layout: blocks of 8 output channels, each [8 bias][KH·KW·Cin × 8].
// The fast kernel keeps up to 4 blocks (32 channels) of one output pixel in registers
// and broadcasts each input value once per tap.

/// Convolution weights packed in 8-channel blocks with the bias first.
public struct PackedConvWeights: Sendable {
    public let kernelHeight, kernelWidth, inputChannels, outputChannels: Int
    let blocks: Int
    let storage: AlignedBuffer

    var taps: Int { kernelHeight * kernelWidth * inputChannels }
    var blockStride: Int { 8 * (taps + 1) }

    /// Packs HWIO `weights` and optional `bias` ([Cout]).
    public init(weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
                inputChannels cin: Int, outputChannels cout: Int) throws {
        guard kh > 0, kw > 0, cin > 0, cout > 0 else {
            throw TensorError.invalidArgument(operation: "conv pack", reason: "empty kernel")
        }
        guard weights.count == kh * kw * cin * cout else {
            throw TensorError.shapeMismatch(operation: "conv pack", expected: "\(kh * kw * cin * cout) weights", actual: "\(weights.count)")
        }
        if let bias, bias.count != cout {
            throw TensorError.shapeMismatch(operation: "conv pack", expected: "\(cout) biases", actual: "\(bias.count)")
        }
        kernelHeight = kh; kernelWidth = kw; inputChannels = cin; outputChannels = cout
        blocks = (cout + 7) / 8
        let taps = kh * kw * cin
        storage = AlignedBuffer(count: blocks * 8 * (taps + 1))
        let p = storage.pointer
        for b in 0..<blocks {
            let base = p + b * 8 * (taps + 1)
            for j in 0..<8 where b * 8 + j < cout {
                base[j] = bias?[b * 8 + j] ?? 0
                for t in 0..<taps { base[8 + t * 8 + j] = weights[t * cout + b * 8 + j] }
            }
        }
    }
}

/// General 2-D convolution: fast kernel and plain reference.
public enum Conv2D {
    /// Output shape for `input` under `geometry`-defining arguments.
    public static func outputShape(
        input: TensorShape, weights: PackedConvWeights, strideY: Int, strideX: Int, padding: Padding
    ) throws -> (TensorShape, WindowGeometry) {
        let g = try WindowGeometry(
            inputHeight: input.height, inputWidth: input.width, kernelHeight: weights.kernelHeight,
            kernelWidth: weights.kernelWidth, strideY: strideY, strideX: strideX, padding: padding)
        return (TensorShape(input.batch, g.outputHeight, g.outputWidth, weights.outputChannels), g)
    }

    /// act(conv(input) + bias [+ residual]) into `output`.
    public static func run(
        input: Tensor, weights: PackedConvWeights, output: Tensor, strideY: Int = 1, strideX: Int = 1,
        padding: Padding = .same, activation: Activation = .identity, residual: Tensor? = nil,
        threads: ThreadCount = .single
    ) throws {
        guard input.shape.channels == weights.inputChannels else {
            throw TensorError.shapeMismatch(operation: "conv2d", expected: "\(weights.inputChannels) input channels", actual: "\(input.shape)")
        }
        let (shape, g) = try outputShape(input: input.shape, weights: weights, strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, shape, "conv2d output")
        if let residual { try requireShape(residual, shape, "conv2d residual") }
        try activation.validate(channels: weights.outputChannels, operation: "conv2d")
        let e = EpilogueKind(activation)
        let rows = shape.batch * g.outputHeight
        let inp = UnsafePointer(input.data), out = output.data
        let res = residual.map { UnsafePointer($0.data) }
        let work = shape.count * weights.taps
        parallelFor(rows, threads: work < 250_000 ? .single : threads) { r0, r1 in
            for r in r0..<r1 {
                let n = r / g.outputHeight, oy = r % g.outputHeight
                for ox in 0..<g.outputWidth {
                    let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * weights.outputChannels
                    pixel(inp + n * g.inputHeight * g.inputWidth * weights.inputChannels, g, weights, oy, ox,
                          out + o, e, res.map { $0 + o })
                }
            }
        }
    }

    /// One output pixel, all output channels, 4 blocks of 8 at a time.
    @inline(__always)
    static func pixel(
        _ image: UnsafePointer<Float>, _ g: WindowGeometry, _ w: PackedConvWeights, _ oy: Int, _ ox: Int,
        _ out: UnsafeMutablePointer<Float>, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        let (iy0, kyLo, kyHi) = g.rows(oy)
        let (ix0, kxLo, kxHi) = g.cols(ox)
        let cin = w.inputChannels, cout = w.outputChannels
        var b = 0
        while b < w.blocks {
            let count = min(4, w.blocks - b)
            let p0 = UnsafePointer(w.storage.pointer + b * w.blockStride)
            let stride = w.blockStride
            var acc0 = load8(p0)
            var acc1 = count > 1 ? load8(p0 + stride) : F32x8()
            var acc2 = count > 2 ? load8(p0 + 2 * stride) : F32x8()
            var acc3 = count > 3 ? load8(p0 + 3 * stride) : F32x8()
            for ky in kyLo..<max(kyLo, kyHi) {
                for kx in kxLo..<max(kxLo, kxHi) {
                    let src = image + ((iy0 + ky) * g.inputWidth + (ix0 + kx)) * cin
                    let tap = 8 + ((ky * g.kernelWidth + kx) * cin) * 8
                    for ci in 0..<cin {
                        let x = F32x8(repeating: src[ci])
                        let wp = p0 + tap + ci * 8
                        acc0 = madd(acc0, x, load8(wp))
                        if count > 1 { acc1 = madd(acc1, x, load8(wp + stride)) }
                        if count > 2 { acc2 = madd(acc2, x, load8(wp + 2 * stride)) }
                        if count > 3 { acc3 = madd(acc3, x, load8(wp + 3 * stride)) }
                    }
                }
            }
            let accs = (acc0, acc1, acc2, acc3)
            for j in 0..<count {
                let v = j == 0 ? accs.0 : j == 1 ? accs.1 : j == 2 ? accs.2 : accs.3
                let c0 = (b + j) * 8
                if c0 + 8 <= cout {
                    var v = v
                    if let residual { v += load8(residual + c0) }
                    store8(e.apply(v, channel: c0), out + c0)
                } else {
                    for l in 0..<(cout - c0) {
                        var s = v[l]
                        if let residual { s += residual[c0 + l] }
                        out[c0 + l] = e.apply(s, channel: c0 + l)
                    }
                }
            }
            b += count
        }
    }

    /// Plain seven-loop reference (accumulates in Double).
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
        output: Tensor, strideY: Int = 1, strideX: Int = 1, padding: Padding = .same,
        activation: Activation = .identity, residual: Tensor? = nil
    ) throws {
        let s = input.shape, cin = s.channels, cout = output.shape.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kh, kernelWidth: kw,
                                   strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, cout), "conv2d reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for co in 0..<cout {
                        var acc = Double(bias?[co] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * strideY - g.padTop + ky, ix = ox * strideX - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                for ci in 0..<cin {
                                    let x = input.data[((n * s.height + iy) * s.width + ix) * cin + ci]
                                    acc += Double(x) * Double(weights[((ky * kw + kx) * cin + ci) * cout + co])
                                }
                            }
                        }
                        let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * cout + co
                        var v = Float(acc)
                        if let residual { v += residual.data[o] }
                        output.data[o] = referenceActivation(v, activation, channel: co)
                    }
                }
            }
        }
    }
}
