import FaceKitTensor
import FaceKitTestSupport
import Testing

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
    ]

    @Test("conv2d matches the reference", arguments: cases, [1, 3])
    func sweep(c: Case, batch: Int) throws {
        var rng = SeededRandom(seed: UInt64(c.h * 31 + c.cout + batch))
        let input = randomTensor(TensorShape(batch, c.h, c.w, c.cin), &rng)
        let weights = rng.floats(c.k * c.k * c.cin * c.cout), bias = rng.floats(c.cout)
        let packed = try PackedConvWeights(weights: weights, bias: bias, kernelHeight: c.k, kernelWidth: c.k,
                                           inputChannels: c.cin, outputChannels: c.cout)
        let (shape, _) = try Conv2D.outputShape(input: input.shape, weights: packed, strideY: c.stride, strideX: c.stride, padding: c.padding)
        let out = Tensor(shape: shape), ref = Tensor(shape: shape)
        try Conv2D.run(input: input, weights: packed, output: out, strideY: c.stride, strideX: c.stride,
                       padding: c.padding, activation: .relu, threads: ThreadCount(2))
        try Conv2D.reference(input: input, weights: weights, bias: bias, kernelHeight: c.k, kernelWidth: c.k, output: ref,
                             strideY: c.stride, strideX: c.stride, padding: c.padding, activation: .relu)
        expectClose(out, ref, k: c.k * c.k * c.cin, c.testDescription)
    }

    @Test("conv2d fused epilogues", arguments: ActivationCase.allCases)
    func epilogues(activation: ActivationCase) throws {
        var rng = SeededRandom(seed: 3)
        let input = randomTensor(TensorShape(2, 9, 7, 3), &rng)
        let weights = rng.floats(3 * 3 * 3 * 20), bias = rng.floats(20)
        let act = activation.make(channels: 20, &rng)
        let packed = try PackedConvWeights(weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3, inputChannels: 3, outputChannels: 20)
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
    @Test("depthwise matches the reference", arguments: sweepChannels, [1, 2])
    func sweep(channels: Int, stride: Int) throws {
        var rng = SeededRandom(seed: UInt64(channels * 10 + stride))
        for (batch, h, w) in [(1, 7, 7), (3, 6, 5), (1, 1, 1), (1, 2, 9)] {
            let input = randomTensor(TensorShape(batch, h, w, channels), &rng)
            let weights = rng.floats(9 * channels), bias = rng.floats(channels)
            let packed = try PackedDepthwiseWeights(weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3, channels: channels)
            let g = try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 3, kernelWidth: 3, strideY: stride, strideX: stride, padding: .same)
            let out = Tensor(shape: TensorShape(batch, g.outputHeight, g.outputWidth, channels)), ref = Tensor(shape: out.shape)
            try DepthwiseConv.run(input: input, weights: packed, output: out, strideY: stride, strideX: stride, threads: ThreadCount(2))
            try DepthwiseConv.reference(input: input, weights: weights, bias: bias, kernelHeight: 3, kernelWidth: 3,
                                        output: ref, strideY: stride, strideX: stride)
            expectClose(out, ref, k: 9, "depthwise \(input.shape) s\(stride)")
        }
    }

    @Test("7×7 global depthwise (VALID) and fused epilogues", arguments: ActivationCase.allCases, [13, 128])
    func global(activation: ActivationCase, channels: Int) throws {
        var rng = SeededRandom(seed: 11)
        let input = randomTensor(TensorShape(3, 7, 7, channels), &rng)
        let weights = rng.floats(49 * channels), bias = rng.floats(channels)
        let act = activation.make(channels: channels, &rng)
        let packed = try PackedDepthwiseWeights(weights: weights, bias: bias, kernelHeight: 7, kernelWidth: 7, channels: channels)
        let out = Tensor(shape: TensorShape(3, 1, 1, channels)), ref = Tensor(shape: out.shape)
        let residual = randomTensor(out.shape, &rng)
        try DepthwiseConv.run(input: input, weights: packed, output: out, padding: .valid, activation: act, residual: residual)
        try DepthwiseConv.reference(input: input, weights: weights, bias: bias, kernelHeight: 7, kernelWidth: 7, output: ref,
                                    padding: .valid, activation: act, residual: residual)
        expectClose(out, ref, k: 49, "global depthwise \(activation)")
    }
}
