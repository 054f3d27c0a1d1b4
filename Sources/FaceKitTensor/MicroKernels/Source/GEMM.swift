// f32 GEMM micro-kernels for the pointwise (1×1) convolution and fully-connected layers.
//
//   A        [M, K]   row-major (NHWC pixels × input channels)
//   packed   panels of W output channels: [W bias][K × W weights], zero-padded past N
//   C        [M, N]   = epilogue(A · B + bias [+ residual])
//
// The panel width W is chosen per layer (`f32GEMMPanelWidth`) to waste the fewest columns:
// f32-gemm 6x16 (8 lanes: baseline, AVX2): a 6×16 tile of C in 12 vector registers; a last
//                panel with at most 8 real columns runs f32-gemm 6x8 over its first half.
// f32-gemm 6x8 (x86-64 baseline, SSE2): panels of 8, a 6×8 tile in 12 of the 16 xmm registers.
//                For K ≤ 512 its A rows are first copied, 6 at a time, as 4-lane broadcasts
//                (`f32GEMM6x8SSE2`): SSE2 has no broadcast load, and a load + shuffle per row
//                and k left the loop front-end bound.
// f32-gemm 3x24 (8 lanes): a 3×24 tile in 9 registers, for N = 24, 72, … (BlazeFace back's
//                24-channel layers, which 16-wide panels would fill to 75 %). A 4×24 tile
//                needs 12 accumulators + 3 weights + 1 broadcast = all 16 AVX2 registers, and
//                the compiler spilled an accumulator to the stack in the inner loop.
// f32-gemm 3x32 (8 lanes, x86-64 with FMA): a 3×32 tile in 12 of AVX2's 16 registers, for N =
//                32, 64, … (every layer of the embedder): a k step broadcasts 3 A values and
//                loads 4 weight vectors for 12 multiply-adds, where 6x16 broadcasts 6 and loads
//                2. A broadcast from memory costs a load and a shuffle on these CPUs. `bench
//                kernels` on the embedder's shapes: 80–88 % of the FMA peak against 64–81 % for
//                6x16 (Zen 3; the tile shapes in C: Benchmarks/sse/gemm_tiles.c).
// f32-gemm 6x32 (16 lanes: AVX-512): a 6×32 tile in 12 of the 32 zmm registers; a last panel
//                with at most 16 real columns runs its first half. On Zen 5 (full-width
//                AVX-512) the same loop in C runs at the FMA peak (266–270 of ~269 GFLOP/s; 8x32,
//                4x64 and 7x48 no faster: Benchmarks/sse/gemm_tiles_avx512.c), and `bench kernels`
//                measures 94–100 % on the networks' shapes.
// A partial tile of fewer rows runs the full-height kernel with its row pointers clamped to
// the last real row (results of the missing rows are not stored); a single row runs a 1-row kernel.
import FaceKitKernelABI

/// The panel width for N output channels: 32 for the 16-lane AVX-512 layout; always 8 on
/// x86-64 baseline (SSE2); else (8 lanes) the width of 16, 24 and, on x86-64, 32 that wastes the
/// fewest columns, 32 before 16 before 24 when they tie.
func f32GEMMPanelWidth(outputChannels n: Int, wide: Bool) -> Int {
    if wide { return 32 }
    #if arch(x86_64) && !FACEKIT_FMA
    return 8
    #else
    let waste16 = (n + 15) / 16 * 16 - n, waste24 = (n + 23) / 24 * 24 - n
    #if arch(x86_64)
    let waste32 = (n + 31) / 32 * 32 - n
    if waste32 <= min(waste16, waste24) { return 32 }
    #endif
    return waste24 < waste16 ? 24 : 16
    #endif
}

/// Rows of the tile that runs panels of `width` channels: 3 for 24 and for 32 on 8 lanes (3x24,
/// 3x32), else 6 (6x8, 6x16, and 6x32 on 16 lanes).
func f32GEMMRowTile(panelWidth width: Int, wide: Bool) -> Int {
    width == 24 || (width == 32 && !wide) ? 3 : 6
}

/// 8-lane f32 GEMM: row tiles `rowBlocks` × panels `panels` (panel outer: the panel stays in
/// L1 while A streams past it), with the tile the panel width calls for.
func f32GEMM8Lane(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    switch g.panelWidth {
    case 24: f32GEMM3x24(g, rowBlocks, panels)
    case 32: f32GEMM3x32(g, rowBlocks, panels)
    case 8:
        #if arch(x86_64) && !FACEKIT_FMA
        if g.k <= f32GEMMBroadcastMaxK, panels.count > 1, #available(macOS 26.0, iOS 26.0, *) { return f32GEMM6x8SSE2(g, rowBlocks, panels) }
        #endif
        f32GEMM6x8(g, rowBlocks, panels)
    default: f32GEMM6x16(g, rowBlocks, panels)
    }
}

