// General 2-D convolution (the stems: 5×5 stride 2 in BlazeFace, 3×3 stride 2 in the embedder).
//
//   input   [N, H, W, Cin]
//   weights [KH, KW, Cin, Cout]   TensorFlow HWIO
//   output  [N, OH, OW, Cout]     = act(conv + bias [+ residual])
//
// Packed layout: blocks of 8 output channels, each [8 bias][KH·KW·Cin × 8], the block
// count padded with zero blocks to a multiple of 3. The fast kernel `f32Conv4x24` keeps
// a tile of 4 output pixels × 24 channels in 12 registers (each weight vector loaded once
// for 4 pixels); border pixels take `pixel`, which holds up to 32 channels of one pixel.

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
        storage = AlignedBuffer(count: (blocks + 2) / 3 * 3 * 8 * (taps + 1))
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
        // Output columns whose whole window lies inside the input, horizontally.
        let first = min(g.outputWidth, (g.padLeft + g.strideX - 1) / g.strideX)
        let last = max(first, min(g.outputWidth, (g.inputWidth - g.kernelWidth + g.padLeft) / g.strideX + 1))
        parallelFor(rows, threads: work < 250_000 ? .single : threads) { r0, r1 in
            for r in r0..<r1 {
                let n = r / g.outputHeight, oy = r % g.outputHeight
                let image = inp + n * g.inputHeight * g.inputWidth * weights.inputChannels
                let rowOut = ((n * g.outputHeight + oy) * g.outputWidth) * weights.outputChannels
                var ox = 0
                while ox < g.outputWidth {
                    if ox >= first && ox + 4 <= last {
                        for b in stride(from: 0, to: weights.blocks, by: 3) {
                            f32Conv4x24(image, g, weights, oy, ox, b, out + rowOut, e, res.map { $0 + rowOut })
                        }
                        ox += 4
                    } else {
                        let o = rowOut + ox * weights.outputChannels
                        pixel(image, g, weights, oy, ox, out + o, e, res.map { $0 + o })
                        ox += 1
                    }
                }
            }
        }
    }

    /// f32 convolution micro-kernel: 4 horizontally adjacent output pixels × 3 blocks of 8
    /// channels (starting at block `b0`), for pixels whose window is inside horizontally.
    @inline(__always)
    static func f32Conv4x24(
        _ image: UnsafePointer<Float>, _ g: WindowGeometry, _ w: PackedConvWeights, _ oy: Int, _ ox: Int, _ b0: Int,
        _ rowOut: UnsafeMutablePointer<Float>, _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        let (iy0, kyLo, kyHi) = g.rows(oy)
        let cin = w.inputChannels, cout = w.outputChannels, stride = w.blockStride
        let p0 = UnsafePointer(w.storage.pointer + b0 * stride)
        var a00 = load8(p0), a01 = load8(p0 + stride), a02 = load8(p0 + 2 * stride)
        var a10 = a00, a11 = a01, a12 = a02, a20 = a00, a21 = a01, a22 = a02, a30 = a00, a31 = a01, a32 = a02
        let ix0 = ox * g.strideX - g.padLeft, step = g.strideX * cin
        for ky in kyLo..<max(kyLo, kyHi) {
            for kx in 0..<g.kernelWidth {
                let src = image + ((iy0 + ky) * g.inputWidth + ix0 + kx) * cin
                var wp = p0 + 8 + (ky * g.kernelWidth + kx) * cin * 8
                for ci in 0..<cin {
                    let w0 = load8(wp), w1 = load8(wp + stride), w2 = load8(wp + 2 * stride)
                    let x0 = F32x8(repeating: src[ci]), x1 = F32x8(repeating: src[ci + step])
                    let x2 = F32x8(repeating: src[ci + 2 * step]), x3 = F32x8(repeating: src[ci + 3 * step])
                    a00 = madd(a00, x0, w0); a01 = madd(a01, x0, w1); a02 = madd(a02, x0, w2)
                    a10 = madd(a10, x1, w0); a11 = madd(a11, x1, w1); a12 = madd(a12, x1, w2)
                    a20 = madd(a20, x2, w0); a21 = madd(a21, x2, w1); a22 = madd(a22, x2, w2)
                    a30 = madd(a30, x3, w0); a31 = madd(a31, x3, w1); a32 = madd(a32, x3, w2)
                    wp += 8
                }
            }
        }
        storePixel(a00, a01, a02, rowOut + ox * cout, b0, cout, e, residual.map { $0 + ox * cout })
        storePixel(a10, a11, a12, rowOut + (ox + 1) * cout, b0, cout, e, residual.map { $0 + (ox + 1) * cout })
        storePixel(a20, a21, a22, rowOut + (ox + 2) * cout, b0, cout, e, residual.map { $0 + (ox + 2) * cout })
        storePixel(a30, a31, a32, rowOut + (ox + 3) * cout, b0, cout, e, residual.map { $0 + (ox + 3) * cout })
    }

    /// Writes 3 blocks of 8 channels (from block `b0`) of one pixel through the epilogue.
    @inline(__always)
    static func storePixel(
        _ v0: F32x8, _ v1: F32x8, _ v2: F32x8, _ out: UnsafeMutablePointer<Float>, _ b0: Int, _ cout: Int,
        _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        for j in 0..<3 {
            let c0 = (b0 + j) * 8
            if c0 >= cout { return }
            storeBlock(j == 0 ? v0 : j == 1 ? v1 : v2, out, c0, cout, e, residual)
        }
    }

    /// Writes channels `c0 ..< min(c0 + 8, cout)` of one pixel through the epilogue
    /// (a whole vector, or lane by lane for the last, partial block).
    @inline(__always)
    static func storeBlock(
        _ v: F32x8, _ out: UnsafeMutablePointer<Float>, _ c0: Int, _ cout: Int,
        _ e: EpilogueKind, _ residual: UnsafePointer<Float>?
    ) {
        if c0 + 8 <= cout {
            var v = v
            if let residual { v += load8(residual + c0) }
            store8(e.apply(v, channel: c0), out + c0)
        } else {
            for l in 0..<(cout - c0) {
                var x = v[l]
                if let residual { x += residual[c0 + l] }
                out[c0 + l] = e.apply(x, channel: c0 + l)
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
                storeBlock(j == 0 ? accs.0 : j == 1 ? accs.1 : j == 2 ? accs.2 : accs.3, out, (b + j) * 8, cout, e, residual)
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
