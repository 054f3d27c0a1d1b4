// Pooling.
//
// MaxPool:           input [N, H, W, C] → output [N, OH, OW, C'], window k×k, stride s, C' ≥ C
//                    (BlazeFace's residual shortcut: 2×2 stride 2). Padded cells never win; the
//                    output channels past C are zero (the shortcut's channel padding, in the same pass).
// GlobalAveragePool: input [N, H, W, C] → output [N, 1, 1, C] (the squeeze of SE).
//
// The loops are the micro-kernels f32-maxpool and f32-meanpool (`MicroKernels/Source/Elementwise.swift`).

/// Max pooling: fast kernel and plain reference.
public enum MaxPool {
    /// Max over each window; SAME padding ignores the padded cells (as TensorFlow does). An
    /// output with more channels than the input gets zeros in the extra ones (max pool, then
    /// ``ChannelPad``, in one pass).
    public static func run(
        input: Tensor, output: Tensor, kernel: Int = 2, stride: Int = 2, padding: Padding = .valid,
        threads: ThreadCount = .single, kernels: KernelConfiguration = .current
    ) throws {
        let s = input.shape, c = s.channels, cout = output.shape.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kernel,
                                   kernelWidth: kernel, strideY: stride, strideX: stride, padding: padding)
        guard cout >= c else {
            throw TensorError.invalidArgument(operation: "maxpool", reason: "output has fewer channels (\(cout)) than input (\(c))")
        }
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, cout), "maxpool output")
        let args = g.arguments(input: input, inputChannels: c, outputChannels: cout, packed: nil, packedStride: 0,
                               output: output, residual: nil, activation: .identity)
        let rows = s.batch * g.outputHeight, table = kernels.table
        // A memory-bound pass: split only when each thread gets a few thousand outputs.
        parallelFor(rows, threads: threads, minimumPerThread: max(1, Tuning.current.copyMinimumFloats / max(1, g.outputWidth * cout))) { r0, r1 in
            table.maxPool(args, r0..<r1)
        }
    }

    /// Plain reference.
    public static func reference(
        input: Tensor, output: Tensor, kernel: Int = 2, stride: Int = 2, padding: Padding = .valid
    ) throws {
        let s = input.shape, c = s.channels, cout = output.shape.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kernel,
                                   kernelWidth: kernel, strideY: stride, strideX: stride, padding: padding)
        guard cout >= c else { throw TensorError.invalidArgument(operation: "maxpool reference", reason: "output has fewer channels than input") }
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, cout), "maxpool reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for ch in c..<cout { output.data[((n * g.outputHeight + oy) * g.outputWidth + ox) * cout + ch] = 0 }
                    for ch in 0..<c {
                        var m = -Float.infinity
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = oy * stride - g.padTop + ky, ix = ox * stride - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                m = max(m, input.data[((n * s.height + iy) * s.width + ix) * c + ch])
                            }
                        }
                        output.data[((n * g.outputHeight + oy) * g.outputWidth + ox) * cout + ch] = m
                    }
                }
            }
        }
    }
}

/// Global average pooling over height and width.
public enum GlobalAveragePool {
    /// Mean over H and W of each image and channel.
    public static func run(input: Tensor, output: Tensor, kernels: KernelConfiguration = .current) throws {
        let s = input.shape, c = s.channels
        try requireShape(output, TensorShape(s.batch, 1, 1, c), "global average pool output")
        let hw = s.height * s.width
        for n in 0..<s.batch { kernels.table.meanPool(input.data + n * hw * c, output.data + n * c, hw, c) }
    }

    /// Plain reference (sums in Double).
    public static func reference(input: Tensor, output: Tensor) throws {
        let s = input.shape, c = s.channels
        try requireShape(output, TensorShape(s.batch, 1, 1, c), "global average pool reference")
        for n in 0..<s.batch {
            for ch in 0..<c {
                var acc = 0.0
                for y in 0..<s.height {
                    for x in 0..<s.width { acc += Double(input.data[((n * s.height + y) * s.width + x) * c + ch]) }
                }
                output.data[n * c + ch] = Float(acc / Double(s.height * s.width))
            }
        }
    }
}