/// f32-gemm 6x16 (and 6x8 for a last panel of at most 8 columns).
func f32GEMM6x16(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 16 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 16, cols = min(16, n - n0)
        for block in rowBlocks {
            let m0 = block * 6, rows = min(6, g.m - m0)
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            if rows >= 2 {
                if cols <= 8 {
                    f32GEMMTile6x8(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
                } else {
                    f32GEMMTile6x16(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
                }
            } else if rows == 1 {
                f32GEMMTile1x16(g.a + m0 * k, k, packed, c, cols, n0, g.epilogue, r)
            }
        }
    }
}

/// f32-gemm 6x8 over panels of 8 columns (x86-64 baseline: with SSE2's 16 registers of 4 lanes,
/// the 6x16 tile's 12 accumulators alone take 24 registers and spill in the inner loop; 6x8 needs
/// 12 + 2 weights + 1 broadcast).
func f32GEMM6x8(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 8 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 8, cols = min(8, n - n0)
        for block in rowBlocks {
            let m0 = block * 6, rows = min(6, g.m - m0)
            guard rows > 0 else { continue }
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            f32GEMMTile6x8(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows, panelWidth: 8)
        }
    }
}

#if arch(x86_64) && !FACEKIT_FMA
/// The largest K `f32GEMM6x8SSE2` takes: its broadcast A block (6 × K × 4 floats) lives on the
/// stack. Larger K, and calls over a single panel (nothing to reuse the copy), run `f32GEMM6x8`.
let f32GEMMBroadcastMaxK = 512

/// f32-gemm 6x8 sse2 with A pre-broadcast: row tiles outer, panels inner. Each 6-row block of A
/// is copied once per call as [K][6] 4-lane broadcasts, so the inner loop's A operands are
/// aligned loads that fold into `mulps` (in C on this machine: 41–42 GFLOP/s against 32 for a
/// `movss` + `shufps` broadcast per row and k). The weight panels stream from L2, which keeps up.
@available(macOS 26.0, iOS 26.0, *)
func f32GEMM6x8SSE2(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    if g.k <= 128 {
        var block = InlineArray<768, SIMD4<Float>>(repeating: .zero)     // 6 × 128 broadcasts, 12 KiB
        withUnsafeMutablePointer(to: &block) { f32GEMM6x8SSE2(g, rowBlocks, panels, UnsafeMutableRawPointer($0).assumingMemoryBound(to: SIMD4<Float>.self)) }
    } else {
        var block = InlineArray<3072, SIMD4<Float>>(repeating: .zero)    // 6 × 512 broadcasts, 48 KiB
        withUnsafeMutablePointer(to: &block) { f32GEMM6x8SSE2(g, rowBlocks, panels, UnsafeMutableRawPointer($0).assumingMemoryBound(to: SIMD4<Float>.self)) }
    }
}

//   ab  [K][6] SIMD4: ab[k·6 + r] = A[m0 + min(r, rows − 1), k] in every lane
@inline(__always)
func f32GEMM6x8SSE2(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>, _ ab: UnsafeMutablePointer<SIMD4<Float>>) {
    let k = g.k, n = g.n, stride = 8 * (k + 1)
    for block in rowBlocks {
        let m0 = block * 6, rows = min(6, g.m - m0)
        guard rows > 0 else { continue }
        for r in 0..<6 {
            let row = g.a + (m0 + min(r, rows - 1)) * k
            var dst = ab + r
            for kk in 0..<k { dst.pointee = SIMD4(repeating: row[kk]); dst += 6 }
        }
        for panel in panels {
            let n0 = panel * 8
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            f32GEMMTile6x8SSE2(ab, k, g.packed + panel * stride, c, n, min(8, n - n0), n0, g.epilogue, r, rows: rows)
        }
    }
}

/// 6 rows × 8 columns from a broadcast A block; `packed` is 16-byte aligned (64-byte aligned
/// storage, panels of 8 × (K + 1) floats).
@inline(__always)
func f32GEMMTile6x8SSE2(
    _ ab: UnsafePointer<SIMD4<Float>>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    var w = UnsafeRawPointer(packed)
    let b0 = w.load(as: SIMD4<Float>.self), b1 = w.load(fromByteOffset: 16, as: SIMD4<Float>.self)
    var c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1
    var c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1
    var x = ab
    for _ in 0..<k {
        w += 32
        let w0 = w.load(as: SIMD4<Float>.self), w1 = w.load(fromByteOffset: 16, as: SIMD4<Float>.self)
        c00 += x[0] * w0; c01 += x[0] * w1
        c10 += x[1] * w0; c11 += x[1] * w1
        c20 += x[2] * w0; c21 += x[2] * w1
        c30 += x[3] * w0; c31 += x[3] * w1
        c40 += x[4] * w0; c41 += x[4] * w1
        c50 += x[5] * w0; c51 += x[5] * w1
        x += 6
    }
    storeTile6x8(F32x8(lowHalf: c00, highHalf: c01), F32x8(lowHalf: c10, highHalf: c11), F32x8(lowHalf: c20, highHalf: c21),
                 F32x8(lowHalf: c30, highHalf: c31), F32x8(lowHalf: c40, highHalf: c41), F32x8(lowHalf: c50, highHalf: c51),
                 c, ldc, cols, n0, e, residual, rows: rows)
}
#endif

/// f32-gemm 3x24 over panels of 24 columns, row tiles of 3.
func f32GEMM3x24(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 24 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 24, cols = min(24, n - n0)
        for block in rowBlocks {
            let m0 = block * 3, rows = min(3, g.m - m0)
            guard rows > 0 else { continue }
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            f32GEMMTile3x24(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
        }
    }
}

