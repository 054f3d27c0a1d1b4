// Element-wise, pooling and reduction micro-kernels over NHWC rows, 8 lanes.
//
//   f32-vadd         out[p, c] = epilogue(a[p, c] + b[p, c])                 (BlazeFace AddV2 + ReLU)
//   f32-vmulc        out[p, c] = x[p, c] · s[c] (+ r[p, c])                  (SE excitation + residual)
//   f32-meanpool     out[c]    = mean over p of x[p, c]                      (SE squeeze)
//   f32-maxpool      window max over output rows, padded cells never win;    (BlazeFace shortcut)
//                    output pixels may be wider than input ones: the extra channels are zeroed
//   f32-dot          Σ a[i]·b[i], four accumulators                          (embedding similarity)
//   f32-fma-peak     the arithmetic peak, for `bench kernels`
import FaceKitKernelABI

func f32VAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
             _ pixels: Int, _ c: Int, _ e: Epilogue) {
    for p in 0..<pixels {
        let x = a + p * c, y = b + p * c, o = out + p * c
        var ch = 0
        while ch + 8 <= c { store8(activate(load8(x + ch) + load8(y + ch), e, channel: ch), o + ch); ch += 8 }
        while ch < c { o[ch] = activate(x[ch] + y[ch], e, channel: ch); ch += 1 }
    }
}

func f32VMulC(_ x: UnsafePointer<Float>, _ scale: UnsafePointer<Float>, _ residual: UnsafePointer<Float>?,
              _ out: UnsafeMutablePointer<Float>, _ pixels: Int, _ c: Int) {
    for p in 0..<pixels {
        let src = x + p * c, dst = out + p * c, r = residual.map { $0 + p * c }
        var ch = 0
        while ch + 8 <= c {
            var v = load8(src + ch) * load8(scale + ch)
            if let r { v += load8(r + ch) }
            store8(v, dst + ch)
            ch += 8
        }
        while ch < c {
            var v = src[ch] * scale[ch]
            if let r { v += r[ch] }
            dst[ch] = v
            ch += 1
        }
    }
}

func f32MeanPool(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ pixels: Int, _ c: Int) {
    let scale = 1 / Float(pixels)
    var ch = 0
    // 32 channels at a time, even and odd pixels in separate sums: 8 independent chains of
    // adds. (One chain per 8 channels waited on its own add at every pixel: the embedder's
    // 28×28×64 squeeze took 4-5 µs.)
    while ch + 32 <= c {
        var e0 = F32x8(), e1 = F32x8(), e2 = F32x8(), e3 = F32x8(), o0 = F32x8(), o1 = F32x8(), o2 = F32x8(), o3 = F32x8()
        var p = 0
        while p + 2 <= pixels {
            let a = x + p * c + ch, b = a + c
            e0 += load8(a); e1 += load8(a + 8); e2 += load8(a + 16); e3 += load8(a + 24)
            o0 += load8(b); o1 += load8(b + 8); o2 += load8(b + 16); o3 += load8(b + 24)
            p += 2
        }
        if p < pixels {
            let a = x + p * c + ch
            e0 += load8(a); e1 += load8(a + 8); e2 += load8(a + 16); e3 += load8(a + 24)
        }
        store8((e0 + o0) * scale, out + ch); store8((e1 + o1) * scale, out + ch + 8)
        store8((e2 + o2) * scale, out + ch + 16); store8((e3 + o3) * scale, out + ch + 24)
        ch += 32
    }
    while ch + 8 <= c {
        var acc = F32x8()
        for p in 0..<pixels { acc += load8(x + p * c + ch) }
        store8(acc * scale, out + ch)
        ch += 8
    }
    while ch < c {
        var acc: Float = 0
        for p in 0..<pixels { acc += x[p * c + ch] }
        out[ch] = acc * scale
        ch += 1
    }
}

