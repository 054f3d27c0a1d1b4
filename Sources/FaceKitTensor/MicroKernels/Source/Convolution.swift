// f32 general convolution micro-kernels (the stems: 5×5/2 in BlazeFace, 3×3/2 in the embedder).
//
//   input   [N, H, W, Cin]
//   packed  blocks of B output channels, each [B bias][KH·KW·Cin × B] (`packedStride` floats
//           a block), the block count padded with zero blocks to a multiple of T: B = 8, T = 3,
//           or on AVX-512 B = 16, T = 2 (`f32ConvBlockWidth`, `f32ConvTileBlocks`)
//   output  [N, OH, OW, Cout] = epilogue(conv + bias [+ residual])
//
// f32-conv 3x24, 8 lanes: 3 horizontally adjacent output pixels × 3 blocks of 8 channels in 9
// registers, each weight vector loaded once for 3 pixels (a 4-pixel tile needs all 16 AVX2
// registers and had an accumulator spilled in the inner loop). f32-conv 6x16: 6 pixels × 2
// blocks in 12 registers, for an even number of blocks that 3 does not divide (the embedder's
// 64 channels, which 3x24 fills to 89 %). f32-conv 6x8 on x86-64 baseline (SSE2): the 8-lane
// tiles above need 18 or 24 of its 16 registers. A row's last pixels re-run the last full tile
// and store only the new ones. Pixels whose window is cut by the left or right
// border take `f32ConvPixel`, 4 blocks of one pixel at a time. f32-conv 6x32 avx512: the
// AVX-512 module packs 16-channel blocks in pairs and runs 6 pixels × 2 blocks of 16 lanes in
// 12 zmm registers (`f32ConvTile6x32`; its border pixels `f32ConvPixel16`).
import FaceKitKernelABI

/// The tile for `blocks` blocks of 8 output channels: 6 pixels × 16 channels where the blocks
/// pair up (the embedder's 64) and the registers allow, else 3 pixels × 24 channels (BlazeFace's
/// 24); 6 pixels × 8 channels on x86-64 baseline, whose 16 xmm registers hold 6 of the 8-lane
/// accumulators.
@inline(__always)
func f32ConvTileShape(blocks: Int) -> (pixels: Int, blocks: Int) {
    #if arch(x86_64) && !FACEKIT_FMA
    return (6, 1)
    #else
    return blocks % 2 == 0 && blocks % 3 != 0 ? (6, 2) : (3, 3)
    #endif
}

#if FACEKIT_ISA_AVX512
/// Output channels per packed block and blocks per tile: 16-lane blocks in pairs (f32-conv 6x32).
let f32ConvBlockWidth = 16, f32ConvTileBlocks = 2
#else
/// Output channels per packed block and blocks per tile: 8-lane blocks, padded to threes (3x24).
let f32ConvBlockWidth = 8, f32ConvTileBlocks = 3
#endif

