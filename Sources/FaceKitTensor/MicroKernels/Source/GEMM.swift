// f32 GEMM micro-kernels for the pointwise (1×1) convolution and fully-connected layers.
//
//   A        [M, K]   row-major (NHWC pixels × input channels)
//   packed   panels of W output channels: [W bias][K × W weights], zero-padded past N
//   C        [M, N]   = epilogue(A · B + bias [+ residual])
//
// f32-gemm 6x16 (8 lanes: baseline, AVX2): a 6×16 tile of C in 12 vector registers.
// f32-gemm 6x32 (16 lanes: AVX-512): a 6×32 tile in 12 of the 32 zmm registers.
// A partial tile of 2–5 rows runs the 6-row kernel with its row pointers clamped to the last
// real row (results of the missing rows are not stored); a single row runs the 1-row kernel.
import FaceKitKernelABI

/// f32-gemm 6x16: row tiles `rowBlocks` × panels `panels` (panel outer: the panel stays in L1
/// while A streams past it).
func f32GEMM6x16(_ g: GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) {
    let k = g.k, n = g.n, stride = 16 * (k + 1)
    for panel in panels {
        let packed = g.packed + panel * stride
        let n0 = panel * 16, cols = min(16, n - n0)
        for block in rowBlocks {
            let m0 = block * 6, rows = min(6, g.m - m0)
            let c = g.c + m0 * n + n0, r = g.residual.map { $0 + m0 * n + n0 }
            if rows >= 2 {
                f32GEMMTile6x16(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
            } else if rows == 1 {
                f32GEMMTile1x16(g.a + m0 * k, k, packed, c, cols, n0, g.epilogue, r)
            }
        }
    }
}

/// Stores one 16-wide row of results (`cols` of them) through the epilogue.
@inline(__always)
func storeRow16(_ lo: F32x8, _ hi: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var lo = lo, hi = hi
    if cols == 16 {
        if let r { lo += load8(r); hi += load8(r + 8) }
        store8(activate(lo, e, channel: n0), c)
        store8(activate(hi, e, channel: n0 + 8), c + 8)
    } else {
        for j in 0..<cols {
            var v = j < 8 ? lo[j] : hi[j - 8]
            if let r { v += r[j] }
            c[j] = activate(v, e, channel: n0 + j)
        }
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
    storeRow16(c00, c01, c, cols, n0, e, residual)
    storeRow16(c10, c11, c + ldc, cols, n0, e, residual.map { $0 + ldc })
    if rows > 2 { storeRow16(c20, c21, c + 2 * ldc, cols, n0, e, residual.map { $0 + 2 * ldc }) }
    if rows > 3 { storeRow16(c30, c31, c + 3 * ldc, cols, n0, e, residual.map { $0 + 3 * ldc }) }
    if rows > 4 { storeRow16(c40, c41, c + 4 * ldc, cols, n0, e, residual.map { $0 + 4 * ldc }) }
    if rows > 5 { storeRow16(c50, c51, c + 5 * ldc, cols, n0, e, residual.map { $0 + 5 * ldc }) }
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
                f32GEMMTile6x32(g.a + m0 * k, k, packed, c, n, cols, n0, g.epilogue, r, rows: rows)
            } else if rows == 1 {
                f32GEMMTile1x32(g.a + m0 * k, k, packed, c, cols, n0, g.epilogue, r)
            }
        }
    }
}

@inline(__always)
func storeRow32(_ lo: F32x16, _ hi: F32x16, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int,
                _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var lo = lo, hi = hi
    if cols == 32 {
        if let r { lo += load16(r); hi += load16(r + 16) }
        store16(activate(lo, e, channel: n0), c)
        store16(activate(hi, e, channel: n0 + 16), c + 16)
    } else {
        for j in 0..<cols {
            var v = j < 16 ? lo[j] : hi[j - 16]
            if let r { v += r[j] }
            c[j] = activate(v, e, channel: n0 + j)
        }
    }
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
    storeRow32(c00, c01, c, cols, n0, e, residual)
    storeRow32(c10, c11, c + ldc, cols, n0, e, residual.map { $0 + ldc })
    if rows > 2 { storeRow32(c20, c21, c + 2 * ldc, cols, n0, e, residual.map { $0 + 2 * ldc }) }
    if rows > 3 { storeRow32(c30, c31, c + 3 * ldc, cols, n0, e, residual.map { $0 + 3 * ldc }) }
    if rows > 4 { storeRow32(c40, c41, c + 4 * ldc, cols, n0, e, residual.map { $0 + 4 * ldc }) }
    if rows > 5 { storeRow32(c50, c51, c + 5 * ldc, cols, n0, e, residual.map { $0 + 5 * ldc }) }
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
