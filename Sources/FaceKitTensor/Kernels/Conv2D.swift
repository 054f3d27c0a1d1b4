// General 2-D convolution (the stems: 5×5 stride 2 in BlazeFace, 3×3 stride 2 in the embedder).
//
//   input   [N, H, W, Cin]
//   weights [KH, KW, Cin, Cout]   TensorFlow HWIO
//   output  [N, OH, OW, Cout]     = act(conv + bias [+ residual])
//
// Packed layout: blocks of 8 output channels, each [8 bias][KH·KW·Cin × 8], the block
// count padded with zero blocks to a multiple of the tile's 3 blocks. The micro-kernels
// (f32-conv 3x24 and the border pixel loop) live in `MicroKernels/Source/Convolution.swift`.
import FaceKitKernelABI

/// Convolution weights packed in 8-channel blocks with the bias first, for one kernel configuration.
public struct PackedConvWeights: Sendable {
    public let kernelHeight, kernelWidth, inputChannels, outputChannels: Int
    /// The micro-kernels these weights are packed for, and that run them.
    public let kernels: KernelConfiguration
    let blocks: Int
    let storage: AlignedBuffer

    var taps: Int { kernelHeight * kernelWidth * inputChannels }
    var blockWidth: Int { kernels.table.convBlockWidth }
    var blockStride: Int { blockWidth * (taps + 1) }

    /// Packs HWIO `weights` and optional `bias` ([Cout]) for `kernels`.
    public init(weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
                inputChannels cin: Int, outputChannels cout: Int, kernels: KernelConfiguration = .current) throws {
        guard kh > 0, kw > 0, cin > 0, cout > 0 else {
            throw TensorError.invalidArgument(operation: "conv pack", reason: "empty kernel")
        }
        guard weights.count == kh * kw * cin * cout else {
            throw TensorError.shapeMismatch(operation: "conv pack", expected: "\(kh * kw * cin * cout) weights", actual: "\(weights.count)")
        }
        if let bias, bias.count != cout {
            throw TensorError.shapeMismatch(operation: "conv pack", expected: "\(cout) biases", actual: "\(bias.count)")
        }
        kernelHeight = kh; kernelWidth = kw; inputChannels = cin; outputChannels = cout
        self.kernels = kernels
        let width = kernels.table.convBlockWidth, tile = kernels.table.convTileBlocks
        blocks = (cout + width - 1) / width
        let taps = kh * kw * cin
        storage = AlignedBuffer(count: (blocks + tile - 1) / tile * tile * width * (taps + 1))
        let p = storage.pointer
        for b in 0..<blocks {
            let base = p + b * width * (taps + 1)
            for j in 0..<width where b * width + j < cout {
                base[j] = bias?[b * width + j] ?? 0
                for t in 0..<taps { base[width + t * width + j] = weights[t * cout + b * width + j] }
            }
        }
    }
}

/// General 2-D convolution: fast kernel and plain reference.
public enum Conv2D {
    /// Output shape for `input` under `geometry`-defining arguments.
    public static func outputShape(
        input: TensorShape, weights: PackedConvWeights, strideY: Int, strideX: Int, padding: Padding
    ) throws -> (TensorShape, WindowGeometry) {
        let g = try WindowGeometry(
            inputHeight: input.height, inputWidth: input.width, kernelHeight: weights.kernelHeight,
            kernelWidth: weights.kernelWidth, strideY: strideY, strideX: strideX, padding: padding)
        return (TensorShape(input.batch, g.outputHeight, g.outputWidth, weights.outputChannels), g)
    }

    /// act(conv(input) + bias [+ residual]) into `output`.
    public static func run(
        input: Tensor, weights: PackedConvWeights, output: Tensor, strideY: Int = 1, strideX: Int = 1,
        padding: Padding = .same, activation: Activation = .identity, residual: Tensor? = nil,
        threads: ThreadCount = .single
    ) throws {
        guard input.shape.channels == weights.inputChannels else {
            throw TensorError.shapeMismatch(operation: "conv2d", expected: "\(weights.inputChannels) input channels", actual: "\(input.shape)")
        }
        let (shape, g) = try outputShape(input: input.shape, weights: weights, strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, shape, "conv2d output")
        if let residual { try requireShape(residual, shape, "conv2d residual") }
        try activation.validate(channels: weights.outputChannels, operation: "conv2d")
        let args = g.arguments(input: input, inputChannels: weights.inputChannels, outputChannels: weights.outputChannels,
                               packed: weights.storage.pointer, packedStride: weights.blockStride,
                               output: output, residual: residual, activation: activation)
        let rows = shape.batch * g.outputHeight
        let work = shape.count * weights.taps
        let table = weights.kernels.table
        parallelFor(rows, threads: work < Tuning.current.convolutionMinimumWork ? .single : threads) { r0, r1 in
            table.convolution(args, r0..<r1)
        }
    }

    /// Plain seven-loop reference (accumulates in Double).
    public static func reference(
        input: Tensor, weights: [Float], bias: [Float]?, kernelHeight kh: Int, kernelWidth kw: Int,
        output: Tensor, strideY: Int = 1, strideX: Int = 1, padding: Padding = .same,
        activation: Activation = .identity, residual: Tensor? = nil
    ) throws {
        let s = input.shape, cin = s.channels, cout = output.shape.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kh, kernelWidth: kw,
                                   strideY: strideY, strideX: strideX, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, cout), "conv2d reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for co in 0..<cout {
                        var acc = Double(bias?[co] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * strideY - g.padTop + ky, ix = ox * strideX - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                for ci in 0..<cin {
                                    let x = input.data[((n * s.height + iy) * s.width + ix) * cin + ci]
                                    acc += Double(x) * Double(weights[((ky * kw + kx) * cin + ci) * cout + co])
                                }
                            }
                        }
                        let o = ((n * g.outputHeight + oy) * g.outputWidth + ox) * cout + co
                        var v = Float(acc)
                        if let residual { v += residual.data[o] }
                        output.data[o] = referenceActivation(v, activation, channel: co)
                    }
                }
            }
        }
    }
}