/// Output rows `rows` (counted over the whole batch).
func f32Conv(_ g: WindowArguments, _ rows: Range<Int>) {
    #if FACEKIT_ISA_AVX512
    let blocks = (g.outputChannels + 15) / 16, tp = 6, tb = 2
    #else
    let blocks = (g.outputChannels + 7) / 8
    let (tp, tb) = f32ConvTileShape(blocks: blocks)
    #endif
    // Output columns whose whole window lies inside the input, horizontally.
    // (A negative span means no such column; it is tested before the truncating division.)
    let first = min(g.outputWidth, (g.padLeft + g.strideX - 1) / g.strideX)
    let span = g.inputWidth - g.kernelWidth + g.padLeft
    let last = span < 0 ? first : max(first, min(g.outputWidth, span / g.strideX + 1))
    @inline(__always) func tile(_ image: UnsafePointer<Float>, _ oy: Int, _ ox: Int, _ b: Int, _ skip: Int,
                                _ out: UnsafeMutablePointer<Float>, _ res: UnsafePointer<Float>?) {
        #if FACEKIT_ISA_AVX512
        f32ConvTile6x32(image, g, oy, ox, b, skip, out, res)
        #else
        switch (tp, tb) {
        case (6, 2): f32ConvTile6x16(image, g, oy, ox, b, skip, out, res)
        case (6, 1): f32ConvTile6x8(image, g, oy, ox, b, skip, out, res)
        default: f32ConvTile3x24(image, g, oy, ox, b, skip, out, res)
        }
        #endif
    }
    @inline(__always) func pixel(_ image: UnsafePointer<Float>, _ oy: Int, _ ox: Int,
                                 _ out: UnsafeMutablePointer<Float>, _ res: UnsafePointer<Float>?) {
        #if FACEKIT_ISA_AVX512
        f32ConvPixel16(image, g, blocks, oy, ox, out, res)
        #else
        f32ConvPixel(image, g, blocks, oy, ox, out, res)
        #endif
    }
    for r in rows {
        let n = r / g.outputHeight, oy = r % g.outputHeight
        let image = g.input + n * g.inputHeight * g.inputWidth * g.inputChannels
        let rowOut = (n * g.outputHeight + oy) * g.outputWidth * g.outputChannels
        let res = g.residual.map { $0 + rowOut }
        var ox = 0
        while ox < g.outputWidth {
            if ox >= first && ox + tp <= last {
                for b in stride(from: 0, to: blocks, by: tb) { tile(image, oy, ox, b, 0, g.output + rowOut, res) }
                ox += tp
            } else if ox >= first && ox < last && last - first >= tp {
                // The row's last inside pixels: the tile ending at `last`, storing from `ox`.
                for b in stride(from: 0, to: blocks, by: tb) { tile(image, oy, last - tp, b, ox - (last - tp), g.output + rowOut, res) }
                ox = last
            } else {
                let o = ox * g.outputChannels
                pixel(image, oy, ox, g.output + rowOut + o, res.map { $0 + o })
                ox += 1
            }
        }
    }
}

#if FACEKIT_ISA_AVX512
// `f32Conv` on AVX-512: 16-lane blocks (packed [16 bias][KH·KW·Cin × 16], in pairs), f32-conv
// 6x32 tiles of 6 pixels × 2 blocks, and `f32ConvPixel16` where the window is cut by a border.
// BlazeFace's 24 channels fill a pair to 75 %, which still does 1.5 times the useful
// multiply-adds per instruction of three 8-lane blocks.

