// Zero padding.
//
// ChannelPad: input [N, H, W, Cin] → output [N, H, W, Cout], Cout ≥ Cin, new channels zero
//             at the end (BlazeFace's residual shortcut when a block grows its channels).

/// Appends zero channels.
public enum ChannelPad {
    /// Copies each pixel's channels and zero-fills the rest.
    public static func run(input: Tensor, output: Tensor, threads: ThreadCount = .single) throws {
        let s = input.shape, cout = output.shape.channels
        guard cout >= s.channels else {
            throw TensorError.invalidArgument(operation: "channel pad", reason: "output has fewer channels than input")
        }
        try requireShape(output, TensorShape(s.batch, s.height, s.width, cout), "channel pad output")
        // Pixels hold a few dozen channels: a vector loop, not a memmove call per pixel.
        let cin = s.channels, source = UnsafePointer(input.data), destination = output.data
        parallelFor(s.pixels, threads: threads, minimumPerThread: max(1, Tuning.current.copyMinimumFloats / max(1, cout))) { p0, p1 in
            copy(source + p0 * cin, channels: cin, into: destination + p0 * cout, channels: cout, pixels: p1 - p0)
        }
    }

    /// Copies `pixels` pixels of `cin` channels into pixels of `cout` ≥ `cin` channels, zero-filling
    /// the rest (also `SeparableBlock`'s padded shortcut, a strip at a time).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, channels cin: Int, into destination: UnsafeMutablePointer<Float>,
                     channels cout: Int, pixels: Int) {
        for p in 0..<pixels {
            let src = source + p * cin, dst = destination + p * cout
            var ch = 0
            while ch + 8 <= cin {
                UnsafeMutableRawPointer(dst + ch).storeBytes(of: UnsafeRawPointer(src + ch).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                ch += 8
            }
            if ch + 4 <= cin {
                UnsafeMutableRawPointer(dst + ch).storeBytes(of: UnsafeRawPointer(src + ch).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                ch += 4
            }
            // At most 3 channels are left: written one by one, not as loops (the zero-filling
            // loop had become a memset call per pixel, a third of the time of BlazeFace front's
            // padded shortcuts).
            if ch < cin { dst[ch] = src[ch]; ch += 1 }
            if ch < cin { dst[ch] = src[ch]; ch += 1 }
            if ch < cin { dst[ch] = src[ch]; ch += 1 }
            while ch + 4 <= cout {
                UnsafeMutableRawPointer(dst + ch).storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
                ch += 4
            }
            if ch < cout { dst[ch] = 0; ch += 1 }
            if ch < cout { dst[ch] = 0; ch += 1 }
            if ch < cout { dst[ch] = 0 }
        }
    }

    /// Plain reference.
    public static func reference(input: Tensor, output: Tensor) throws {
        let s = input.shape, cout = output.shape.channels
        try requireShape(output, TensorShape(s.batch, s.height, s.width, cout), "channel pad reference")
        for p in 0..<s.pixels {
            for ch in 0..<cout { output.data[p * cout + ch] = ch < s.channels ? input.data[p * s.channels + ch] : 0 }
        }
    }
}