func f32MaxPool(_ g: WindowArguments, _ rows: Range<Int>) {
    // Input pixels hold C = inputChannels values; output pixels hold outputChannels ≥ C, the
    // channels past C zero-filled (a shortcut that grows its channels, pooled and padded in one pass).
    let c = g.inputChannels, cout = g.outputChannels
    for r in rows {
        let n = r / g.outputHeight, oy = r % g.outputHeight
        let image = g.input + n * g.inputHeight * g.inputWidth * c
        let iy0 = oy * g.strideY - g.padTop
        let kyLo = max(0, -iy0), kyHi = max(kyLo, min(g.kernelHeight, g.inputHeight - iy0))
        for ox in 0..<g.outputWidth {
            let ix0 = ox * g.strideX - g.padLeft
            let kxLo = max(0, -ix0), kxHi = max(kxLo, min(g.kernelWidth, g.inputWidth - ix0))
            let dst = g.output + ((n * g.outputHeight + oy) * g.outputWidth + ox) * cout
            let first = image + ((iy0 + kyLo) * g.inputWidth + ix0 + kxLo) * c
            var ch = 0
            while ch + 8 <= c {
                var m = load8(first + ch)
                for ky in kyLo..<kyHi {
                    for kx in kxLo..<kxHi {
                        let v = load8(image + ((iy0 + ky) * g.inputWidth + ix0 + kx) * c + ch)
                        m = m.replacing(with: v, where: v .> m)
                    }
                }
                store8(m, dst + ch)
                ch += 8
            }
            if ch + 4 <= c {
                var m = UnsafeRawPointer(first + ch).loadUnaligned(as: SIMD4<Float>.self)
                for ky in kyLo..<kyHi {
                    for kx in kxLo..<kxHi {
                        let v = UnsafeRawPointer(image + ((iy0 + ky) * g.inputWidth + ix0 + kx) * c + ch).loadUnaligned(as: SIMD4<Float>.self)
                        m = m.replacing(with: v, where: v .> m)
                    }
                }
                UnsafeMutableRawPointer(dst + ch).storeBytes(of: m, as: SIMD4<Float>.self)
                ch += 4
            }
            while ch < c {
                var m = first[ch]
                for ky in kyLo..<kyHi {
                    for kx in kxLo..<kxHi {
                        let v = image[((iy0 + ky) * g.inputWidth + ix0 + kx) * c + ch]
                        if v > m { m = v }
                    }
                }
                dst[ch] = m
                ch += 1
            }
            while ch < cout { dst[ch] = 0; ch += 1 }
        }
    }
}

func f32Dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var s0 = F32x8(), s1 = F32x8(), s2 = F32x8(), s3 = F32x8()
    var i = 0
    while i + 32 <= count {
        s0 = madd(s0, load8(a + i), load8(b + i))
        s1 = madd(s1, load8(a + i + 8), load8(b + i + 8))
        s2 = madd(s2, load8(a + i + 16), load8(b + i + 16))
        s3 = madd(s3, load8(a + i + 24), load8(b + i + 24))
        i += 32
    }
    while i + 8 <= count { s0 = madd(s0, load8(a + i), load8(b + i)); i += 8 }
    var sum = ((s0 + s1) + (s2 + s3)).sum()
    while i < count { sum += a[i] * b[i]; i += 1 }
    return sum
}

#if FACEKIT_ISA_AVX512
/// The peak loop's vector: 16 lanes where the module has AVX-512 (its GEMM runs 16-lane
/// tiles), else 8.
typealias F32xPeak = F32x16
let f32FMAPeakLanes = 16
#else
typealias F32xPeak = F32x8
let f32FMAPeakLanes = 8
#endif

/// 12 × `f32FMAPeakLanes` multiply-adds per iteration, no memory traffic: this module's
/// arithmetic peak.
@inline(never)
func f32FMAPeak(_ iterations: Int) -> Float {
    #if arch(x86_64) && !FACEKIT_FMA
    // SSE2 has 16 registers: 12 chains of 8 lanes (24 of them) would spill, and the loop would
    // time the stack. Six chains of 8 lanes (12 registers), two multiply-adds each per iteration:
    // each multiply waits 3 cycles for its add and the add 3 for its multiply, so 12 4-lane
    // chains keep the 2 multiply and 2 add pipes busy.
    var a0 = F32x8(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
    let x = F32x8(repeating: 0.999_999), y = F32x8(repeating: 1e-7)
    for _ in 0..<iterations {
        a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y)
        a4 = madd(a4, x, y); a5 = madd(a5, x, y)
        a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y)
        a4 = madd(a4, x, y); a5 = madd(a5, x, y)
    }
    return (((a0 + a1) + (a2 + a3)) + (a4 + a5)).sum()
    #else
    var a0 = F32xPeak(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
    var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
    let x = F32xPeak(repeating: 0.999_999), y = F32xPeak(repeating: 1e-7)
    for _ in 0..<iterations {
        a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y)
        a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y)
        a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y)
    }
    return (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))).sum()
    #endif
}
