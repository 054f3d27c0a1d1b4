// Vector reductions for matching embeddings, on the configured micro-kernels.
//
//   dot   a [n] · b [n] → Σ a[i]·b[i]     (f32-dot: four 8-lane accumulators, FMA where the CPU has it)

/// Vector reductions used to compare embeddings.
public enum VectorOps {
    /// Σ a[i]·b[i] over the first `count` elements.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                           kernels: KernelConfiguration = .current) -> Float {
        count > 0 ? kernels.table.dot(a, b, count) : 0
    }

    /// The plain reference: Σ a[i]·b[i] accumulated in Double.
    public static func referenceDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s = 0.0
        for i in 0..<count { s += Double(a[i]) * Double(b[i]) }
        return Float(s)
    }

    /// The arithmetic peak loop of `kernels` (12 × ``fmaPeakLanes(kernels:)`` multiply-adds per
    /// iteration, no memory traffic); for `bench kernels`, which reports GFLOP/s against it.
    public static func fmaPeak(iterations: Int, kernels: KernelConfiguration = .current) -> Float {
        kernels.table.fmaPeak(iterations)
    }

    /// The vector width of ``fmaPeak(iterations:kernels:)``'s loop: 16 lanes for AVX-512, else 8.
    public static func fmaPeakLanes(kernels: KernelConfiguration = .current) -> Int {
        kernels.table.fmaPeakLanes
    }
}
