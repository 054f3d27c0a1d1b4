// f32 depthwise convolution (channel multiplier 1) micro-kernels.
//
//   input   [N, H, W, C]
//   packed  [C' bias][KH·KW × C'], C' = C rounded up to the block, 8 (16 on AVX-512) (`packedStride` = C')
//   output  [N, OH, OW, C] = epilogue(dwconv + bias [+ residual])
//
// f32-dwconv 3x3 row, 8 lanes (16 on AVX-512, `DWVector`): an output row is swept in tiles of `dwTilePixels` pixels (8 with
// AVX2, AVX-512 and NEON, 4 on SSE2). For each channel block the tile keeps one
// accumulator per pixel in a register and runs the kernel row by row, each input column loaded
// once for all the pixels whose windows cover it (stride 1: pixels + 2 columns a row; stride 2:
// 2·pixels + 1), so a tile does 9·pixels multiply-adds from 3 weight and ~pixels input loads a
// row. Kernel rows outside the image at the top and bottom are skipped. A row's last tile
// overlaps the one before it. A border column one column outside the image (SAME padding) is
// covered by the tile at that end of the row, which skips that column's multiply-adds; only
// rows narrower than a tile (or with a residual) take `f32DWConv3x3Tile`, one pixel at a time
// with the 9 weights loaded once. A last
// block of fewer channels than the vector loads whole vectors (the packed weights are zero there, and
// tensors carry `AlignedBuffer.slack` floats past their end) and stores only its real lanes. A
// border column shifts the window inside the row and zeroes the weights of the columns it does
// not cover. Rows narrower than 3 and other kernel sizes (the embedder's 7×7 global depthwise)
// take the general tap loop `f32DWConvPixel`.
import FaceKitKernelABI

