// f32 depthwise convolution (channel multiplier 1) micro-kernels.
//
//   input   [N, H, W, C]
//   packed  [C' bias][KH·KW × C'], C' = C rounded up to 8 (`packedStride` = C')
//   output  [N, OH, OW, C] = epilogue(dwconv + bias [+ residual])
//
// f32-dwconv 3x3 row, 8 lanes: an output row is swept in tiles of 8 pixels, each 8-channel
// block's 9 weights and bias held in registers across the tile; at the top and bottom border a
// missing input row is replaced by an existing one with zero weights. A last block of fewer
// than 8 channels loads whole vectors (the packed weights are zero there, and tensors carry
// `AlignedBuffer.slack` floats past their end) and stores only its real lanes. A border column
// shifts the window inside the row and zeroes the weights of the columns it does not cover.
// Rows narrower than 3 and other kernel sizes (the embedder's 7×7 global depthwise) take the
// general tap loop `f32DWConvPixel`.
import FaceKitKernelABI

/// Output rows `rows` (counted over the whole batch).
func f32DWConv(_ g: WindowArguments, _ rows: Range<Int>) {
    let c = g.inputChannels, packed = g.packed!
    let is3x3 = g.kernelHeight == 3 && g.kernelWidth == 3
    for r in rows {
        let n = r / g.outputHeight, oy = r % g.outputHeight
        let image = g.input + n * g.inputHeight * g.inputWidth * c
        let rowOut = (n * g.outputHeight + oy) * g.outputWidth * c
        let iy0 = oy * g.strideY - g.padTop
        let kyLo = max(0, -iy0), kyHi = min(3, g.inputHeight - iy0)
        if is3x3 && kyLo < kyHi {
            f32DWConv3x3Row(image, g, packed, iy0, kyLo, kyHi, g.output + rowOut, g.residual.map { $0 + rowOut })
        } else {
            for ox in 0..<g.outputWidth {
                let o = rowOut + ox * c
                f32DWConvPixel(image, g, packed, 0, c, oy, ox, g.output + o, g.residual.map { $0 + o })
            }
        }
    }
}

/// One output row of a 3×3 depthwise whose input rows `iy0 + kyLo ..< iy0 + kyHi` exist (all
/// three inside the image, or fewer at the top and bottom border): a missing row is read
/// from an existing one with zero weights, so border rows take the same tiles as the rest.
@inline(__always)
func f32DWConv3x3Row(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ w: UnsafePointer<Float>, _ iy0: Int, _ kyLo: Int, _ kyHi: Int,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let c = g.inputChannels, cp = g.packedStride, sx = g.strideX, e = g.epilogue
    let oy = (iy0 + g.padTop) / g.strideY
    // Output columns whose 3 input columns are all inside: ix0 = ox·s − padLeft ≥ 0 and ix0 + 2 < W.
    // (A row narrower than the kernel has none: the span is negative, and Swift's division
    // truncates towards zero, so it is tested before dividing.)
    let first = min(g.outputWidth, (g.padLeft + sx - 1) / sx)
    let span = g.inputWidth - 3 + g.padLeft
    let last = span < 0 ? first : max(first, min(g.outputWidth, span / sx + 1))
    let rowStride = g.inputWidth * c
    // Row ky of the window, or the nearest existing row when it is missing (its weights are zero).
    let row0 = image + (iy0 + max(0, kyLo)) * rowStride - g.padLeft * c
    let row1 = image + (iy0 + min(max(1, kyLo), kyHi - 1)) * rowStride - g.padLeft * c
    let row2 = image + (iy0 + min(2, kyHi - 1)) * rowStride - g.padLeft * c
    let has0 = kyLo == 0, has1 = kyLo <= 1 && kyHi > 1, has2 = kyHi == 3
    // Border columns: the window's 3 columns shifted inside the row, with zero weights for the
    // columns it does not cover (the general tap loop only for rows narrower than 3).
    let zero = F32x8(), sxc = sx * c
    func edge(_ ox: Int) {
        let ix0 = ox * sx - g.padLeft
        guard g.inputWidth >= 3 else {
            return f32DWConvPixel(image, g, w, 0, c, oy, ox, out + ox * c, residual.map { $0 + ox * c })
        }
        let base = min(max(ix0, 0), g.inputWidth - 3), shift = base - ix0
        let x = (base + g.padLeft) * c
        var ch = 0
        while ch < c {
            let lanes = min(8, c - ch), q = w + ch
            @inline(__always) func tap(_ ky: Int, _ j: Int, _ has: Bool) -> F32x8 {
                let k = j + shift
                return has && k >= 0 && k < 3 ? load8(q + (1 + ky * 3 + k) * cp) : zero
            }
            f32DWConv3x3Tile(row0 + x + ch, row1 + x + ch, row2 + x + ch, 1, sxc, c, load8(q),
                             tap(0, 0, has0), tap(0, 1, has0), tap(0, 2, has0), tap(1, 0, has1), tap(1, 1, has1), tap(1, 2, has1),
                             tap(2, 0, has2), tap(2, 1, has2), tap(2, 2, has2),
                             out + ox * c + ch, residual.map { $0 + ox * c + ch }, e, ch, lanes)
            ch += 8
        }
    }
    for ox in 0..<first { edge(ox) }
    // Tiles of 8 pixels: the tile's 3 input rows stay in L1 while every channel block passes
    // over them with its weights in registers.
    var t0 = first
    while t0 < last {
        let t1 = min(last, t0 + 8)
        var ch = 0
        while ch < c {
            let lanes = min(8, c - ch)   // a last partial block loads whole vectors (see AlignedBuffer.slack)
            let q = w + ch
            let b = load8(q)
            let w0 = has0 ? load8(q + cp) : zero, w1 = has0 ? load8(q + 2 * cp) : zero, w2 = has0 ? load8(q + 3 * cp) : zero
            let w3 = has1 ? load8(q + 4 * cp) : zero, w4 = has1 ? load8(q + 5 * cp) : zero, w5 = has1 ? load8(q + 6 * cp) : zero
            let w6 = has2 ? load8(q + 7 * cp) : zero, w7 = has2 ? load8(q + 8 * cp) : zero, w8 = has2 ? load8(q + 9 * cp) : zero
            let x = t0 * sxc + ch, o = t0 * c + ch
            // One copy of the loop per activation and residual, so that neither test is in it
            // (each call passes constants that fold away in the inlined loop).
            let r = residual.map { $0 + o }
            @inline(__always) func tile(_ kind: EpilogueKind, _ r: UnsafePointer<Float>?, lanes: Int = 8) {
                f32DWConv3x3Tile(row0 + x, row1 + x, row2 + x, t1 - t0, sxc, c, b, w0, w1, w2, w3, w4, w5, w6, w7, w8,
                                 out + o, r, Epilogue(kind: kind, slopes: e.slopes), ch, lanes)
            }
            switch (e.kind, r != nil) {
            case _ where lanes < 8: tile(e.kind, r, lanes: lanes)
            case (.identity, false): tile(.identity, nil)
            case (.identity, true): tile(.identity, r)
            case (.relu, false): tile(.relu, nil)
            case (.relu, true): tile(.relu, r)
            case (.prelu, false): tile(.prelu, nil)
            case (.prelu, true): tile(.prelu, r)
            case (.sigmoid, _): tile(.sigmoid, r)
            }
            ch += 8
        }
        t0 = t1
    }
    for ox in last..<g.outputWidth { edge(ox) }
}