/// f32-gemm 3x32 over panels of 32 columns, row tiles of 3.
func f32GEMM3x32(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 32 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 32, cols = min(32, n - n0)
        for block in rowBlocks {
            let m0 = block * 3, rows = min(3, g.m - m0)
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            if rows >= 2 {
                f32GEMMTile3x32(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
            } else if rows == 1 {
                f32GEMMTile1x32Narrow(g.a + m0 * k, k, packed, c, cols, n0, g.epilogue, r)
            }
        }
    }
}

// The row stores keep a full row inline and move partial rows out of line: inlined whole, their
// scalar tails made them too big, the compiler called them instead, and every tile row's store
// became a call.

/// Stores one 16-wide row of results (`cols` of them) through the epilogue.
@inline(__always)
func storeRow16(_ lo: F32x8, _ hi: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols == 16 {
        store8x(lo, c, n0, e, r)
        store8x(hi, c + 8, n0 + 8, e, r.map { $0 + 8 })
    } else {
        storeRow16Partial(lo, hi, c, cols, n0, e, r)
    }
}

@inline(never)
func storeRow16Partial(_ lo: F32x8, _ hi: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                       _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols >= 8 {
        store8x(lo, c, n0, e, r)
        storeTail8(hi, c + 8, cols - 8, n0 + 8, e, r.map { $0 + 8 })
    } else {
        storeTail8(lo, c, cols, n0, e, r)
    }
}

/// v where v ≥ 0, else 0 (ReLU, `relu`) or v·s (PReLU with slopes s).
@inline(__always)
func negativeScaled(_ v: F32x8, _ s: F32x8, _ relu: Bool) -> F32x8 {
    relu ? v.replacing(with: 0, where: v .< 0) : v.replacing(with: v * s, where: v .< 0)
}

@inline(__always)
func negativeScaled(_ v: F32x16, _ s: F32x16, _ relu: Bool) -> F32x16 {
    relu ? v.replacing(with: 0, where: v .< 0) : v.replacing(with: v * s, where: v .< 0)
}

/// Stores one 24-wide row of results (`cols` of them).
@inline(__always)
func storeRow24(_ v0: F32x8, _ v1: F32x8, _ v2: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols == 24 {
        store8x(v0, c, n0, e, r)
        store8x(v1, c + 8, n0 + 8, e, r.map { $0 + 8 })
        store8x(v2, c + 16, n0 + 16, e, r.map { $0 + 16 })
    } else {
        storeRow24Partial(v0, v1, v2, c, cols, n0, e, r)
    }
}

@inline(never)
func storeRow24Partial(_ v0: F32x8, _ v1: F32x8, _ v2: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                       _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols > 16 {
        store8x(v0, c, n0, e, r)
        store8x(v1, c + 8, n0 + 8, e, r.map { $0 + 8 })
        storeTail8(v2, c + 16, cols - 16, n0 + 16, e, r.map { $0 + 16 })
    } else {
        storeRow16(v0, v1, c, cols, n0, e, r)
    }
}

@inline(__always)
func f32GEMMTile6x16(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
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
    if rows == 6 && cols == 16 && e.kind != .sigmoid {
        // A full tile: the residual, then the activation decided once for all 12 vectors
        // (PReLU's two slope vectors loaded once), then 12 plain stores.
        if let r = residual {
            c00 += load8(r); c01 += load8(r + 8); c10 += load8(r + ldc); c11 += load8(r + ldc + 8)
            c20 += load8(r + 2 * ldc); c21 += load8(r + 2 * ldc + 8); c30 += load8(r + 3 * ldc); c31 += load8(r + 3 * ldc + 8)
            c40 += load8(r + 4 * ldc); c41 += load8(r + 4 * ldc + 8); c50 += load8(r + 5 * ldc); c51 += load8(r + 5 * ldc + 8)
        }
        if e.kind != .identity {
            let relu = e.kind == .relu
            let s0 = e.kind == .prelu ? load8(e.slopes! + n0) : F32x8(), s1 = e.kind == .prelu ? load8(e.slopes! + n0 + 8) : F32x8()
            c00 = negativeScaled(c00, s0, relu); c01 = negativeScaled(c01, s1, relu); c10 = negativeScaled(c10, s0, relu); c11 = negativeScaled(c11, s1, relu)
            c20 = negativeScaled(c20, s0, relu); c21 = negativeScaled(c21, s1, relu); c30 = negativeScaled(c30, s0, relu); c31 = negativeScaled(c31, s1, relu)
            c40 = negativeScaled(c40, s0, relu); c41 = negativeScaled(c41, s1, relu); c50 = negativeScaled(c50, s0, relu); c51 = negativeScaled(c51, s1, relu)
        }
        store8(c00, c); store8(c01, c + 8); store8(c10, c + ldc); store8(c11, c + ldc + 8)
        store8(c20, c + 2 * ldc); store8(c21, c + 2 * ldc + 8); store8(c30, c + 3 * ldc); store8(c31, c + 3 * ldc + 8)
        store8(c40, c + 4 * ldc); store8(c41, c + 4 * ldc + 8); store8(c50, c + 5 * ldc); store8(c51, c + 5 * ldc + 8)
        return
    }
    if cols == 16 && rows == 6 {
        // A full tile: plain vector stores, inlined (the common case).
        store8x(c00, c, n0, e, residual); store8x(c01, c + 8, n0 + 8, e, residual.map { $0 + 8 })
        store8x(c10, c + ldc, n0, e, residual.map { $0 + ldc }); store8x(c11, c + ldc + 8, n0 + 8, e, residual.map { $0 + ldc + 8 })
        store8x(c20, c + 2 * ldc, n0, e, residual.map { $0 + 2 * ldc }); store8x(c21, c + 2 * ldc + 8, n0 + 8, e, residual.map { $0 + 2 * ldc + 8 })
        store8x(c30, c + 3 * ldc, n0, e, residual.map { $0 + 3 * ldc }); store8x(c31, c + 3 * ldc + 8, n0 + 8, e, residual.map { $0 + 3 * ldc + 8 })
        store8x(c40, c + 4 * ldc, n0, e, residual.map { $0 + 4 * ldc }); store8x(c41, c + 4 * ldc + 8, n0 + 8, e, residual.map { $0 + 4 * ldc + 8 })
        store8x(c50, c + 5 * ldc, n0, e, residual.map { $0 + 5 * ldc }); store8x(c51, c + 5 * ldc + 8, n0 + 8, e, residual.map { $0 + 5 * ldc + 8 })
        return
    }
    // A partial tile (a last panel of 9-15 columns, BlazeFace's 28, 42, ... channels, or fewer
    // rows): the 12 vectors go to a stack tile and one out-of-line call stores its rows. (Six
    // calls of a partial row store, each calling a partial vector store, cost BlazeFace front's
    // 64x64x24->28 block about as much as its multiply-adds.)
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
    withUnsafeBytes(of: &tile) { buffer in
        storeTile(buffer.baseAddress!.assumingMemoryBound(to: Float.self), width: 16, rows: rows, cols: cols, c, ldc, n0, e, residual)
    }
}