#if FACEKIT_ISA_AVX512
/// The vector of one channel block: 16 lanes on AVX-512 (f32-dwconv 3x3 avx512: the packed
/// channels round up to 16; BlazeFace's 24 channels take a full block and a half-full one,
/// still fewer instructions than three 8-lane blocks), else 8.
typealias DWVector = F32x16
let dwLanes = 16
@inline(__always) func loadDW(_ p: UnsafePointer<Float>) -> DWVector { load16(p) }
@inline(__always) func storeDW(_ v: DWVector, _ p: UnsafeMutablePointer<Float>) { store16(v, p) }
@inline(__always)
func storeTailDW(_ v: DWVector, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    storeTail16(v, c, cols, n0, e, r)
}
#else
typealias DWVector = F32x8
let dwLanes = 8
@inline(__always) func loadDW(_ p: UnsafePointer<Float>) -> DWVector { load8(p) }
@inline(__always) func storeDW(_ v: DWVector, _ p: UnsafeMutablePointer<Float>) { store8(v, p) }
@inline(__always)
func storeTailDW(_ v: DWVector, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    storeTail8(v, c, cols, n0, e, r)
}
#endif

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
    let first0 = image + (iy0 + kyLo) * rowStride - g.padLeft * c   // the first existing row
    // Border columns: the window's 3 columns shifted inside the row, with zero weights for the
    // columns it does not cover (the general tap loop only for rows narrower than 3).
    let zero = DWVector(), sxc = sx * c
    func edge(_ ox: Int) {
        let ix0 = ox * sx - g.padLeft
        guard g.inputWidth >= 3 else {
            return f32DWConvPixel(image, g, w, 0, c, oy, ox, out + ox * c, residual.map { $0 + ox * c })
        }
        let base = min(max(ix0, 0), g.inputWidth - 3), shift = base - ix0
        let x = (base + g.padLeft) * c
        var ch = 0
        while ch < c {
            let lanes = min(dwLanes, c - ch), q = w + ch
            @inline(__always) func tap(_ ky: Int, _ j: Int, _ has: Bool) -> DWVector {
                let k = j + shift
                return has && k >= 0 && k < 3 ? loadDW(q + (1 + ky * 3 + k) * cp) : zero
            }
            f32DWConv3x3Tile(row0 + x + ch, row1 + x + ch, row2 + x + ch, 1, sxc, c, loadDW(q),
                             tap(0, 0, has0), tap(0, 1, has0), tap(0, 2, has0), tap(1, 0, has1), tap(1, 1, has1), tap(1, 2, has1),
                             tap(2, 0, has2), tap(2, 1, has2), tap(2, 2, has2),
                             out + ox * c + ch, residual.map { $0 + ox * c + ch }, e, ch, lanes)
            ch += dwLanes
        }
    }
    // A border column that lies one column outside the image (SAME padding of 1 on the left;
    // one column short on the right) is not given to `edge`: the tile at that end of the row
    // skips the outside column's multiply-adds (`skip` bit 0: the first column, bit 1: the
    // last), so the whole row runs in full tiles. (BlazeFace's 8- and 16-pixel rows have a
    // quarter and an eighth of their pixels on a border.)
    let rightOver = (g.outputWidth - 1) * sx - g.padLeft + 2 - (g.inputWidth - 1)
    let tilesCoverRow = residual == nil && (sx == 1 || sx == 2) && g.outputWidth >= dwTilePixels
        && first <= 1 && g.padLeft <= 1 && g.outputWidth - last <= 1 && rightOver <= 1
    let lo = tilesCoverRow ? 0 : first, hi = tilesCoverRow ? g.outputWidth : last
    if !tilesCoverRow { for ox in 0..<first { edge(ox) } }
    // Tiles of `dwTilePixels` output pixels: for each channel block, one accumulator per
    // pixel, the kernel row by row (3 weights in registers), each input column loaded once and
    // used by every pixel whose window covers it. A last tile narrower than that takes the
    // per-pixel tile below.
    var t0 = lo
    while t0 < hi {
        var t1 = min(hi, t0 + dwTilePixels)
        if t1 - t0 < dwTilePixels && hi - lo >= dwTilePixels && residual == nil {
            // The last tile overlaps the one before and writes some pixels again, with the same
            // values (the output never aliases the input), instead of taking the per-pixel tile.
            t0 = hi - dwTilePixels; t1 = hi
        }
        let skip = tilesCoverRow ? (t0 < first ? 1 : 0) | (t1 > last ? 2 : 0) : 0
        var ch = 0
        while ch < c {
            let lanes = min(dwLanes, c - ch)   // a last partial block loads whole vectors (see AlignedBuffer.slack)
            let q = w + ch
            let x = t0 * sxc + ch, o = t0 * c + ch
            let r = residual.map { $0 + o }
            if t1 - t0 == dwTilePixels {
                let p = first0 + x, n = kyHi - kyLo, po = out + o, sl = e.slopes
                // Interior tiles take the entries specialised for stride and activation (no column
                // skipped: a constant there); a row's end tiles that skip a column their Border twins.
                switch (sx, e.kind, r != nil, lanes, skip != 0) {
                case (1, .identity, false, _, false): f32DWConv3x3PixelsS1Identity(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes)
                case (1, .relu, false, _, false): f32DWConv3x3PixelsS1ReLU(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes)
                case (1, .prelu, false, _, false): f32DWConv3x3PixelsS1PReLU(p, rowStride, n, c, q, kyLo, cp, po, sl.map { $0 + ch }, lanes)
                case (2, .identity, false, _, false): f32DWConv3x3PixelsS2Identity(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes)
                case (2, .relu, false, _, false): f32DWConv3x3PixelsS2ReLU(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes)
                case (2, .prelu, false, _, false): f32DWConv3x3PixelsS2PReLU(p, rowStride, n, c, q, kyLo, cp, po, sl.map { $0 + ch }, lanes)
                case (1, .identity, false, _, true): f32DWConv3x3PixelsS1IdentityBorder(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes, skip)
                case (1, .relu, false, _, true): f32DWConv3x3PixelsS1ReLUBorder(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes, skip)
                case (1, .prelu, false, _, true): f32DWConv3x3PixelsS1PReLUBorder(p, rowStride, n, c, q, kyLo, cp, po, sl.map { $0 + ch }, lanes, skip)
                case (2, .identity, false, _, true): f32DWConv3x3PixelsS2IdentityBorder(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes, skip)
                case (2, .relu, false, _, true): f32DWConv3x3PixelsS2ReLUBorder(p, rowStride, n, c, q, kyLo, cp, po, sl, lanes, skip)
                case (2, .prelu, false, _, true): f32DWConv3x3PixelsS2PReLUBorder(p, rowStride, n, c, q, kyLo, cp, po, sl.map { $0 + ch }, lanes, skip)
                default: f32DWConv3x3PixelsGeneral(p, rowStride, n, sx, c, q, kyLo, cp, po, r, e, ch, lanes, skip)
                }
            } else {
                let b = loadDW(q)
                let w0 = has0 ? loadDW(q + cp) : zero, w1 = has0 ? loadDW(q + 2 * cp) : zero, w2 = has0 ? loadDW(q + 3 * cp) : zero
                let w3 = has1 ? loadDW(q + 4 * cp) : zero, w4 = has1 ? loadDW(q + 5 * cp) : zero, w5 = has1 ? loadDW(q + 6 * cp) : zero
                let w6 = has2 ? loadDW(q + 7 * cp) : zero, w7 = has2 ? loadDW(q + 8 * cp) : zero, w8 = has2 ? loadDW(q + 9 * cp) : zero
                f32DWConv3x3Tile(row0 + x, row1 + x, row2 + x, t1 - t0, sxc, c, b, w0, w1, w2, w3, w4, w5, w6, w7, w8,
                                 out + o, r, e, ch, lanes)
            }
            ch += dwLanes
        }
        t0 = t1
    }
    if !tilesCoverRow { for ox in last..<g.outputWidth { edge(ox) } }
}

