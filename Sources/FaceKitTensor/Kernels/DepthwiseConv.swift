// Depthwise convolution (channel multiplier 1): 3×3 stride 1 and 2 in both models,
// and the 7×7 "global" depthwise (VALID on a 7×7 map) of the embedder head.
//
//   input   [N, H, W, C]
//   weights [KH, KW, C]     TensorFlow's [KH, KW, C, 1]
//   output  [N, OH, OW, C]  = act(dwconv + bias [+ residual])
//
// Packed layout: [C' bias][KH·KW × C'] with C' = C rounded up to 8, zero-filled.
// Fast kernel `f32DWConv3x3Row`: rows whose 3 input rows exist are swept in tiles of 8
// pixels, each 8-channel block's 9 weights in registers across the tile; border pixels, border rows and
// other kernel sizes (the 7×7 global head) take the general tap loop `pixel`.

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
        let is3x3 = weights.kernelHeight == 3 && weights.kernelWidth == 3
        parallelFor(rows, threads: work < 200_000 ? .single : threads) { r0, r1 in
            for r in r0..<r1 {
                let n = r / g.outputHeight, oy = r % g.outputHeight
                let image = inp + n * s.height * s.width * s.channels
                let rowOut = ((n * g.outputHeight + oy) * g.outputWidth) * s.channels
                let (_, kyLo, kyHi) = g.rows(oy)
                if is3x3 && kyLo == 0 && kyHi == 3 {
                    f32DWConv3x3Row(image, g, w, weights.paddedChannels, s.channels, oy, out + rowOut, e, res.map { $0 + rowOut })
                } else {
                    for ox in 0..<g.outputWidth {
                        let o = rowOut + ox * s.channels
                        pixel(image, g, w, weights.paddedChannels, s.channels, 0, s.channels, oy, ox, out + o, e, res.map { $0 + o })
                    }
                }
            }
        }
    }

    /// One output row of a 3×3 depthwise whose three input rows all exist: for each block of
    /// 8 channels the 9 weight vectors and the bias stay in registers while the row is swept.
    @inline(__always)
    static func f32DWConv3x3Row(
        _ image: UnsafePointer<Float>, _ g: WindowGeometry, _ w: UnsafePointer<Float>, _ cp: Int, _ c: Int,
        _ oy: Int, _ out: UnsafeMutablePointer<Float>, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        // Output columns whose 3 input columns are all inside: ix0 = ox·s − padLeft ≥ 0 and ix0 + 2 < W.
        let sx = g.strideX
        let first = min(g.outputWidth, (g.padLeft + sx - 1) / sx)
        let last = max(first, min(g.outputWidth, (g.inputWidth - 3 + g.padLeft) / sx + 1))
        let rowStride = g.inputWidth * c
        let rowBase = image + (oy * g.strideY - g.padTop) * rowStride
        for ox in 0..<first { pixel(image, g, w, cp, c, 0, c, oy, ox, out + ox * c, e, residual.map { $0 + ox * c }) }
        // Tiles of 8 pixels: the tile's 3 input rows (≤ 3·17·C floats) stay in L1 while every
        // channel block passes over them with its weights in registers.
        var t0 = first
        while t0 < last {
            let t1 = min(last, t0 + 8)
            var ch = 0
            while ch + 8 <= c {
                let q = w + ch
                let b = load8(q)
                let w0 = load8(q + cp), w1 = load8(q + 2 * cp), w2 = load8(q + 3 * cp)
                let w3 = load8(q + 4 * cp), w4 = load8(q + 5 * cp), w5 = load8(q + 6 * cp)
                let w6 = load8(q + 7 * cp), w7 = load8(q + 8 * cp), w8 = load8(q + 9 * cp)
                for ox in t0..<t1 {
                    let p = rowBase + (ox * sx - g.padLeft) * c + ch
                    var acc = madd(b, load8(p), w0)
                    acc = madd(acc, load8(p + c), w1)
                    acc = madd(acc, load8(p + 2 * c), w2)
                    acc = madd(acc, load8(p + rowStride), w3)
                    acc = madd(acc, load8(p + rowStride + c), w4)
                    acc = madd(acc, load8(p + rowStride + 2 * c), w5)
                    acc = madd(acc, load8(p + 2 * rowStride), w6)
                    acc = madd(acc, load8(p + 2 * rowStride + c), w7)
                    acc = madd(acc, load8(p + 2 * rowStride + 2 * c), w8)
                    if let residual { acc += load8(residual + ox * c + ch) }
                    store8(e.apply(acc, channel: ch), out + ox * c + ch)
                }
                ch += 8
            }
            if ch < c {
                for ox in t0..<t1 { pixel(image, g, w, cp, c, ch, c, oy, ox, out + ox * c, e, residual.map { $0 + ox * c }) }
            }
            t0 = t1
        }
        for ox in last..<g.outputWidth { pixel(image, g, w, cp, c, 0, c, oy, ox, out + ox * c, e, residual.map { $0 + ox * c }) }
    }

    /// Channels `c0 ..< c1` of one output pixel, any kernel size, with bounds checks.
    @inline(__always)
    static func pixel(
        _ image: UnsafePointer<Float>, _ g: WindowGeometry, _ w: UnsafePointer<Float>, _ cp: Int, _ c: Int,
        _ c0: Int, _ c1: Int, _ oy: Int, _ ox: Int, _ out: UnsafeMutablePointer<Float>, _ e: EpilogueKind,
        _ residual: UnsafePointer<Float>?
    ) {
        let (iy0, kyLo, kyHi) = g.rows(oy)
        let (ix0, kxLo, kxHi) = g.cols(ox)
        let kw = g.kernelWidth, rowStride = g.inputWidth * c
        let origin = image + (iy0 * g.inputWidth + ix0) * c
        var ch = c0
        while ch + 8 <= c1 {
            var acc = load8(w + ch)
            for ky in kyLo..<max(kyLo, kyHi) {
                for kx in kxLo..<max(kxLo, kxHi) {
                    acc = madd(acc, load8(origin + ky * rowStride + kx * c + ch), load8(w + (1 + ky * kw + kx) * cp + ch))
                }
            }
            if let residual { acc += load8(residual + ch) }
            store8(e.apply(acc, channel: ch), out + ch)
            ch += 8
        }
        while ch < c1 {
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
