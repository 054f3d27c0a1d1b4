// Element-wise ops over NHWC tensors.
//
// Add:           a [N, H, W, C] + b [N, H, W, C] → act(a + b)            (BlazeFace AddV2 + Relu)
// ChannelScale:  x [N, H, W, C] · s [N, 1, 1, C] (+ residual)            (the excitation, then the
//                                                                         bottleneck's residual add)
//
// The vector loops are the micro-kernels f32-vadd and f32-vmulc (`MicroKernels/Source/Elementwise.swift`).

/// Element-wise addition with an optional fused activation.
public enum Add {
    /// act(a + b) into `output` (which may be `a` or `b`).
    public static func run(_ a: Tensor, _ b: Tensor, output: Tensor, activation: Activation = .identity,
                           kernels: KernelConfiguration = .current) throws {
        try requireShape(b, a.shape, "add")
        try requireShape(output, a.shape, "add output")
        let c = a.shape.channels
        try activation.validate(channels: c, operation: "add")
        kernels.table.add(a.data, b.data, output.data, a.shape.pixels, c, activation.epilogue)
    }

    /// Plain reference.
    public static func reference(_ a: Tensor, _ b: Tensor, output: Tensor, activation: Activation = .identity) throws {
        try requireShape(b, a.shape, "add reference")
        try requireShape(output, a.shape, "add reference output")
        let c = a.shape.channels
        for i in 0..<a.count { output.data[i] = referenceActivation(a.data[i] + b.data[i], activation, channel: i % c) }
    }
}

/// Per-channel multiplication with broadcast over H and W, optionally followed by a residual add.
public enum ChannelScale {
    /// x · scale[n, c] (+ residual) into `output` (which may be `x`), its pixels split across
    /// up to `threads` threads where each gets at least `Tuning.copyMinimumFloats` floats (a
    /// memory-bound pass: the embedder's 28×28 and 14×14 maps split, its 7×7 ones do not).
    public static func run(input x: Tensor, scale: Tensor, output: Tensor, residual: Tensor? = nil,
                           threads: ThreadCount = .single, kernels: KernelConfiguration = .current) throws {
        let s = x.shape, c = s.channels
        try requireShape(scale, TensorShape(s.batch, 1, 1, c), "channel scale factors")
        try requireShape(output, s, "channel scale output")
        if let residual { try requireShape(residual, s, "channel scale residual") }
        let hw = s.height * s.width, table = kernels.table
        let xData = UnsafePointer(x.data), scaleData = UnsafePointer(scale.data), outData = output.data
        let residualData = residual.map { UnsafePointer($0.data) }
        // Pixels over the whole batch, in pieces that never cross an image.
        parallelFor(s.batch * hw, threads: threads, minimumPerThread: max(1, Tuning.current.copyMinimumFloats / max(1, c))) { p0, p1 in
            var p = p0
            while p < p1 {
                let n = p / hw, end = min(p1, (n + 1) * hw), offset = p * c
                table.channelScale(xData + offset, scaleData + n * c, residualData.map { $0 + offset }, outData + offset, end - p, c)
                p = end
            }
        }
    }

    /// Plain reference.
    public static func reference(input x: Tensor, scale: Tensor, output: Tensor, residual: Tensor? = nil) throws {
        let s = x.shape, c = s.channels, hw = s.height * s.width
        try requireShape(output, s, "channel scale reference")
        for i in 0..<x.count {
            let n = i / (hw * c), ch = i % c
            output.data[i] = x.data[i] * scale.data[n * c + ch] + (residual?.data[i] ?? 0)
        }
    }
}

