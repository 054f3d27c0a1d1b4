import FaceKitTensor
import FaceKitTestSupport
import Testing

/// Every kernel suite nests here: serialized, so the test pools of 2, 3 and 8 threads are
/// never busy with another test's job when a test forces threads on.
@Suite(.serialized) struct KernelTests {}

extension KernelTests {
@Suite struct Conv2DTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let h, w, cin, cout, k, stride: Int
        let padding: Padding
        var testDescription: String { "\(h)x\(w)x\(cin)→\(cout) k\(k) s\(stride) \(padding)" }
    }

    static let cases: [Case] = [
        Case(h: 16, w: 16, cin: 3, cout: 24, k: 5, stride: 2, padding: .same),   // BlazeFace stem, small
        Case(h: 15, w: 17, cin: 3, cout: 24, k: 5, stride: 2, padding: .same),   // odd sizes, stride 2
        Case(h: 14, w: 14, cin: 3, cout: 64, k: 3, stride: 2, padding: .same),   // embedder stem, small
        Case(h: 13, w: 13, cin: 3, cout: 13, k: 3, stride: 2, padding: .same),
        Case(h: 7, w: 9, cin: 13, cout: 31, k: 3, stride: 1, padding: .same),
        Case(h: 9, w: 8, cin: 1, cout: 1, k: 3, stride: 1, padding: .valid),
        Case(h: 8, w: 8, cin: 16, cout: 48, k: 1, stride: 1, padding: .valid),
        Case(h: 6, w: 7, cin: 24, cout: 16, k: 3, stride: 2, padding: .explicit(top: 1, bottom: 0, left: 2, right: 1)),
        Case(h: 5, w: 5, cin: 31, cout: 127, k: 5, stride: 1, padding: .same),
        // Rows of several full 6-pixel tiles and a re-run last tile, for each store path of the
        // 16-lane pairs (AVX-512): 24 (3/4 of a pair), 56 (a full pair and 24), 64, 40, 8.
        Case(h: 12, w: 40, cin: 3, cout: 24, k: 5, stride: 2, padding: .same),
        Case(h: 7, w: 37, cin: 2, cout: 56, k: 3, stride: 1, padding: .same),
        Case(h: 9, w: 30, cin: 3, cout: 64, k: 3, stride: 2, padding: .same),
        Case(h: 8, w: 21, cin: 5, cout: 40, k: 3, stride: 1, padding: .same),
        Case(h: 6, w: 19, cin: 2, cout: 8, k: 3, stride: 1, padding: .same),
    ]

    @Test("conv2d matches the reference", arguments: KernelRun.all)
    func sweep(run: KernelRun) throws {
        try run {
            for c in Self.cases {
                for batch in [1, 3] {
                    var rng = SeededRandom(seed: UInt64(c.h * 31 + c.cout + batch))
                    let input = randomTensor(TensorShape(batch, c.h, c.w, c.cin), &rng)
                    let weights = rng.floats(c.k * c.k * c.cin * c.cout), bias = rng.floats(c.cout)
                    let packed = try PackedConvWeights(weights: weights, bias: bias, kernelHeight: c.k, kernelWidth: c.k,
                                                       inputChannels: c.cin, outputChannels: c.cout, kernels: run.kernels)
                    let (shape, _) = try Conv2D.outputShape(input: input.shape, weights: packed, strideY: c.stride, strideX: c.stride, padding: c.padding)
                    let out = Tensor(shape: shape), ref = Tensor(shape: shape)
                    out.fill(.nan)
                                        try Conv2D.run(input: input, weights: packed, output: out, strideY: c.stride, strideX: c.stride,
                                   padding: c.padding, activation: .relu, threads: run.threadCount)
                    try Conv2D.reference(input: input, weights: weights, bias: bias, kernelHeight: c.k, kernelWidth: c.k, output: ref,
                                         strideY: c.stride, strideX: c.stride, padding: c.padding, activation: .relu)
                    expectClose(out, ref, k: c.k * c.k * c.cin, "\(c.testDescription) batch \(batch) \(run.testDescription)")
                }
            }
        }
    }

    @Test("conv2d fused epilogues", arguments: ActivationCase.allCases, KernelConfiguration.testVariants)
    func epilogues(activation: ActivationCase, kernels: KernelConfiguration) throws {
        var rng = SeededRandom(seed: 3)
        let input = randomTensor(TensorShape(2, 9, 7, 3), &rng)
        let weights = rng.floats(3 * 3 * 3 * 20), bias = rng.floats(20)
        let act = activation.make(channels: 20, &rng)
        let packed = try PackedConvWeights(weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3, inputChannels: 3, outputChannels: 20, kernels: kernels)
        let residual = randomTensor(TensorShape(2, 9, 7, 20), &rng)
        let out = Tensor(shape: residual.shape), ref = Tensor(shape: residual.shape)
        try Conv2D.run(input: input, weights: packed, output: out, activation: act, residual: residual)
        try Conv2D.reference(input: input, weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3, output: ref,
                             activation: act, residual: residual)
        expectClose(out, ref, k: 27, "conv \(activation)")
    }

    @Test("TensorFlow SAME padding puts the odd pixel bottom/right")
    func samePadding() throws {
        let g = try WindowGeometry(inputHeight: 128, inputWidth: 128, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2, padding: .same)
        #expect(g.outputHeight == 64 && g.padTop == 1 && g.padLeft == 1)   // total 3 → 1 before, 2 after
        let g3 = try WindowGeometry(inputHeight: 112, inputWidth: 112, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 2, padding: .same)
        #expect(g3.outputHeight == 56 && g3.padTop == 0)                   // total 1 → 0 before, 1 after
        let odd = try WindowGeometry(inputHeight: 7, inputWidth: 7, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 2, padding: .same)
        #expect(odd.outputHeight == 4 && odd.padTop == 1)                  // total 2 → 1 / 1
        #expect(throws: TensorError.self) {
            try WindowGeometry(inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1, padding: .valid)
        }
    }
}