/// `count` output pixels of one block of `lanes` (≤ 8) channels: input pointers advance `sxc` floats a pixel
/// (stride × channels), output and residual `c`. One partial sum per kernel row: three
/// chains of 3 multiply-adds instead of one of 9, so a pixel's work overlaps instead of
/// waiting on itself.
@inline(__always)
func f32DWConv3x3Tile(
    _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>, _ count: Int, _ sxc: Int, _ c: Int,
    _ b: F32x8, _ w0: F32x8, _ w1: F32x8, _ w2: F32x8, _ w3: F32x8, _ w4: F32x8, _ w5: F32x8, _ w6: F32x8, _ w7: F32x8, _ w8: F32x8,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ e: Epilogue, _ ch: Int, _ lanes: Int
) {
    var p0 = p0, p1 = p1, p2 = p2, out = out, residual = residual
    let c2 = c &+ c
    for _ in 0..<count {
        var s0 = madd(b, load8(p0), w0)
        var s1 = load8(p1) * w3
        var s2 = load8(p2) * w6
        s0 = madd(s0, load8(p0 + c), w1)
        s1 = madd(s1, load8(p1 + c), w4)
        s2 = madd(s2, load8(p2 + c), w7)
        s0 = madd(s0, load8(p0 + c2), w2)
        s1 = madd(s1, load8(p1 + c2), w5)
        s2 = madd(s2, load8(p2 + c2), w8)
        var acc = (s0 + s1) + s2
        if let r = residual { acc += load8(r); residual = r + c }
        // In the channels' last partial block, lanes past C held other pixels' values times
        // zero weights; only the real ones are stored.
        storeTail8(acc, out, lanes, ch, e, nil)
        p0 += sxc; p1 += sxc; p2 += sxc; out += c
    }
}

/// Channels `c0 ..< c1` of one output pixel, any kernel size, with bounds checks.
@inline(__always)
func f32DWConvPixel(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ w: UnsafePointer<Float>, _ c0: Int, _ c1: Int,
    _ oy: Int, _ ox: Int, _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let c = g.inputChannels, cp = g.packedStride, kw = g.kernelWidth, e = g.epilogue
    let iy0 = oy * g.strideY - g.padTop, ix0 = ox * g.strideX - g.padLeft
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let kxLo = max(0, -ix0), kxHi = max(kxLo, min(kw, g.inputWidth - ix0))
    let rowStride = g.inputWidth * c
    let origin = image + (iy0 * g.inputWidth + ix0) * c
    var ch = c0
    while ch + 8 <= c1 {
        var acc = load8(w + ch)
        for ky in kyLo..<kyHi {
            for kx in kxLo..<kxHi {
                acc = madd(acc, load8(origin + ky * rowStride + kx * c + ch), load8(w + (1 + ky * kw + kx) * cp + ch))
            }
        }
        if let residual { acc += load8(residual + ch) }
        store8(activate(acc, e, channel: ch), out + ch)
        ch += 8
    }
    while ch < c1 {
        var acc = w[ch]
        for ky in kyLo..<kyHi {
            for kx in kxLo..<kxHi {
                acc += origin[ky * rowStride + kx * c + ch] * w[(1 + ky * kw + kx) * cp + ch]
            }
        }
        if let residual { acc += residual[ch] }
        out[ch] = activate(acc, e, channel: ch)
        ch += 1
    }
}
