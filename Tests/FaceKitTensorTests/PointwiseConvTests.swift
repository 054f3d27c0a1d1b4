import FaceKitTensor
import FaceKitTestSupport
import Testing

@Suite struct PointwiseConvTests {
    @Test("pointwise GEMM matches the reference", arguments: sweepChannels, [1, 13, 16, 31, 128])
    func sweep(k: Int, n: Int) throws {
        var rng = SeededRandom(seed: UInt64(k * 1000 + n))
        for (batch, h, w) in [(1, 1, 1), (1, 3, 5), (3, 2, 3)] {
            let input = randomTensor(TensorShape(batch, h, w, k), &rng)
            let weights = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n)
            let out = Tensor(shape: TensorShape(batch, h, w, n)), ref = Tensor(shape: out.shape)
            try PointwiseConv.run(input: input, weights: packed, output: out, threads: ThreadCount(2))
            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref)
            expectClose(out, ref, k: k, "pointwise \(input.shape)→\(n)")
        }
    }

    @Test("pointwise fused epilogues (activation and residual)", arguments: ActivationCase.allCases, [false, true])
    func epilogues(activation: ActivationCase, residual: Bool) throws {
        var rng = SeededRandom(seed: 7)
        for (k, n) in [(24, 24), (31, 48), (96, 13), (256, 127)] {
            let input = randomTensor(TensorShape(3, 3, 3, k), &rng)
            let weights = rng.floats(k * n), bias = rng.floats(n)
            let act = activation.make(channels: n, &rng)
            let res = residual ? randomTensor(TensorShape(3, 3, 3, n), &rng) : nil
            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n)
            let out = Tensor(shape: TensorShape(3, 3, 3, n)), ref = Tensor(shape: out.shape)
            try PointwiseConv.run(input: input, weights: packed, output: out, activation: act, residual: res)
            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref, activation: act, residual: res)
            expectClose(out, ref, k: k, "pointwise \(k)→\(n) \(activation) residual=\(residual)")
        }
    }

    @Test("a larger layer split across threads equals one thread")
    func threadedEqualsSingle() throws {
        var rng = SeededRandom(seed: 99)
        let k = 64, n = 48
        let input = randomTensor(TensorShape(2, 20, 19, k), &rng)
        let packed = try PackedPointwiseWeights(weights: rng.floats(k * n), bias: rng.floats(n), inputChannels: k, outputChannels: n)
        let one = Tensor(shape: TensorShape(2, 20, 19, n)), two = Tensor(shape: one.shape)
        try PointwiseConv.run(input: input, weights: packed, output: one, activation: .relu, threads: .single)
        try PointwiseConv.run(input: input, weights: packed, output: two, activation: .relu, threads: ThreadCount(2))
        #expect(one.toArray() == two.toArray())
    }

    @Test("fully connected (squeeze-excitation 1×1 on a 1×1 map) matches the reference", arguments: [1, 3])
    func fullyConnected(batch: Int) throws {
        var rng = SeededRandom(seed: 5)
        for (k, n) in [(128, 8), (8, 128), (13, 31), (256, 16)] {
            let input = randomTensor(TensorShape(batch, 1, 1, k), &rng)
            let weights = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n)
            let out = Tensor(shape: TensorShape(batch, 1, 1, n)), ref = Tensor(shape: out.shape)
            let act = Activation.prelu(slopes: randomTensor(TensorShape(1, 1, 1, n), &rng))
            try FullyConnected.run(input: input, weights: packed, output: out, activation: act)
            try FullyConnected.reference(input: input, weights: weights, bias: bias, output: ref, activation: act)
            expectClose(out, ref, k: k, "fc \(k)→\(n)")
        }
    }

    @Test("shape mismatches are errors, not traps")
    func mismatches() throws {
        let packed = try PackedPointwiseWeights(weights: [Float](repeating: 1, count: 6), bias: nil, inputChannels: 3, outputChannels: 2)
        #expect(throws: TensorError.self) {
            try PointwiseConv.run(input: Tensor(shape: TensorShape(1, 2, 2, 4)), weights: packed, output: Tensor(shape: TensorShape(1, 2, 2, 2)))
        }
        #expect(throws: TensorError.self) {
            try PointwiseConv.run(input: Tensor(shape: TensorShape(1, 2, 2, 3)), weights: packed, output: Tensor(shape: TensorShape(1, 2, 3, 2)))
        }
        #expect(throws: TensorError.self) {
            try PackedPointwiseWeights(weights: [1, 2, 3], bias: nil, inputChannels: 2, outputChannels: 2)
        }
    }
}