@Suite struct DepthwiseConvTests {
    /// Widths from 1 to past 3 tiles of the 8-pixel row kernel, both strides, every padding,
    /// heights that leave border rows, channel counts around the 8- and 16-channel blocks
    /// (16 on AVX-512), and each fused activation without a residual (the specialised tiles).
    @Test("depthwise 3×3 matches the reference across tile edges, strides and paddings", arguments: KernelRun.all)
    func sweep(run: KernelRun) throws {
        try run {
            let paddings: [Padding] = [.same, .valid, .explicit(top: 0, bottom: 2, left: 2, right: 0)]
            for channels in [1, 7, 8, 13, 15, 16, 17, 24, 31, 33, 40] {
                for stride in [1, 2] {
                    for padding in paddings {
                        for w in [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 25, 33, 50] {
                            for (batch, h) in [(1, 3), (2, 5)] {
                                var rng = SeededRandom(seed: UInt64(channels * 1000 + w * 10 + stride))
                                guard let g = try? WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 3, kernelWidth: 3,
                                                                  strideY: stride, strideX: stride, padding: padding) else { continue }
                                let input = randomTensor(TensorShape(batch, h, w, channels), &rng)
                                let weights = rng.floats(9 * channels), bias = rng.floats(channels)
                                let packed = try PackedDepthwiseWeights(weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3,
                                                                        channels: channels, kernels: run.kernels)
                                let out = Tensor(shape: TensorShape(batch, g.outputHeight, g.outputWidth, channels)), ref = Tensor(shape: out.shape)
                                out.fill(.nan)
                                let act: Activation = switch w % 3 {
                                case 0: .identity
                                case 1: .relu
                                default: .prelu(slopes: randomTensor(TensorShape(1, 1, 1, channels), &rng))
                                }
                                try DepthwiseConv.run(input: input, weights: packed, output: out, strideY: stride, strideX: stride,
                                                      padding: padding, activation: act, threads: run.threadCount)
                                try DepthwiseConv.reference(input: input, weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3,
                                                            output: ref, strideY: stride, strideX: stride, padding: padding, activation: act)
                                expectClose(out, ref, k: 9, "depthwise \(input.shape) s\(stride) \(padding) \(run.testDescription)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("depthwise over the sweep's channel counts, with activation and residual", arguments: KernelRun.all)
    func channels(run: KernelRun) throws {
        try run {
            for channels in sweepChannels {
                for stride in [1, 2] {
                    var rng = SeededRandom(seed: UInt64(channels * 10 + stride))
                    for (batch, h, w) in [(1, 7, 7), (3, 6, 5), (1, 1, 1), (1, 2, 9), (1, 4, 19)] {
                        let input = randomTensor(TensorShape(batch, h, w, channels), &rng)
                        let weights = rng.floats(9 * channels), bias = rng.floats(channels)
                        let packed = try PackedDepthwiseWeights(weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3, channels: channels, kernels: run.kernels)
                        let g = try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 3, kernelWidth: 3, strideY: stride, strideX: stride, padding: .same)
                        let out = Tensor(shape: TensorShape(batch, g.outputHeight, g.outputWidth, channels)), ref = Tensor(shape: out.shape)
                        let act = Activation.prelu(slopes: randomTensor(TensorShape(1, 1, 1, channels), &rng))
                        let residual = randomTensor(out.shape, &rng)
                                                try DepthwiseConv.run(input: input, weights: packed, output: out, strideY: stride, strideX: stride,
                                              activation: act, residual: residual, threads: run.threadCount)
                        try DepthwiseConv.reference(input: input, weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3,
                                                    output: ref, strideY: stride, strideX: stride, activation: act, residual: residual)
                        expectClose(out, ref, k: 9, "depthwise \(input.shape) s\(stride) \(run.testDescription)")
                    }
                }
            }
        }
    }

    @Test("7×7 global depthwise (VALID) and fused epilogues", arguments: ActivationCase.allCases, KernelConfiguration.testVariants)
    func global(activation: ActivationCase, kernels: KernelConfiguration) throws {
        for channels in [13, 128] {
            var rng = SeededRandom(seed: 11)
            let input = randomTensor(TensorShape(3, 7, 7, channels), &rng)
            let weights = rng.floats(49 * channels), bias = rng.floats(channels)
            let act = activation.make(channels: channels, &rng)
            let packed = try PackedDepthwiseWeights(weights: weights, bias: bias, kernelHeight: 7, kernelWidth: 7, channels: channels, kernels: kernels)
            let out = Tensor(shape: TensorShape(3, 1, 1, channels)), ref = Tensor(shape: out.shape)
            let residual = randomTensor(out.shape, &rng)
            try DepthwiseConv.run(input: input, weights: packed, output: out, padding: .valid, activation: act, residual: residual)
            try DepthwiseConv.reference(input: input, weights: weights, bias: bias, kernelHeight: 7, kernelWidth: 7, output: ref,
                                        padding: .valid, activation: act, residual: residual)
            expectClose(out, ref, k: 49, "global depthwise \(activation) \(kernels)")
        }
    }
}
}
