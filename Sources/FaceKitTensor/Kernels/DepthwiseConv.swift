// Depthwise convolution (channel multiplier 1): 3×3 stride 1 and 2 in both models,
// and the 7×7 "global" depthwise (VALID on a 7×7 map) of the embedder head.
//
//   input   [N, H, W, C]
//   weights [KH, KW, C]     TensorFlow's [KH, KW, C, 1]
//   output  [N, OH, OW, C]  = act(dwconv + bias [+ residual])
//
// Packed layout: [C' bias][KH·KW × C'] with C' = C rounded up to the configuration's channel
// block, zero-filled. The micro-kernels (3×3 row tiles, the general tap loop) live in
// `MicroKernels/Source/Depthwise.swift`; this file packs, validates and splits rows between threads.
import FaceKitKernelABI

/// Depthwise weights packed channel-contiguous with the bias first, for one kernel configuration.
public struct PackedDepthwiseWeights: Sendable {
    public let kernelHeight, kernelWidth, channels: Int
    /// The micro-kernels these weights are packed for, and that run them.
    public let kernels: KernelConfiguration
    let paddedChannels: Int
    let storage: AlignedBuffer

    /// Packs `weights` ([KH, KW, C]) and optional `bias` ([C]) for `kernels`.
    public init(weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int, channels c: Int,
                kernels: KernelConfiguration = .current) throws {
        guard kh > 0, kw > 0, c > 0 else {
            throw TensorError.invalidArgument(operation: "depthwise pack", reason: "empty kernel")
        }
        guard weights.count == kh * kw * c else {
            throw TensorError.shapeMismatch(operation: "depthwise pack", expected: "\(kh * kw * c) weights", actual: "\(weights.count)")
        }
        if let bias, bias.count != c {
            throw TensorError.shapeMismatch(operation: "depthwise pack", expected: "\(c) biases", actual: "\(bias.count)")
        }
        kernelHeight = kh; kernelWidth = kw; channels = c
        self.kernels = kernels
        let block = kernels.table.depthwiseChannelBlock
        paddedChannels = (c + block - 1) / block * block
        storage = AlignedBuffer(count: paddedChannels * (kh * kw + 1))
        let p = storage.pointer
        for ch in 0..<c {
            p[ch] = bias?[ch] ?? 0
            for t in 0..<(kh * kw) { p[paddedChannels * (t + 1) + ch] = weights[t * c + ch] }
        }
    }
}

/// Depthwise convolution: fast kernel and plain reference.
public enum DepthwiseConv {
    /// act(dwconv(input) + bias [+ residual]) into `output`.
    public static func run(
        input: Tensor, weights: PackedDepthwiseWeights, output: Tensor, strideY: Int = 1, strideX: Int = 1,
        padding: Padding = .same, activation: Activation = .identity, residual: Tensor? = nil,
        threads: ThreadCount = .single
    ) throws {
        let s = input.shape
        guard s.channels == weights.channels else {
            throw TensorError.shapeMismatch(operation: "depthwise", expected: "\(weights.channels) channels", actual: "\(s)")
        }
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: weights.kernelHeight,
                                   kernelWidth: weights.kernelWidth, strideY: strideY, strideX: strideX, padding: padding)
        let shape = TensorShape(s.batch, g.outputHeight, g.outputWidth, s.channels)
        try requireShape(output, shape, "depthwise output")
        if let residual { try requireShape(residual, shape, "depthwise residual") }
        try activation.validate(channels: s.channels, operation: "depthwise")
        let args = g.arguments(input: input, inputChannels: s.channels, outputChannels: s.channels,
                               packed: weights.storage.pointer, packedStride: weights.paddedChannels,
                               output: output, residual: residual, activation: activation)
        let rows = s.batch * g.outputHeight
        let work = shape.count * weights.kernelHeight * weights.kernelWidth
        let table = weights.kernels.table
        parallelFor(rows, threads: work < Tuning.current.depthwiseMinimumWork ? .single : threads) { r0, r1 in
            table.depthwise(args, r0..<r1)
        }
    }

    /// Plain nested-loop reference (accumulates in Double).
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
        output: Tensor, strideY: Int = 1, strideX: Int = 1, padding: Padding = .same,
        activation: Activation = .identity, residual: Tensor? = nil
    ) throws {
        let s = input.shape, c = s.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kh, kernelWidth: kw,
                                   strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, c), "depthwise reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for ch in 0..<c {
                        var acc = Double(bias?[ch] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * strideY - g.padTop + ky, ix = ox * strideX - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                acc += Double(input.data[((n * s.height + iy) * s.width + ix) * c + ch])
                                    * Double(weights[(ky * kw + kx) * c + ch])
                            }
                        }
                        let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch
                        var v = Float(acc)
                        if let residual { v += residual.data[o] }
                        output.data[o] = referenceActivation(v, activation, channel: ch)
                    }
                }
            }
        }
    }
}