/// Output pixels `ox ..< ox + 6` of row `oy`, 16-lane channel blocks `b0` and `b0 + 1` (12
/// accumulators); pixels before `ox + skip` are computed but not stored.
@inline(__always)
func f32ConvTile6x32(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ oy: Int, _ ox: Int, _ b0: Int, _ skip: Int,
    _ rowOut: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride
    let p0 = g.packed! + b0 * stride
    let bias0 = load16(p0), bias1 = load16(p0 + stride)
    var a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1
    var a30 = bias0, a31 = bias1, a40 = bias0, a41 = bias1, a50 = bias0, a51 = bias1
    let ix0 = ox * g.strideX - g.padLeft, step = g.strideX * cin
    let span = g.kernelWidth * cin
    for ky in kyLo..<kyHi {
        let s0 = image + ((iy0 + ky) * g.inputWidth + ix0) * cin
        let s1 = s0 + step, s2 = s1 + step, s3 = s2 + step, s4 = s3 + step, s5 = s4 + step
        var wp = p0 + 16 + ky * span * 16
        for j in 0..<span {
            let w0 = load16(wp), w1 = load16(wp + stride)
            var x = F32x16(repeating: s0[j]); a00 = madd(a00, x, w0); a01 = madd(a01, x, w1)
            x = F32x16(repeating: s1[j]); a10 = madd(a10, x, w0); a11 = madd(a11, x, w1)
            x = F32x16(repeating: s2[j]); a20 = madd(a20, x, w0); a21 = madd(a21, x, w1)
            x = F32x16(repeating: s3[j]); a30 = madd(a30, x, w0); a31 = madd(a31, x, w1)
            x = F32x16(repeating: s4[j]); a40 = madd(a40, x, w0); a41 = madd(a41, x, w1)
            x = F32x16(repeating: s5[j]); a50 = madd(a50, x, w0); a51 = madd(a51, x, w1)
            wp += 16
        }
    }
    let e = g.epilogue, c0 = b0 * 16
    if skip == 0 && residual == nil && (c0 + 32 <= cout || c0 + 24 == cout) {
        // Every pixel stored, 32 real channels (the embedder's 64) or 24 (BlazeFace's): inlined
        // vector stores.
        let o = rowOut + ox * cout + c0
        if c0 + 32 <= cout {
            store16(activate(a00, e, channel: c0), o); store16(activate(a01, e, channel: c0 + 16), o + 16)
            store16(activate(a10, e, channel: c0), o + cout); store16(activate(a11, e, channel: c0 + 16), o + cout + 16)
            store16(activate(a20, e, channel: c0), o + 2 * cout); store16(activate(a21, e, channel: c0 + 16), o + 2 * cout + 16)
            store16(activate(a30, e, channel: c0), o + 3 * cout); store16(activate(a31, e, channel: c0 + 16), o + 3 * cout + 16)
            store16(activate(a40, e, channel: c0), o + 4 * cout); store16(activate(a41, e, channel: c0 + 16), o + 4 * cout + 16)
            store16(activate(a50, e, channel: c0), o + 5 * cout); store16(activate(a51, e, channel: c0 + 16), o + 5 * cout + 16)
        } else {
            store16(activate(a00, e, channel: c0), o); store8(activate(a01.lowHalf, e, channel: c0 + 16), o + 16)
            store16(activate(a10, e, channel: c0), o + cout); store8(activate(a11.lowHalf, e, channel: c0 + 16), o + cout + 16)
            store16(activate(a20, e, channel: c0), o + 2 * cout); store8(activate(a21.lowHalf, e, channel: c0 + 16), o + 2 * cout + 16)
            store16(activate(a30, e, channel: c0), o + 3 * cout); store8(activate(a31.lowHalf, e, channel: c0 + 16), o + 3 * cout + 16)
            store16(activate(a40, e, channel: c0), o + 4 * cout); store8(activate(a41.lowHalf, e, channel: c0 + 16), o + 4 * cout + 16)
            store16(activate(a50, e, channel: c0), o + 5 * cout); store8(activate(a51.lowHalf, e, channel: c0 + 16), o + 5 * cout + 16)
        }
        return
    }
    // Other channel counts, skipped pixels or a residual: the general stores.
    if skip < 1 { f32ConvStorePair16(a00, a01, rowOut + ox * cout, c0, cout, e, residual.map { $0 + ox * cout }) }
    if skip < 2 { f32ConvStorePair16(a10, a11, rowOut + (ox + 1) * cout, c0, cout, e, residual.map { $0 + (ox + 1) * cout }) }
    if skip < 3 { f32ConvStorePair16(a20, a21, rowOut + (ox + 2) * cout, c0, cout, e, residual.map { $0 + (ox + 2) * cout }) }
    if skip < 4 { f32ConvStorePair16(a30, a31, rowOut + (ox + 3) * cout, c0, cout, e, residual.map { $0 + (ox + 3) * cout }) }
    if skip < 5 { f32ConvStorePair16(a40, a41, rowOut + (ox + 4) * cout, c0, cout, e, residual.map { $0 + (ox + 4) * cout }) }
    f32ConvStorePair16(a50, a51, rowOut + (ox + 5) * cout, c0, cout, e, residual.map { $0 + (ox + 5) * cout })
}