/// `count` output pixels of one block of `lanes` (≤ `dwLanes`) channels: input pointers advance `sxc` floats a pixel
/// (stride × channels), output and residual `c`. One partial sum per kernel row: three
/// chains of 3 multiply-adds instead of one of 9, so a pixel's work overlaps instead of
/// waiting on itself.
@inline(__always)
func f32DWConv3x3Tile(
    _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>, _ count: Int, _ sxc: Int, _ c: Int,
    _ b: DWVector, _ w0: DWVector, _ w1: DWVector, _ w2: DWVector, _ w3: DWVector, _ w4: DWVector, _ w5: DWVector, _ w6: DWVector, _ w7: DWVector, _ w8: DWVector,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ e: Epilogue, _ ch: Int, _ lanes: Int
) {
    var p0 = p0, p1 = p1, p2 = p2, out = out, residual = residual
    let c2 = c &+ c
    for _ in 0..<count {
        var s0 = madd(b, loadDW(p0), w0)
        var s1 = loadDW(p1) * w3
        var s2 = loadDW(p2) * w6
        s0 = madd(s0, loadDW(p0 + c), w1)
        s1 = madd(s1, loadDW(p1 + c), w4)
        s2 = madd(s2, loadDW(p2 + c), w7)
        s0 = madd(s0, loadDW(p0 + c2), w2)
        s1 = madd(s1, loadDW(p1 + c2), w5)
        s2 = madd(s2, loadDW(p2 + c2), w8)
        var acc = (s0 + s1) + s2
        if let r = residual { acc += loadDW(r); residual = r + c }
        // In the channels' last partial block, lanes past C held other pixels' values times
        // zero weights; only the real ones are stored.
        storeTailDW(acc, out, lanes, ch, e, nil)
        p0 += sxc; p1 += sxc; p2 += sxc; out += c
    }
}

