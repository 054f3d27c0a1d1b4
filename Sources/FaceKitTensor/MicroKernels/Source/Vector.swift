// The vector type the micro-kernels are written in, the fused multiply-add, and the epilogue.
//
// This file and its neighbours are compiled once per instruction set (see
// `MicroKernels/ABI/Arguments.swift`): in `FaceKitKernelsBaseline` for x86-64 (SSE2: `F32x8`
// becomes two SSE registers) or arm64 (NEON), in `FaceKitKernelsAVX2` with AVX2 + FMA, and in
// `FaceKitKernelsAVX512` with AVX-512F. Keep it to raw pointers, SIMD types and integer loops:
// generic standard-library code specialised here could be emitted under one symbol name in
// every module and merged by the linker (`.ci/check-isa` checks the binary for that).
import FaceKitKernelABI
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

typealias F32x8 = SIMD8<Float>
typealias F32x16 = SIMD16<Float>

/// acc + a·b: one fused instruction where the module's CPU has FMA (every arm64 CPU does);
/// on baseline x86-64 a multiply and an add, because `addingProduct` without FMA becomes a
/// library call per lane.
@inline(__always)
func madd(_ acc: F32x8, _ a: F32x8, _ b: F32x8) -> F32x8 {
    #if FACEKIT_FMA || arch(arm64)
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

@inline(__always)
func madd(_ acc: F32x16, _ a: F32x16, _ b: F32x16) -> F32x16 {
    #if FACEKIT_FMA || arch(arm64)
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> F32x8 {
    UnsafeRawPointer(p).loadUnaligned(as: F32x8.self)
}

@inline(__always) func load8(_ p: UnsafeMutablePointer<Float>) -> F32x8 {
    UnsafeRawPointer(p).loadUnaligned(as: F32x8.self)
}

@inline(__always) func store8(_ v: F32x8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F32x8.self)
}

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F32x16 {
    UnsafeRawPointer(p).loadUnaligned(as: F32x16.self)
}

@inline(__always) func store16(_ v: F32x16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F32x16.self)
}

@inline(__always) func sigmoid(_ x: Float) -> Float {
    #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
    return 1 / (1 + expf(-x))
    #else
    return Float(1 / (1 + exp(Double(-x))))
    #endif
}

/// The epilogue on 8 channels starting at channel `c`.
@inline(__always)
func activate(_ v: F32x8, _ e: Epilogue, channel c: Int) -> F32x8 {
    switch e.kind {
    case .identity: return v
    case .relu: return v.replacing(with: 0, where: v .< 0)
    case .prelu: return v.replacing(with: v * load8(e.slopes! + c), where: v .< 0)
    case .sigmoid: return sigmoid8(v)
    }
}

/// Sigmoid lane by lane, out of line: only the squeeze-excitation's tiny layers use it, and
/// inlined into every store it made the stores too big to inline.
@inline(never)
func sigmoid8(_ v: F32x8) -> F32x8 {
    var r = v
    for i in 0..<8 { r[i] = sigmoid(v[i]) }
    return r
}

/// The epilogue on 16 channels starting at channel `c`.
@inline(__always)
func activate(_ v: F32x16, _ e: Epilogue, channel c: Int) -> F32x16 {
    switch e.kind {
    case .identity: return v
    case .relu: return v.replacing(with: 0, where: v .< 0)
    case .prelu: return v.replacing(with: v * load16(e.slopes! + c), where: v .< 0)
    case .sigmoid: return sigmoid16(v)
    }
}

@inline(never)
func sigmoid16(_ v: F32x16) -> F32x16 {
    var r = v
    for i in 0..<16 { r[i] = sigmoid(v[i]) }
    return r
}

/// The epilogue on one value of channel `c`.
@inline(__always)
func activate(_ v: Float, _ e: Epilogue, channel c: Int) -> Float {
    switch e.kind {
    case .identity: return v
    case .relu: return v < 0 ? 0 : v
    case .prelu: return v < 0 ? v * e.slopes![c] : v
    case .sigmoid: return sigmoid(v)
    }
}

/// Stores 8 results through the epilogue (with the residual added first).
@inline(__always)
func store8x(_ v: F32x8, _ c: UnsafeMutablePointer<Float>, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var v = v
    if let r { v += load8(r) }
    store8(activate(v, e, channel: n0), c)
}

/// Stores the first `cols` (0 … 8) of 8 results through the epilogue. The full vector is the
/// inlined fast path; fewer columns go through `storePartial8`, kept out of line so that this
/// stays small enough for the compiler to inline into every tile (when it was not, every
/// 8-column store of a GEMM tile's right half was a call).
@inline(__always)
func storeTail8(_ v: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    if cols == 8 { return store8x(v, c, n0, e, r) }
    storePartial8(v, c, cols, n0, e, r)
}

/// Stores 4 results through the epilogue (with the residual added first): the 4-column tail
/// of BlazeFace's 28, 36, 42, … channels.
@inline(__always)
func store4x(_ v: SIMD4<Float>, _ c: UnsafeMutablePointer<Float>, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var x = v
    if let r { x += UnsafeRawPointer(r).loadUnaligned(as: SIMD4<Float>.self) }
    switch e.kind {
    case .identity: break
    case .relu: x = x.replacing(with: 0, where: x .< 0)
    case .prelu: x = x.replacing(with: x * UnsafeRawPointer(e.slopes! + n0).loadUnaligned(as: SIMD4<Float>.self), where: x .< 0)
    case .sigmoid: for i in 0..<4 { x[i] = sigmoid(x[i]) }
    }
    UnsafeMutableRawPointer(c).storeBytes(of: x, as: SIMD4<Float>.self)
}

/// The first `cols` (0 … 7) of 8 results: four at once when there are at least four (BlazeFace's
/// channel counts 28, 36, 42, … leave 4- and 2-column tails), the rest one at a time.
@inline(never)
func storePartial8(_ v: F32x8, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ n0: Int, _ e: Epilogue, _ r: UnsafePointer<Float>?) {
    var j = 0
    if cols >= 4 {
        store4x(v.lowHalf, c, n0, e, r)
        j = 4
    }
    while j < cols {
        var x = v[j]
        if let r { x += r[j] }
        c[j] = activate(x, e, channel: n0 + j)
        j += 1
    }
}