/// Channels `c0 ..< c0 + 32` (those below `cout`) of one pixel, through the epilogue.
@inline(never)
func f32ConvStorePair16(
    _ v0: F32x16, _ v1: F32x16, _ pixel: UnsafeMutablePointer<Float>, _ c0: Int, _ cout: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    storeConvBlock16(v0, pixel, c0, cout, e, residual)
    if c0 + 16 < cout { storeConvBlock16(v1, pixel, c0 + 16, cout, e, residual) }
}

/// Writes channels `c0 ..< min(c0 + 16, cout)` of one pixel through the epilogue.
@inline(__always)
func storeConvBlock16(
    _ v: F32x16, _ out: UnsafeMutablePointer<Float>, _ c0: Int, _ cout: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    storeTail16(v, out + c0, min(16, cout - c0), c0, e, residual.map { $0 + c0 })
}

/// One output pixel, all output channels, up to 4 blocks of 16 at a time, with bounds checks.
@inline(__always)
func f32ConvPixel16(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ blocks: Int, _ oy: Int, _ ox: Int,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop, ix0 = ox * g.strideX - g.padLeft
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let kxLo = max(0, -ix0), kxHi = max(kxLo, min(g.kernelWidth, g.inputWidth - ix0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride, e = g.epilogue
    var b = 0
    while b < blocks {
        let count = min(4, blocks - b)
        let p0 = g.packed! + b * stride
        var acc0 = load16(p0)
        var acc1 = count > 1 ? load16(p0 + stride) : F32x16()
        var acc2 = count > 2 ? load16(p0 + 2 * stride) : F32x16()
        var acc3 = count > 3 ? load16(p0 + 3 * stride) : F32x16()
        for ky in kyLo..<kyHi {
            for kx in kxLo..<kxHi {
                let src = image + ((iy0 + ky) * g.inputWidth + (ix0 + kx)) * cin
                let tap = 16 + ((ky * g.kernelWidth + kx) * cin) * 16
                for ci in 0..<cin {
                    let x = F32x16(repeating: src[ci])
                    let wp = p0 + tap + ci * 16
                    acc0 = madd(acc0, x, load16(wp))
                    if count > 1 { acc1 = madd(acc1, x, load16(wp + stride)) }
                    if count > 2 { acc2 = madd(acc2, x, load16(wp + 2 * stride)) }
                    if count > 3 { acc3 = madd(acc3, x, load16(wp + 3 * stride)) }
                }
            }
        }
        storeConvBlock16(acc0, out, b * 16, cout, e, residual)
        if count > 1 { storeConvBlock16(acc1, out, (b + 1) * 16, cout, e, residual) }
        if count > 2 { storeConvBlock16(acc2, out, (b + 2) * 16, cout, e, residual) }
        if count > 3 { storeConvBlock16(acc3, out, (b + 3) * 16, cout, e, residual) }
        b += count
    }
}
#endif

/// Output pixels `ox ..< ox + 6` of row `oy`, channel blocks `b0` and `b0 + 1` (12 accumulators);
/// pixels before `ox + skip` are computed but not stored.
@inline(__always)
func f32ConvTile6x16(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ oy: Int, _ ox: Int, _ b0: Int, _ skip: Int,
    _ rowOut: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride
    let p0 = g.packed! + b0 * stride
    let bias0 = load8(p0), bias1 = load8(p0 + stride)
    var a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1
    var a30 = bias0, a31 = bias1, a40 = bias0, a41 = bias1, a50 = bias0, a51 = bias1
    let ix0 = ox * g.strideX - g.padLeft, step = g.strideX * cin
    let span = g.kernelWidth * cin
    for ky in kyLo..<kyHi {
        let s0 = image + ((iy0 + ky) * g.inputWidth + ix0) * cin
        let s1 = s0 + step, s2 = s1 + step, s3 = s2 + step, s4 = s3 + step, s5 = s4 + step
        var wp = p0 + 8 + ky * span * 8
        for j in 0..<span {
            let w0 = load8(wp), w1 = load8(wp + stride)
            var x = F32x8(repeating: s0[j]); a00 = madd(a00, x, w0); a01 = madd(a01, x, w1)
            x = F32x8(repeating: s1[j]); a10 = madd(a10, x, w0); a11 = madd(a11, x, w1)
            x = F32x8(repeating: s2[j]); a20 = madd(a20, x, w0); a21 = madd(a21, x, w1)
            x = F32x8(repeating: s3[j]); a30 = madd(a30, x, w0); a31 = madd(a31, x, w1)
            x = F32x8(repeating: s4[j]); a40 = madd(a40, x, w0); a41 = madd(a41, x, w1)
            x = F32x8(repeating: s5[j]); a50 = madd(a50, x, w0); a51 = madd(a51, x, w1)
            wp += 8
        }
    }
    let e = g.epilogue, c0 = b0 * 8
    if skip == 0 && c0 + 16 <= cout && residual == nil {
        // Both blocks real, every pixel stored: plain vector stores (the common case).
        let o = rowOut + ox * cout + c0
        store8(activate(a00, e, channel: c0), o); store8(activate(a01, e, channel: c0 + 8), o + 8)
        store8(activate(a10, e, channel: c0), o + cout); store8(activate(a11, e, channel: c0 + 8), o + cout + 8)
        store8(activate(a20, e, channel: c0), o + 2 * cout); store8(activate(a21, e, channel: c0 + 8), o + 2 * cout + 8)
        store8(activate(a30, e, channel: c0), o + 3 * cout); store8(activate(a31, e, channel: c0 + 8), o + 3 * cout + 8)
        store8(activate(a40, e, channel: c0), o + 4 * cout); store8(activate(a41, e, channel: c0 + 8), o + 4 * cout + 8)
        store8(activate(a50, e, channel: c0), o + 5 * cout); store8(activate(a51, e, channel: c0 + 8), o + 5 * cout + 8)
        return
    }
    // Partial blocks, skipped pixels or a residual: the general stores.
    if skip < 1 { f32ConvStorePair(a00, a01, rowOut + ox * cout, c0, cout, e, residual.map { $0 + ox * cout }) }
    if skip < 2 { f32ConvStorePair(a10, a11, rowOut + (ox + 1) * cout, c0, cout, e, residual.map { $0 + (ox + 1) * cout }) }
    if skip < 3 { f32ConvStorePair(a20, a21, rowOut + (ox + 2) * cout, c0, cout, e, residual.map { $0 + (ox + 2) * cout }) }
    if skip < 4 { f32ConvStorePair(a30, a31, rowOut + (ox + 3) * cout, c0, cout, e, residual.map { $0 + (ox + 3) * cout }) }
    if skip < 5 { f32ConvStorePair(a40, a41, rowOut + (ox + 4) * cout, c0, cout, e, residual.map { $0 + (ox + 4) * cout }) }
    f32ConvStorePair(a50, a51, rowOut + (ox + 5) * cout, c0, cout, e, residual.map { $0 + (ox + 5) * cout })
}

/// Channels `c0 ..< c0 + 16` (those below `cout`) of one pixel, through the epilogue.
@inline(never)
func f32ConvStorePair(
    _ v0: F32x8, _ v1: F32x8, _ pixel: UnsafeMutablePointer<Float>, _ c0: Int, _ cout: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    storeConvBlock(v0, pixel, c0, cout, e, residual)
    if c0 + 8 < cout { storeConvBlock(v1, pixel, c0 + 8, cout, e, residual) }
}

/// Output pixels `ox ..< ox + 6` of row `oy`, channel block `b0` (6 accumulators).
@inline(__always)
func f32ConvTile6x8(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ oy: Int, _ ox: Int, _ b0: Int, _ skip: Int,
    _ rowOut: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride
    let p0 = g.packed! + b0 * stride
    let bias = load8(p0)
    var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias
    let ix0 = ox * g.strideX - g.padLeft, step = g.strideX * cin
    let span = g.kernelWidth * cin
    for ky in kyLo..<kyHi {
        let s0 = image + ((iy0 + ky) * g.inputWidth + ix0) * cin
        let s1 = s0 + step, s2 = s1 + step, s3 = s2 + step, s4 = s3 + step, s5 = s4 + step
        var wp = p0 + 8 + ky * span * 8
        for j in 0..<span {
            let w = load8(wp)
            a0 = madd(a0, F32x8(repeating: s0[j]), w); a1 = madd(a1, F32x8(repeating: s1[j]), w)
            a2 = madd(a2, F32x8(repeating: s2[j]), w); a3 = madd(a3, F32x8(repeating: s3[j]), w)
            a4 = madd(a4, F32x8(repeating: s4[j]), w); a5 = madd(a5, F32x8(repeating: s5[j]), w)
            wp += 8
        }
    }
    let e = g.epilogue, c0 = b0 * 8
    if skip == 0 && c0 + 8 <= cout && residual == nil {
        let o = rowOut + ox * cout + c0
        store8(activate(a0, e, channel: c0), o); store8(activate(a1, e, channel: c0), o + cout)
        store8(activate(a2, e, channel: c0), o + 2 * cout); store8(activate(a3, e, channel: c0), o + 3 * cout)
        store8(activate(a4, e, channel: c0), o + 4 * cout); store8(activate(a5, e, channel: c0), o + 5 * cout)
        return
    }
    @inline(__always) func put(_ v: F32x8, _ p: Int) {
        let o = (ox + p) * cout
        storeConvBlock(v, rowOut + o, c0, cout, e, residual.map { $0 + o })
    }
    if skip < 1 { put(a0, 0) }
    if skip < 2 { put(a1, 1) }
    if skip < 3 { put(a2, 2) }
    if skip < 4 { put(a3, 3) }
    if skip < 5 { put(a4, 4) }
    put(a5, 5)
}

/// Output pixels `ox ..< ox + 3` of row `oy`, channel blocks `b0 ..< b0 + 3`; pixels before
/// `ox + skip` are computed but not stored.
@inline(__always)
func f32ConvTile3x24(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ oy: Int, _ ox: Int, _ b0: Int, _ skip: Int,
    _ rowOut: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride
    let p0 = g.packed! + b0 * stride
    var a00 = load8(p0), a01 = load8(p0 + stride), a02 = load8(p0 + 2 * stride)
    var a10 = a00, a11 = a01, a12 = a02, a20 = a00, a21 = a01, a22 = a02
    let ix0 = ox * g.strideX - g.padLeft, step = g.strideX * cin
    // Within one kernel row the window's pixels are adjacent in NHWC, so its KW·Cin inputs are
    // contiguous, as are their weights: one loop over them.
    let span = g.kernelWidth * cin
    for ky in kyLo..<kyHi {
        let s0 = image + ((iy0 + ky) * g.inputWidth + ix0) * cin
        let s1 = s0 + step, s2 = s0 + 2 * step
        var wp = p0 + 8 + ky * span * 8
        for j in 0..<span {
            let w0 = load8(wp), w1 = load8(wp + stride), w2 = load8(wp + 2 * stride)
            var x = F32x8(repeating: s0[j]); a00 = madd(a00, x, w0); a01 = madd(a01, x, w1); a02 = madd(a02, x, w2)
            x = F32x8(repeating: s1[j]); a10 = madd(a10, x, w0); a11 = madd(a11, x, w1); a12 = madd(a12, x, w2)
            x = F32x8(repeating: s2[j]); a20 = madd(a20, x, w0); a21 = madd(a21, x, w1); a22 = madd(a22, x, w2)
            wp += 8
        }
    }
    let e = g.epilogue, c0 = b0 * 8
    if skip == 0 && c0 + 24 <= cout && residual == nil {
        // Three real blocks, every pixel stored: plain vector stores (the common case).
        let o = rowOut + ox * cout + c0
        store8(activate(a00, e, channel: c0), o); store8(activate(a01, e, channel: c0 + 8), o + 8)
        store8(activate(a02, e, channel: c0 + 16), o + 16)
        store8(activate(a10, e, channel: c0), o + cout); store8(activate(a11, e, channel: c0 + 8), o + cout + 8)
        store8(activate(a12, e, channel: c0 + 16), o + cout + 16)
        store8(activate(a20, e, channel: c0), o + 2 * cout); store8(activate(a21, e, channel: c0 + 8), o + 2 * cout + 8)
        store8(activate(a22, e, channel: c0 + 16), o + 2 * cout + 16)
        return
    }
    if skip < 1 { storeConvPixel(a00, a01, a02, rowOut + ox * cout, b0, cout, e, residual.map { $0 + ox * cout }) }
    if skip < 2 { storeConvPixel(a10, a11, a12, rowOut + (ox + 1) * cout, b0, cout, e, residual.map { $0 + (ox + 1) * cout }) }
    storeConvPixel(a20, a21, a22, rowOut + (ox + 2) * cout, b0, cout, e, residual.map { $0 + (ox + 2) * cout })
}

/// Writes 3 blocks of 8 channels (from block `b0`) of one pixel through the epilogue.
@inline(__always)
func storeConvPixel(
    _ v0: F32x8, _ v1: F32x8, _ v2: F32x8, _ out: UnsafeMutablePointer<Float>, _ b0: Int, _ cout: Int,
    _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    storeConvBlock(v0, out, b0 * 8, cout, e, residual)
    if (b0 + 1) * 8 < cout { storeConvBlock(v1, out, (b0 + 1) * 8, cout, e, residual) }
    if (b0 + 2) * 8 < cout { storeConvBlock(v2, out, (b0 + 2) * 8, cout, e, residual) }
}

/// Writes channels `c0 ..< min(c0 + 8, cout)` of one pixel through the epilogue.
@inline(__always)
func storeConvBlock(
    _ v: F32x8, _ out: UnsafeMutablePointer<Float>, _ c0: Int, _ cout: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    storeTail8(v, out + c0, min(8, cout - c0), c0, e, residual.map { $0 + c0 })
}

/// One output pixel, all output channels, up to 4 blocks of 8 at a time, with bounds checks.
@inline(__always)
func f32ConvPixel(
    _ image: UnsafePointer<Float>, _ g: WindowArguments, _ blocks: Int, _ oy: Int, _ ox: Int,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?
) {
    let iy0 = oy * g.strideY - g.padTop, ix0 = ox * g.strideX - g.padLeft
    let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
    let kxLo = max(0, -ix0), kxHi = max(kxLo, min(g.kernelWidth, g.inputWidth - ix0))
    let cin = g.inputChannels, cout = g.outputChannels, stride = g.packedStride, e = g.epilogue
    var b = 0
    while b < blocks {
        let count = min(4, blocks - b)
        let p0 = g.packed! + b * stride
        var acc0 = load8(p0)
        var acc1 = count > 1 ? load8(p0 + stride) : F32x8()
        var acc2 = count > 2 ? load8(p0 + 2 * stride) : F32x8()
        var acc3 = count > 3 ? load8(p0 + 3 * stride) : F32x8()
        for ky in kyLo..<kyHi {
            for kx in kxLo..<kxHi {
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
        storeConvBlock(acc0, out, b * 8, cout, e, residual)
        if count > 1 { storeConvBlock(acc1, out, (b + 1) * 8, cout, e, residual) }
        if count > 2 { storeConvBlock(acc2, out, (b + 2) * 8, cout, e, residual) }
        if count > 3 { storeConvBlock(acc3, out, (b + 3) * 8, cout, e, residual) }
        b += count
    }
}