/// Stores rows `0 ..< rows`, columns `0 ..< cols` (≤ `width`) of a tile `width` floats wide kept
/// row by row at `t`, through the epilogue: 8, then 4 columns as vectors, the rest one at a time.
@inline(never)
func storeTile(_ t: UnsafePointer<Float>, width: Int, rows: Int, cols: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ n0: Int,
               _ e: Epilogue, _ residual: UnsafePointer<Float>?) {
    for i in 0..<rows {
        let v = t + width * i, out = c + i * ldc, r = residual.map { $0 + i * ldc }
        var j = 0
        while j + 8 <= cols {
            store8x(load8(v + j), out + j, n0 + j, e, r.map { $0 + j })
            j += 8
        }
        if j + 4 <= cols {
            store4x(UnsafeRawPointer(v + j).loadUnaligned(as: SIMD4<Float>.self), out + j, n0 + j, e, r.map { $0 + j })
            j += 4
        }
        while j < cols {
            var x = v[j]
            if let r { x += r[j] }
            out[j] = activate(x, e, channel: n0 + j)
            j += 1
        }
    }
}

/// 6 rows × the first 8 columns of a 16-wide panel (a last panel with at most 8 real columns).
@inline(__always)
func f32GEMMTile6x8(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int, panelWidth: Int = 16
) {
    let b = load8(packed)
    var c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b
    var w = packed + panelWidth
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    let a3 = a + min(3, rows - 1) * k, a4 = a + min(4, rows - 1) * k, a5 = a + min(5, rows - 1) * k
    for kk in 0..<k {
        let wl = load8(w)
        c0 = madd(c0, F32x8(repeating: a0[kk]), wl); c1 = madd(c1, F32x8(repeating: a1[kk]), wl)
        c2 = madd(c2, F32x8(repeating: a2[kk]), wl); c3 = madd(c3, F32x8(repeating: a3[kk]), wl)
        c4 = madd(c4, F32x8(repeating: a4[kk]), wl); c5 = madd(c5, F32x8(repeating: a5[kk]), wl)
        w += panelWidth
    }
    storeTile6x8(c0, c1, c2, c3, c4, c5, c, ldc, cols, n0, e, residual, rows: rows)
}

/// Stores the first `rows` of a 6 × 8 tile's rows (`cols` columns each) through the epilogue;
/// the 6x8 tiles of both forms (`f32GEMMTile6x8`, `f32GEMMTile6x8SSE2`) end with it.
@inline(__always)
func storeTile6x8(
    _ c0: F32x8, _ c1: F32x8, _ c2: F32x8, _ c3: F32x8, _ c4: F32x8, _ c5: F32x8,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    storeTail8(c0, c, cols, n0, e, residual)
    if rows > 1 { storeTail8(c1, c + ldc, cols, n0, e, residual.map { $0 + ldc }) }
    if rows > 2 { storeTail8(c2, c + 2 * ldc, cols, n0, e, residual.map { $0 + 2 * ldc }) }
    if rows > 3 { storeTail8(c3, c + 3 * ldc, cols, n0, e, residual.map { $0 + 3 * ldc }) }
    if rows > 4 { storeTail8(c4, c + 4 * ldc, cols, n0, e, residual.map { $0 + 4 * ldc }) }
    if rows > 5 { storeTail8(c5, c + 5 * ldc, cols, n0, e, residual.map { $0 + 5 * ldc }) }
}