/// Output pixels per tile of `f32DWConv3x3PixelsBody`: 8 accumulators, 3 weights and an input
/// column fit AVX2's 16 registers (the kernel rows run in a loop, so the compiler does not load
/// all 9 weights up front; stride 2 spills one vector a row), and AVX-512's or NEON's 32. On
/// SSE2 each `DWVector` takes two of the 16 registers: 4 pixels.
#if FACEKIT_ISA_AVX512 || FACEKIT_ISA_AVX2 || arch(arm64)
let dwTilePixels = 8
#else
let dwTilePixels = 4
#endif

/// f32-dwconv 3x3 tile: `dwTilePixels` output pixels of one channel block (`lanes` real
/// ones), stride `s` (1 and 2 unrolled, others per tap). `p0`, `p1`, `p2` point at the tile's
/// first input column in the three kernel rows; a row whose `has` is false is outside the image
/// (its pointer is any existing row) and gets zero weights. `q` points at the block's bias in the
/// packed weights, the taps following `cp` apart. Input and output columns advance `c` floats.
/// Each accumulator stays in a register through the three rows: callers go through the
/// specialised entries below, so that the stride and activation are constants here.
@inline(__always)
func f32DWConv3x3PixelsBody(
    _ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ s: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ e: Epilogue, _ ch: Int, _ lanes: Int, _ skip: Int
) {
    let b = loadDW(q)
    var a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b   // the first `dwTilePixels` are used
    // A loop, not three unrolled rows: unrolled, the compiler loads every row's weights and
    // inputs up front and spills them.
    var p = p, wq = q + (1 &+ 3 &* ky0) &* cp
    for _ in 0..<rows {
        f32DWConv3x3PixelsRow(p, wq, cp, c, s, skip, &a0, &a1, &a2, &a3, &a4, &a5, &a6, &a7)
        p += rowStride; wq += 3 &* cp
    }
    let r = residual
    if lanes == dwLanes && r == nil && e.kind != .sigmoid {
        // A full block (the common case): the activation decided once for the tile (PReLU's
        // slopes loaded once), then plain stores. (Through `storeTailDW` the compiler called it
        // once per pixel on AVX-512: 3 % of the embedder's time.)
        if e.kind != .identity {
            let relu = e.kind == .relu, sl = e.kind == .prelu ? loadDW(e.slopes! + ch) : DWVector()
            a0 = negativeScaled(a0, sl, relu); a1 = negativeScaled(a1, sl, relu); a2 = negativeScaled(a2, sl, relu); a3 = negativeScaled(a3, sl, relu)
            if dwTilePixels > 4 {
                a4 = negativeScaled(a4, sl, relu); a5 = negativeScaled(a5, sl, relu); a6 = negativeScaled(a6, sl, relu); a7 = negativeScaled(a7, sl, relu)
            }
        }
        storeDW(a0, out); storeDW(a1, out + c); storeDW(a2, out + 2 &* c); storeDW(a3, out + 3 &* c)
        if dwTilePixels > 4 { storeDW(a4, out + 4 &* c); storeDW(a5, out + 5 &* c); storeDW(a6, out + 6 &* c); storeDW(a7, out + 7 &* c) }
        return
    }
    if dwTilePixels > 0 { storeTailDW(a0, out, lanes, ch, e, r) }
    if dwTilePixels > 1 { storeTailDW(a1, out + c, lanes, ch, e, r.map { $0 + c }) }
    if dwTilePixels > 2 { storeTailDW(a2, out + 2 &* c, lanes, ch, e, r.map { $0 + 2 &* c }) }
    if dwTilePixels > 3 { storeTailDW(a3, out + 3 &* c, lanes, ch, e, r.map { $0 + 3 &* c }) }
    if dwTilePixels > 4 { storeTailDW(a4, out + 4 &* c, lanes, ch, e, r.map { $0 + 4 &* c }) }
    if dwTilePixels > 5 { storeTailDW(a5, out + 5 &* c, lanes, ch, e, r.map { $0 + 5 &* c }) }
    if dwTilePixels > 6 { storeTailDW(a6, out + 6 &* c, lanes, ch, e, r.map { $0 + 6 &* c }) }
    if dwTilePixels > 7 { storeTailDW(a7, out + 7 &* c, lanes, ch, e, r.map { $0 + 7 &* c }) }
}

