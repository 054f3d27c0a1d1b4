// Depthwise convolution (channel multiplier 1): 3×3 stride 1 and 2 in both models,
// and the 7×7 "global" depthwise (VALID on a 7×7 map) of the embedder head.
//
//   input   [N, H, W, C]
//   weights [KH, KW, C]     TensorFlow's [KH, KW, C, 1]
//   output  [N, OH, OW, C]  = act(dwconv + bias [+ residual])
//
// Packed layout: [C' bias][KH·KW × C'] with C' = C rounded up to 8, zero-filled.
// Fast kernel: per output pixel, 8 channels at a time; interior pixels of a 3×3 run
// an unrolled 9-tap body, border pixels and other sizes the general tap loop.

/// Depthwise weights packed channel-contiguous with the bias first.
public struct PackedDepthwiseWeights: Sendable {
    public let kernelHeight, kernelWidth, channels: Int
    let paddedChannels: Int
    let storage: AlignedBuffer

    /// Packs `weights` ([KH, KW, C]) and optional `bias` ([C]).
    public init(weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int, channels c: Int) throws {
        guard kh > 0, kw > 0, c > 0 else {
            throw TensorError.invalidArgument(operation: "depthwise pack", reason: "empty kernel")
        }
        guard weights.count == kh * kw * c else {
            throw TensorError.shapeMismatch(operation: "depthwise pack", expected: "\(kh * kw * c) weights", actual: "\(weights.count)")
        }
        if let bias, bias.count != c {
            throw TensorError.shapeMismatch(operation: "depthwise pack", expected: "\(c) biases", actual: "\(bias.count)")
        }
        kernelHeight = kh; kernelWidth = kw; channels = c
        paddedChannels = (c + 7) & ~7
        storage = AlignedBuffer(count: paddedChannels * (kh * kw + 1))
        let p = storage.pointer
        for ch in 0..<c {
            p[ch] = bias?[ch] ?? 0
            for t in 0..<(kh * kw) { p[paddedChannels * (t + 1) + ch] = weights[t * c + ch] }
        }
    }
}

/// Depthwise convolution: fast kernel and plain reference.
public enum DepthwiseConv {
    /// act(dwconv(input) + bias [+ residual]) into `output`.
    public static func run(
        input: Tensor, weights: PackedDepthwiseWeights, output: Tensor, strideY: Int = 1, strideX: Int = 1,
        padding: Padding = .same, activation: Activation = .identity, residual: Tensor? = nil,
        threads: ThreadCount = .single
    ) throws {
        let s = input.shape
        guard s.channels == weights.channels else {
            throw TensorError.shapeMismatch(operation: "depthwise", expected: "\(weights.channels) channels", actual: "\(s)")
        }
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: weights.kernelHeight,
                                   kernelWidth: weights.kernelWidth, strideY: strideY, strideX: strideX, padding: padding)
        let shape = TensorShape(s.batch, g.outputHeight, g.outputWidth, s.channels)
        try requireShape(output, shape, "depthwise output")
        if let residual { try requireShape(residual, shape, "depthwise residual") }
        try activation.validate(channels: s.channels, operation: "depthwise")
        let e = EpilogueKind(activation)
        let inp = UnsafePointer(input.data), out = output.data, res = residual.map { UnsafePointer($0.data) }
        let w = UnsafePointer(weights.storage.pointer)
        let rows = s.batch * g.outputHeight
        let work = shape.count * weights.kernelHeight * weights.kernelWidth
        parallelFor(rows, threads: work < 200_000 ? .single : threads) { r0, r1 in
            for r in r0..<r1 {
                let n = r / g.outputHeight, oy = r % g.outputHeight
                let image = inp + n * s.height * s.width * s.channels
                for ox in 0..<g.outputWidth {
                    let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * s.channels
                    pixel(image, g, w, weights.paddedChannels, s.channels, oy, ox, out + o, e, res.map { $0 + o })
                }
            }
        }
    }

    @inline(__always)
    static func pixel(
        _ image: UnsafePointer<Float>, _ g: WindowGeometry, _ w: UnsafePointer<Float>, _ cp: Int, _ c: Int,
        _ oy: Int, _ ox: Int, _ out: UnsafeMutablePointer<Float>, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        let (iy0, kyLo, kyHi) = g.rows(oy)
        let (ix0, kxLo, kxHi) = g.cols(ox)
        let kw = g.kernelWidth, rowStride = g.inputWidth * c
        let interior3x3 = g.kernelHeight == 3 && kw == 3 && kyLo == 0 && kyHi == 3 && kxLo == 0 && kxHi == 3
        let origin = image + (iy0 * g.inputWidth + ix0) * c
        var ch = 0
        while ch + 8 <= c {
            var acc: F32x8
            if interior3x3 {
                let p = origin + ch, q = w + ch
                acc = load8(q)
                acc = madd(acc, load8(p), load8(q + cp))
                acc = madd(acc, load8(p + c), load8(q + 2 * cp))
                acc = madd(acc, load8(p + 2 * c), load8(q + 3 * cp))
                acc = madd(acc, load8(p + rowStride), load8(q + 4 * cp))
                acc = madd(acc, load8(p + rowStride + c), load8(q + 5 * cp))
                acc = madd(acc, load8(p + rowStride + 2 * c), load8(q + 6 * cp))
                acc = madd(acc, load8(p + 2 * rowStride), load8(q + 7 * cp))
                acc = madd(acc, load8(p + 2 * rowStride + c), load8(q + 8 * cp))
                acc = madd(acc, load8(p + 2 * rowStride + 2 * c), load8(q + 9 * cp))
            } else {
                acc = load8(w + ch)
                for ky in kyLo..<max(kyLo, kyHi) {
                    for kx in kxLo..<max(kxLo, kxHi) {
                        acc = madd(acc, load8(origin + ky * rowStride + kx * c + ch), load8(w + (1 + ky * kw + kx) * cp + ch))
                    }
                }
            }
            if let residual { acc += load8(residual + ch) }
            store8(e.apply(acc, channel: ch), out + ch)
            ch += 8
        }
        while ch < c {
            var acc = w[ch]
            for ky in kyLo..<max(kyLo, kyHi) {
                for kx in kxLo..<max(kxLo, kxHi) {
                    acc += origin[ky * rowStride + kx * c + ch] * w[(1 + ky * kw + kx) * cp + ch]
                }
            }
            if let residual { acc += residual[ch] }
            out[ch] = e.apply(acc, channel: ch)
            ch += 1
        }
    }

    /// Plain nested-loop reference (accumulates in Double).
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
        output: Tensor, strideY: Int = 1, strideX: Int = 1, padding: Padding = .same,
        activation: Activation = .identity, residual: Tensor? = nil
    ) throws {
        let s = input.shape, c = s.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kh, kernelWidth: kw,
                                   strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, c), "depthwise reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for ch in 0..<c {
                        var acc = Double(bias?[ch] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * strideY - g.padTop + ky, ix = ox * strideX - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                acc += Double(input.data[((n * s.height + iy) * s.width + ix) * c + ch])
                                    * Double(weights[(ky * kw + kx) * c + ch])
                            }
                        }
                        let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch
                        var v = Float(acc)
                        if let residual { v += residual.data[o] }
                        output.data[o] = referenceActivation(v, activation, channel: ch)
                    }
                }
            }
        }
    }
}