/// 3 rows × 24 columns in 9 registers (each weight vector loaded once for 3 rows).
@inline(__always)
func f32GEMMTile3x24(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    let b0 = load8(packed), b1 = load8(packed + 8), b2 = load8(packed + 16)
    var c00 = b0, c01 = b1, c02 = b2, c10 = b0, c11 = b1, c12 = b2, c20 = b0, c21 = b1, c22 = b2
    var w = packed + 24
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    for kk in 0..<k {
        let w0 = load8(w), w1 = load8(w + 8), w2 = load8(w + 16)
        var x = F32x8(repeating: a0[kk]); c00 = madd(c00, x, w0); c01 = madd(c01, x, w1); c02 = madd(c02, x, w2)
        x = F32x8(repeating: a1[kk]); c10 = madd(c10, x, w0); c11 = madd(c11, x, w1); c12 = madd(c12, x, w2)
        x = F32x8(repeating: a2[kk]); c20 = madd(c20, x, w0); c21 = madd(c21, x, w1); c22 = madd(c22, x, w2)
        w += 24
    }
    if rows == 3 && cols == 24 && e.kind != .sigmoid {
        // A full tile: residual, the activation decided once (PReLU slopes loaded once), stores.
        if let r = residual {
            c00 += load8(r); c01 += load8(r + 8); c02 += load8(r + 16)
            c10 += load8(r + ldc); c11 += load8(r + ldc + 8); c12 += load8(r + ldc + 16)
            c20 += load8(r + 2 * ldc); c21 += load8(r + 2 * ldc + 8); c22 += load8(r + 2 * ldc + 16)
        }
        if e.kind != .identity {
            let prelu = e.kind == .prelu, relu = e.kind == .relu
            let s0 = prelu ? load8(e.slopes! + n0) : F32x8(), s1 = prelu ? load8(e.slopes! + n0 + 8) : F32x8()
            let s2 = prelu ? load8(e.slopes! + n0 + 16) : F32x8()
            c00 = negativeScaled(c00, s0, relu); c01 = negativeScaled(c01, s1, relu); c02 = negativeScaled(c02, s2, relu)
            c10 = negativeScaled(c10, s0, relu); c11 = negativeScaled(c11, s1, relu); c12 = negativeScaled(c12, s2, relu)
            c20 = negativeScaled(c20, s0, relu); c21 = negativeScaled(c21, s1, relu); c22 = negativeScaled(c22, s2, relu)
        }
        store8(c00, c); store8(c01, c + 8); store8(c02, c + 16)
        store8(c10, c + ldc); store8(c11, c + ldc + 8); store8(c12, c + ldc + 16)
        store8(c20, c + 2 * ldc); store8(c21, c + 2 * ldc + 8); store8(c22, c + 2 * ldc + 16)
        return
    }
    if cols == 24 && rows == 3 {
        // A full tile: plain vector stores, inlined (the common case).
        store8x(c00, c, n0, e, residual); store8x(c01, c + 8, n0 + 8, e, residual.map { $0 + 8 })
        store8x(c02, c + 16, n0 + 16, e, residual.map { $0 + 16 })
        store8x(c10, c + ldc, n0, e, residual.map { $0 + ldc }); store8x(c11, c + ldc + 8, n0 + 8, e, residual.map { $0 + ldc + 8 })
        store8x(c12, c + ldc + 16, n0 + 16, e, residual.map { $0 + ldc + 16 })
        store8x(c20, c + 2 * ldc, n0, e, residual.map { $0 + 2 * ldc }); store8x(c21, c + 2 * ldc + 8, n0 + 8, e, residual.map { $0 + 2 * ldc + 8 })
        store8x(c22, c + 2 * ldc + 16, n0 + 16, e, residual.map { $0 + 2 * ldc + 16 })
        return
    }
    storeRow24(c00, c01, c02, c, cols, n0, e, residual)
    if rows > 1 { storeRow24(c10, c11, c12, c + ldc, cols, n0, e, residual.map { $0 + ldc }) }
    if rows > 2 { storeRow24(c20, c21, c22, c + 2 * ldc, cols, n0, e, residual.map { $0 + 2 * ldc }) }
}