/// One kernel row of the tile: weights `wq`, `wq + cp`, `wq + 2cp` (zero when `has` is false)
/// on input columns `p + (j·s + k)·c`. Stride 1 reads `dwTilePixels + 2` columns, stride 2
/// `2·dwTilePixels + 1`, each once.
@inline(__always)
func f32DWConv3x3PixelsRow(
    _ p: UnsafePointer<Float>, _ wq: UnsafePointer<Float>, _ cp: Int, _ c: Int, _ s: Int, _ skip: Int,
    _ a0: inout DWVector, _ a1: inout DWVector, _ a2: inout DWVector, _ a3: inout DWVector,
    _ a4: inout DWVector, _ a5: inout DWVector, _ a6: inout DWVector, _ a7: inout DWVector
) {
    let wa = loadDW(wq), wb = loadDW(wq + cp), wc = loadDW(wq + 2 &* cp)
    @inline(__always) func x(_ i: Int) -> DWVector { loadDW(p + i &* c) }
    #if FACEKIT_ISA_AVX512 || FACEKIT_ISA_AVX2 || arch(arm64)
    if s == 1 {
        if skip & 1 == 0 { a0 = madd(a0, x(0), wa) }
        var t = x(1); a1 = madd(a1, t, wa); a0 = madd(a0, t, wb)
        t = x(2); a2 = madd(a2, t, wa); a1 = madd(a1, t, wb); a0 = madd(a0, t, wc)
        t = x(3); a3 = madd(a3, t, wa); a2 = madd(a2, t, wb); a1 = madd(a1, t, wc)
        t = x(4); a4 = madd(a4, t, wa); a3 = madd(a3, t, wb); a2 = madd(a2, t, wc)
        t = x(5); a5 = madd(a5, t, wa); a4 = madd(a4, t, wb); a3 = madd(a3, t, wc)
        t = x(6); a6 = madd(a6, t, wa); a5 = madd(a5, t, wb); a4 = madd(a4, t, wc)
        t = x(7); a7 = madd(a7, t, wa); a6 = madd(a6, t, wb); a5 = madd(a5, t, wc)
        t = x(8); a7 = madd(a7, t, wb); a6 = madd(a6, t, wc)
        if skip & 2 == 0 { a7 = madd(a7, x(9), wc) }
    } else if s == 2 {
        if skip & 1 == 0 { a0 = madd(a0, x(0), wa) }
        var t = x(1); a0 = madd(a0, t, wb)
        t = x(2); a1 = madd(a1, t, wa); a0 = madd(a0, t, wc)
        t = x(3); a1 = madd(a1, t, wb)
        t = x(4); a2 = madd(a2, t, wa); a1 = madd(a1, t, wc)
        t = x(5); a2 = madd(a2, t, wb)
        t = x(6); a3 = madd(a3, t, wa); a2 = madd(a2, t, wc)
        t = x(7); a3 = madd(a3, t, wb)
        t = x(8); a4 = madd(a4, t, wa); a3 = madd(a3, t, wc)
        t = x(9); a4 = madd(a4, t, wb)
        t = x(10); a5 = madd(a5, t, wa); a4 = madd(a4, t, wc)
        t = x(11); a5 = madd(a5, t, wb)
        t = x(12); a6 = madd(a6, t, wa); a5 = madd(a5, t, wc)
        t = x(13); a6 = madd(a6, t, wb)
        t = x(14); a7 = madd(a7, t, wa); a6 = madd(a6, t, wc)
        t = x(15); a7 = madd(a7, t, wb)
        if skip & 2 == 0 { a7 = madd(a7, x(16), wc) }
    } else {
        @inline(__always) func pixel(_ v: inout DWVector, _ j: Int) {
            v = madd(madd(madd(v, x(j &* s), wa), x(j &* s &+ 1), wb), x(j &* s &+ 2), wc)
        }
        pixel(&a0, 0); pixel(&a1, 1); pixel(&a2, 2); pixel(&a3, 3); pixel(&a4, 4); pixel(&a5, 5); pixel(&a6, 6); pixel(&a7, 7)
    }
    #else
    if s == 1 {
        if skip & 1 == 0 { a0 = madd(a0, x(0), wa) }
        var t = x(1); a1 = madd(a1, t, wa); a0 = madd(a0, t, wb)
        t = x(2); a2 = madd(a2, t, wa); a1 = madd(a1, t, wb); a0 = madd(a0, t, wc)
        t = x(3); a3 = madd(a3, t, wa); a2 = madd(a2, t, wb); a1 = madd(a1, t, wc)
        t = x(4); a3 = madd(a3, t, wb); a2 = madd(a2, t, wc)
        if skip & 2 == 0 { a3 = madd(a3, x(5), wc) }
    } else if s == 2 {
        if skip & 1 == 0 { a0 = madd(a0, x(0), wa) }
        var t = x(1); a0 = madd(a0, t, wb)
        t = x(2); a1 = madd(a1, t, wa); a0 = madd(a0, t, wc)
        t = x(3); a1 = madd(a1, t, wb)
        t = x(4); a2 = madd(a2, t, wa); a1 = madd(a1, t, wc)
        t = x(5); a2 = madd(a2, t, wb)
        t = x(6); a3 = madd(a3, t, wa); a2 = madd(a2, t, wc)
        t = x(7); a3 = madd(a3, t, wb)
        if skip & 2 == 0 { a3 = madd(a3, x(8), wc) }
    } else {
        @inline(__always) func pixel(_ v: inout DWVector, _ j: Int) {
            v = madd(madd(madd(v, x(j &* s), wa), x(j &* s &+ 1), wb), x(j &* s &+ 2), wc)
        }
        pixel(&a0, 0); pixel(&a1, 1); pixel(&a2, 2); pixel(&a3, 3)
    }
    #endif
}

// The tile's entries: one per stride and activation of a channel block without residual
// (the layers of both networks), each also as a Border twin that skips a column outside the
// image, and a general one. Each inlines the body once.
@inline(never) func f32DWConv3x3PixelsS1Identity(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .identity, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS1IdentityBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .identity, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsS1ReLU(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .relu, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS1ReLUBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .relu, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsS1PReLU(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .prelu, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS1PReLUBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 1, c, q, ky0, cp, out, nil, Epilogue(kind: .prelu, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsS2Identity(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .identity, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS2IdentityBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .identity, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsS2ReLU(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .relu, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS2ReLUBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .relu, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsS2PReLU(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .prelu, slopes: slopes), 0, lanes, 0)
}
@inline(never) func f32DWConv3x3PixelsS2PReLUBorder(_ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int, _ out: UnsafeMutablePointer<Float>, _ slopes: UnsafePointer<Float>?, _ lanes: Int, _ skip: Int) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, 2, c, q, ky0, cp, out, nil, Epilogue(kind: .prelu, slopes: slopes), 0, lanes, skip)
}
@inline(never) func f32DWConv3x3PixelsGeneral(
    _ p: UnsafePointer<Float>, _ rowStride: Int, _ rows: Int, _ s: Int, _ c: Int, _ q: UnsafePointer<Float>, _ ky0: Int, _ cp: Int,
    _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ e: Epilogue, _ ch: Int, _ lanes: Int, _ skip: Int
) {
    f32DWConv3x3PixelsBody(p, rowStride, rows, s, c, q, ky0, cp, out, residual, e, ch, lanes, skip)
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