/// 3 rows × 32 columns in 12 registers: each k step 3 broadcasts and 4 weight vectors, each
/// weight vector used by the 3 rows as soon as it is loaded (so that 12 accumulators, 3
/// broadcasts and 1 weight vector fit AVX2's 16 registers).
@inline(__always)
func f32GEMMTile3x32(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    let b0 = load8(packed), b1 = load8(packed + 8), b2 = load8(packed + 16), b3 = load8(packed + 24)
    var c00 = b0, c01 = b1, c02 = b2, c03 = b3, c10 = b0, c11 = b1, c12 = b2, c13 = b3, c20 = b0, c21 = b1, c22 = b2, c23 = b3
    var w = packed + 32
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    for kk in 0..<k {
        let x0 = F32x8(repeating: a0[kk]), x1 = F32x8(repeating: a1[kk]), x2 = F32x8(repeating: a2[kk])
        var t = load8(w); c00 = madd(c00, x0, t); c10 = madd(c10, x1, t); c20 = madd(c20, x2, t)
        t = load8(w + 8); c01 = madd(c01, x0, t); c11 = madd(c11, x1, t); c21 = madd(c21, x2, t)
        t = load8(w + 16); c02 = madd(c02, x0, t); c12 = madd(c12, x1, t); c22 = madd(c22, x2, t)
        t = load8(w + 24); c03 = madd(c03, x0, t); c13 = madd(c13, x1, t); c23 = madd(c23, x2, t)
        w += 32
    }
    if rows == 3 && cols == 32 && e.kind != .sigmoid {
        // A full tile: the residual, the activation decided once (PReLU's slopes loaded once), stores.
        if let r = residual {
            c00 += load8(r); c01 += load8(r + 8); c02 += load8(r + 16); c03 += load8(r + 24)
            c10 += load8(r + ldc); c11 += load8(r + ldc + 8); c12 += load8(r + ldc + 16); c13 += load8(r + ldc + 24)
            c20 += load8(r + 2 * ldc); c21 += load8(r + 2 * ldc + 8); c22 += load8(r + 2 * ldc + 16); c23 += load8(r + 2 * ldc + 24)
        }
        if e.kind != .identity {
            let prelu = e.kind == .prelu, relu = e.kind == .relu
            let s0 = prelu ? load8(e.slopes! + n0) : F32x8(), s1 = prelu ? load8(e.slopes! + n0 + 8) : F32x8()
            let s2 = prelu ? load8(e.slopes! + n0 + 16) : F32x8(), s3 = prelu ? load8(e.slopes! + n0 + 24) : F32x8()
            c00 = negativeScaled(c00, s0, relu); c01 = negativeScaled(c01, s1, relu); c02 = negativeScaled(c02, s2, relu); c03 = negativeScaled(c03, s3, relu)
            c10 = negativeScaled(c10, s0, relu); c11 = negativeScaled(c11, s1, relu); c12 = negativeScaled(c12, s2, relu); c13 = negativeScaled(c13, s3, relu)
            c20 = negativeScaled(c20, s0, relu); c21 = negativeScaled(c21, s1, relu); c22 = negativeScaled(c22, s2, relu); c23 = negativeScaled(c23, s3, relu)
        }
        store8(c00, c); store8(c01, c + 8); store8(c02, c + 16); store8(c03, c + 24)
        store8(c10, c + ldc); store8(c11, c + ldc + 8); store8(c12, c + ldc + 16); store8(c13, c + ldc + 24)
        store8(c20, c + 2 * ldc); store8(c21, c + 2 * ldc + 8); store8(c22, c + 2 * ldc + 16); store8(c23, c + 2 * ldc + 24)
        return
    }
    // A partial tile (fewer rows or columns, or a sigmoid): the 12 vectors go to a stack tile
    // and one out-of-line call stores its rows.
    var tile = (c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23)
    withUnsafeBytes(of: &tile) { buffer in
        storeTile(buffer.baseAddress!.assumingMemoryBound(to: Float.self), width: 32, rows: rows, cols: cols, c, ldc, n0, e, residual)
    }
}

@inline(__always)
func f32GEMMTile1x16(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    var lo = load8(packed), hi = load8(packed + 8)
    var w = packed + 16
    for kk in 0..<k {
        let x = F32x8(repeating: a[kk])
        lo = madd(lo, x, load8(w)); hi = madd(hi, x, load8(w + 8))
        w += 16
    }
    storeRow16(lo, hi, c, cols, n0, e, residual)
}

/// One row × 32 columns in 4 8-lane accumulators (a single row: the fully connected layers of
/// one image).
@inline(__always)
func f32GEMMTile1x32Narrow(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    var v0 = load8(packed), v1 = load8(packed + 8), v2 = load8(packed + 16), v3 = load8(packed + 24)
    var w = packed + 32
    for kk in 0..<k {
        let x = F32x8(repeating: a[kk])
        v0 = madd(v0, x, load8(w)); v1 = madd(v1, x, load8(w + 8)); v2 = madd(v2, x, load8(w + 16)); v3 = madd(v3, x, load8(w + 24))
        w += 32
    }
    storeRow16(v0, v1, c, min(cols, 16), n0, e, residual)
    if cols > 16 { storeRow16(v2, v3, c + 16, cols - 16, n0 + 16, e, residual.map { $0 + 16 }) }
}

/// f32-gemm 6x32 for 16-lane vectors (the AVX-512 configuration): as `f32GEMM6x16` with
/// panels of 32 output channels.
func f32GEMM6x32(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 32 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 32, cols = min(32, n - n0)
        for block in rowBlocks {
            let m0 = block * 6, rows = min(6, g.m - m0)
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            if rows >= 2 {
                if cols <= 16 {
                    f32GEMMTile6x16Wide(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
                } else {
                    f32GEMMTile6x32(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
                }
            } else if rows == 1 {
                f32GEMMTile1x32(g.a + m0 * k, k, packed, c, cols, n0, g.epilogue, r)
            }
        }
    }
}

@inline(__always)
func storeRow32(_ lo: F32x16, _ hi: F32x16, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols >= 16 {
        store16x(lo, c, n0, e, r)
        storeTail16(hi, c + 16, cols - 16, n0 + 16, e, r.map { $0 + 16 })
    } else {
        storeTail16(lo, c, cols, n0, e, r)
    }
}

@inline(__always)
func store16x(_ v: F32x16, _ c: UnsafeMutablePointer<Float>, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var v = v
    if let r { v += load16(r) }
    store16(activate(v, e, channel: n0), c)
}

/// Stores the first `cols` (0 … 16) of 16 results: a whole vector, or 8-wide halves and lanes.
@inline(__always)
func storeTail16(_ v: F32x16, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols == 16 { return store16x(v, c, n0, e, r) }
    // Half a vector (BlazeFace's 24, 56, 72, 88 channels end in one): its low 8 lanes, inlined.
    if cols == 8 { return store8x(v.lowHalf, c, n0, e, r) }
    storeTail16Partial(v, c, cols, n0, e, r)
}

@inline(never)
func storeTail16Partial(_ v: F32x16, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    storeRow16(v.lowHalf, v.highHalf, c, cols, n0, e, r)
}

@inline(__always)
func f32GEMMTile6x32(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    let b0 = load16(packed), b1 = load16(packed + 16)
    var c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1
    var c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1
    var w = packed + 32
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    let a3 = a + min(3, rows - 1) * k, a4 = a + min(4, rows - 1) * k, a5 = a + min(5, rows - 1) * k
    for kk in 0..<k {
        let wl = load16(w), wh = load16(w + 16)
        let x0 = F32x16(repeating: a0[kk]); c00 = madd(c00, x0, wl); c01 = madd(c01, x0, wh)
        let x1 = F32x16(repeating: a1[kk]); c10 = madd(c10, x1, wl); c11 = madd(c11, x1, wh)
        let x2 = F32x16(repeating: a2[kk]); c20 = madd(c20, x2, wl); c21 = madd(c21, x2, wh)
        let x3 = F32x16(repeating: a3[kk]); c30 = madd(c30, x3, wl); c31 = madd(c31, x3, wh)
        let x4 = F32x16(repeating: a4[kk]); c40 = madd(c40, x4, wl); c41 = madd(c41, x4, wh)
        let x5 = F32x16(repeating: a5[kk]); c50 = madd(c50, x5, wl); c51 = madd(c51, x5, wh)
        w += 32
    }
    if rows == 6 && cols == 32 && e.kind != .sigmoid {
        // A full tile: the residual, then the activation decided once for all 12 vectors
        // (PReLU's two slope vectors loaded once), then 12 plain stores. (Through `store16x` the
        // compiler called it once per vector: 4.5 % of the embedder's time.)
        if let r = residual {
            c00 += load16(r); c01 += load16(r + 16); c10 += load16(r + ldc); c11 += load16(r + ldc + 16)
            c20 += load16(r + 2 * ldc); c21 += load16(r + 2 * ldc + 16); c30 += load16(r + 3 * ldc); c31 += load16(r + 3 * ldc + 16)
            c40 += load16(r + 4 * ldc); c41 += load16(r + 4 * ldc + 16); c50 += load16(r + 5 * ldc); c51 += load16(r + 5 * ldc + 16)
        }
        if e.kind != .identity {
            let relu = e.kind == .relu
            let s0 = e.kind == .prelu ? load16(e.slopes! + n0) : F32x16(), s1 = e.kind == .prelu ? load16(e.slopes! + n0 + 16) : F32x16()
            c00 = negativeScaled(c00, s0, relu); c01 = negativeScaled(c01, s1, relu); c10 = negativeScaled(c10, s0, relu); c11 = negativeScaled(c11, s1, relu)
            c20 = negativeScaled(c20, s0, relu); c21 = negativeScaled(c21, s1, relu); c30 = negativeScaled(c30, s0, relu); c31 = negativeScaled(c31, s1, relu)
            c40 = negativeScaled(c40, s0, relu); c41 = negativeScaled(c41, s1, relu); c50 = negativeScaled(c50, s0, relu); c51 = negativeScaled(c51, s1, relu)
        }
        store16(c00, c); store16(c01, c + 16); store16(c10, c + ldc); store16(c11, c + ldc + 16)
        store16(c20, c + 2 * ldc); store16(c21, c + 2 * ldc + 16); store16(c30, c + 3 * ldc); store16(c31, c + 3 * ldc + 16)
        store16(c40, c + 4 * ldc); store16(c41, c + 4 * ldc + 16); store16(c50, c + 5 * ldc); store16(c51, c + 5 * ldc + 16)
        return
    }
    if cols == 32 && rows == 6 {
        // A full tile with a sigmoid: plain vector stores.
        store16x(c00, c, n0, e, residual); store16x(c01, c + 16, n0 + 16, e, residual.map { $0 + 16 })
        store16x(c10, c + ldc, n0, e, residual.map { $0 + ldc }); store16x(c11, c + ldc + 16, n0 + 16, e, residual.map { $0 + ldc + 16 })
        store16x(c20, c + 2 * ldc, n0, e, residual.map { $0 + 2 * ldc }); store16x(c21, c + 2 * ldc + 16, n0 + 16, e, residual.map { $0 + 2 * ldc + 16 })
        store16x(c30, c + 3 * ldc, n0, e, residual.map { $0 + 3 * ldc }); store16x(c31, c + 3 * ldc + 16, n0 + 16, e, residual.map { $0 + 3 * ldc + 16 })
        store16x(c40, c + 4 * ldc, n0, e, residual.map { $0 + 4 * ldc }); store16x(c41, c + 4 * ldc + 16, n0 + 16, e, residual.map { $0 + 4 * ldc + 16 })
        store16x(c50, c + 5 * ldc, n0, e, residual.map { $0 + 5 * ldc }); store16x(c51, c + 5 * ldc + 16, n0 + 16, e, residual.map { $0 + 5 * ldc + 16 })
        return
    }
    if cols == 24 && rows == 6 {
        // 24 real columns (BlazeFace's 24-channel layers, a panel of 32 three quarters full):
        // one 16-lane and one 8-lane store a row, inlined.
        store16x(c00, c, n0, e, residual); store8x(c01.lowHalf, c + 16, n0 + 16, e, residual.map { $0 + 16 })
        store16x(c10, c + ldc, n0, e, residual.map { $0 + ldc }); store8x(c11.lowHalf, c + ldc + 16, n0 + 16, e, residual.map { $0 + ldc + 16 })
        store16x(c20, c + 2 * ldc, n0, e, residual.map { $0 + 2 * ldc }); store8x(c21.lowHalf, c + 2 * ldc + 16, n0 + 16, e, residual.map { $0 + 2 * ldc + 16 })
        store16x(c30, c + 3 * ldc, n0, e, residual.map { $0 + 3 * ldc }); store8x(c31.lowHalf, c + 3 * ldc + 16, n0 + 16, e, residual.map { $0 + 3 * ldc + 16 })
        store16x(c40, c + 4 * ldc, n0, e, residual.map { $0 + 4 * ldc }); store8x(c41.lowHalf, c + 4 * ldc + 16, n0 + 16, e, residual.map { $0 + 4 * ldc + 16 })
        store16x(c50, c + 5 * ldc, n0, e, residual.map { $0 + 5 * ldc }); store8x(c51.lowHalf, c + 5 * ldc + 16, n0 + 16, e, residual.map { $0 + 5 * ldc + 16 })
        return
    }
    // A partial tile (BlazeFace's 28, 42, … channels, or fewer rows): the 12 vectors go to a
    // stack tile and one out-of-line call stores its rows (per-row stores of a partial 16-lane
    // vector, lane by lane, had cost BlazeFace back's 24-channel blocks a quarter of their time).
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
    withUnsafeBytes(of: &tile) { buffer in
        storeTile(buffer.baseAddress!.assumingMemoryBound(to: Float.self), width: 32, rows: rows, cols: cols, c, ldc, n0, e, residual)
    }
}

/// 6 rows × the first 16 columns of a 32-wide panel, 16 lanes.
@inline(__always)
func f32GEMMTile6x16Wide(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?, rows: Int
) {
    let b = load16(packed)
    var c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b
    var w = packed + 32
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    let a3 = a + min(3, rows - 1) * k, a4 = a + min(4, rows - 1) * k, a5 = a + min(5, rows - 1) * k
    for kk in 0..<k {
        let wl = load16(w)
        c0 = madd(c0, F32x16(repeating: a0[kk]), wl); c1 = madd(c1, F32x16(repeating: a1[kk]), wl)
        c2 = madd(c2, F32x16(repeating: a2[kk]), wl); c3 = madd(c3, F32x16(repeating: a3[kk]), wl)
        c4 = madd(c4, F32x16(repeating: a4[kk]), wl); c5 = madd(c5, F32x16(repeating: a5[kk]), wl)
        w += 32
    }
    if cols == 16 && rows == 6 {
        store16x(c0, c, n0, e, residual); store16x(c1, c + ldc, n0, e, residual.map { $0 + ldc })
        store16x(c2, c + 2 * ldc, n0, e, residual.map { $0 + 2 * ldc }); store16x(c3, c + 3 * ldc, n0, e, residual.map { $0 + 3 * ldc })
        store16x(c4, c + 4 * ldc, n0, e, residual.map { $0 + 4 * ldc }); store16x(c5, c + 5 * ldc, n0, e, residual.map { $0 + 5 * ldc })
        return
    }
    var tile = (c0, c1, c2, c3, c4, c5)
    withUnsafeBytes(of: &tile) { buffer in
        storeTile(buffer.baseAddress!.assumingMemoryBound(to: Float.self), width: 16, rows: rows, cols: cols, c, ldc, n0, e, residual)
    }
}

@inline(__always)
func f32GEMMTile1x32(
    _ a: UnsafePointer<Float>, _ k: Int, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ cols: Int, _ n0: Int, _ e: Epilogue, _ residual: UnsafePointer<Float>?
) {
    var lo = load16(packed), hi = load16(packed + 16)
    var w = packed + 32
    for kk in 0..<k {
        let x = F32x16(repeating: a[kk])
        lo = madd(lo, x, load16(w)); hi = madd(hi, x, load16(w + 16))
        w += 32
    }
    storeRow32(lo, hi, c, cols, n0, e, residual)
}
