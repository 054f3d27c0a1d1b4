import FaceKitTensor
import FaceKitTestSupport
import Testing

extension KernelTests {
    @Suite struct Pointwise {
        /// The GEMM micro-kernel tester (as XNNPACK's GemmMicrokernelTester): M across the
        /// 3- and 6-row tiles (1 … 3 tiles + 1: partial tiles of every height), N below, at and
        /// above each panel width (16, 24 and 32; 32 for the AVX-512 layout, 8 for SSE2) up to 3 panels + 1,
        /// K across small and vector-sized values; tolerance grows with K.
        @Test("f32-gemm over tile edges in M, N and K matches the nested-loop reference", arguments: KernelRun.all)
        func tileEdges(run: KernelRun) throws {
            try run {
                var rng = SeededRandom(seed: 17)
                let ms = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 18, 19]
                let ns = [1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 64, 65, 72, 96, 97, 128]
                let ks = [1, 2, 3, 8, 17, 64]
                var widths = Set<Int>()
                for m in ms {
                    for n in ns {
                        for k in ks {
                            let input = randomTensor(TensorShape(1, 1, m, k), &rng)
                            let weights = rng.floats(k * n), bias = rng.floats(n)
                            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n, kernels: run.kernels)
                            widths.insert(packed.panelWidth)
                            let out = Tensor(shape: TensorShape(1, 1, m, n)), ref = Tensor(shape: out.shape)
                            out.fill(.nan)
                            try PointwiseConv.run(input: input, weights: packed, output: out, threads: run.threadCount)
                            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref)
                            expectClose(out, ref, k: k, "gemm m=\(m) n=\(n) k=\(k) \(run.testDescription)")
                        }
                    }
                }
                // Every tile the variant has was exercised: 6x16, 3x24 and on x86-64 3x32 (8
                // lanes), 6x32 (16 lanes), or 6x8 alone (x86-64 baseline: SSE2's 16 registers).
                #if arch(x86_64)
                let sse2 = run.kernels.name == "baseline", eightLane: Set<Int> = [16, 24, 32]
                #else
                let sse2 = false, eightLane: Set<Int> = [16, 24]
                #endif
                let expected: Set<Int> = run.kernels.name.contains("avx512") || run.kernels.name.hasSuffix("-wide") ? [32]
                    : sse2 ? [8] : eightLane
                #expect(widths == expected)
            }
        }

        /// K across the sizes where the SSE2 kernel changes path: its broadcast A block holds
        /// K ≤ 128 or K ≤ 512 (two stack sizes); past 512, and over a single panel, the plain
        /// 6x8 kernel runs. The other variants get the same sweep.
        @Test("f32-gemm over K = 127 … 700 (the SSE2 broadcast block's limits) matches the reference", arguments: KernelRun.all)
        func largeK(run: KernelRun) throws {
            try run {
                var rng = SeededRandom(seed: 23)
                for k in [127, 128, 129, 511, 512, 513, 700] {
                    for m in [1, 5, 6, 7, 13] {
                        for n in [1, 8, 9, 17, 40] {
                            let input = randomTensor(TensorShape(1, 1, m, k), &rng)
                            let weights = rng.floats(k * n), bias = rng.floats(n)
                            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n, kernels: run.kernels)
                            let out = Tensor(shape: TensorShape(1, 1, m, n)), ref = Tensor(shape: out.shape)
                            out.fill(.nan)
                            try PointwiseConv.run(input: input, weights: packed, output: out, activation: .relu, threads: run.threadCount)
                            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref, activation: .relu)
                            expectClose(out, ref, k: k, "gemm m=\(m) n=\(n) k=\(k) \(run.testDescription)")
                        }
                    }
                }
            }
        }

        @Test("pointwise GEMM on NHWC shapes matches the reference", arguments: KernelRun.all)
        func sweep(run: KernelRun) throws {
            try run {
                for k in sweepChannels {
                    for n in [1, 13, 16, 31, 128] {
                        var rng = SeededRandom(seed: UInt64(k * 1000 + n))
                        for (batch, h, w) in [(1, 1, 1), (1, 3, 5), (3, 2, 3)] {
                            let input = randomTensor(TensorShape(batch, h, w, k), &rng)
                            let weights = rng.floats(k * n), bias = rng.floats(n)
                            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n, kernels: run.kernels)
                            let out = Tensor(shape: TensorShape(batch, h, w, n)), ref = Tensor(shape: out.shape)
                            try PointwiseConv.run(input: input, weights: packed, output: out, threads: run.threadCount)
                            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref)
                            expectClose(out, ref, k: k, "pointwise \(input.shape)→\(n) \(run.testDescription)")
                        }
                    }
                }
            }
        }

        @Test("pointwise fused epilogues (activation and residual)", arguments: KernelRun.all)
        func epilogues(run: KernelRun) throws {
            try run {
                for activation in ActivationCase.allCases {
                    for residual in [false, true] {
                        var rng = SeededRandom(seed: 7)
                        for (k, n) in [(24, 24), (31, 48), (96, 13), (256, 127), (24, 28), (20, 42), (9, 4)] {
                            let input = randomTensor(TensorShape(3, 3, 3, k), &rng)
                            let weights = rng.floats(k * n), bias = rng.floats(n)
                            let act = activation.make(channels: n, &rng)
                            let res = residual ? randomTensor(TensorShape(3, 3, 3, n), &rng) : nil
                            let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n, kernels: run.kernels)
                            let out = Tensor(shape: TensorShape(3, 3, 3, n)), ref = Tensor(shape: out.shape)
                            try PointwiseConv.run(input: input, weights: packed, output: out, activation: act, residual: res, threads: run.threadCount)
                            try PointwiseConv.reference(input: input, weights: weights, bias: bias, output: ref, activation: act, residual: res)
                            expectClose(out, ref, k: k, "pointwise \(k)→\(n) \(activation) residual=\(residual) \(run.testDescription)")
                        }
                    }
                }
            }
        }

        @Test("a larger layer split across threads equals one thread, bit for bit", arguments: KernelConfiguration.testVariants)
        func threadedEqualsSingle(kernels: KernelConfiguration) throws {
            var rng = SeededRandom(seed: 99)
            let k = 64, n = 48
            let input = randomTensor(TensorShape(2, 20, 19, k), &rng)
            let packed = try PackedPointwiseWeights(weights: rng.floats(k * n), bias: rng.floats(n), inputChannels: k, outputChannels: n, kernels: kernels)
            let one = Tensor(shape: TensorShape(2, 20, 19, n))
            try PointwiseConv.run(input: input, weights: packed, output: one, activation: .relu, threads: .single)
            for threads in [2, 3, 8] {
                let many = Tensor(shape: one.shape)
                try KernelRun(kernels: kernels, threads: threads) {
                    try PointwiseConv.run(input: input, weights: packed, output: many, activation: .relu, threads: ThreadCount(threads))
                }
                #expect(one.toArray() == many.toArray(), "\(kernels) on \(threads) threads")
            }
        }

        @Test("fully connected (squeeze-excitation 1×1 on a 1×1 map) matches the reference", arguments: KernelRun.single)
        func fullyConnected(run: KernelRun) throws {
            try run {
                for batch in [1, 3, 7] {
                    var rng = SeededRandom(seed: 5)
                    for (k, n) in [(128, 8), (8, 128), (13, 31), (256, 16)] {
                        let input = randomTensor(TensorShape(batch, 1, 1, k), &rng)
                        let weights = rng.floats(k * n), bias = rng.floats(n)
                        let packed = try PackedPointwiseWeights(weights: weights, bias: bias, inputChannels: k, outputChannels: n, kernels: run.kernels)
                        let out = Tensor(shape: TensorShape(batch, 1, 1, n)), ref = Tensor(shape: out.shape)
                        let act = Activation.prelu(slopes: randomTensor(TensorShape(1, 1, 1, n), &rng))
                        try FullyConnected.run(input: input, weights: packed, output: out, activation: act)
                        try FullyConnected.reference(input: input, weights: weights, bias: bias, output: ref, activation: act)
                        expectClose(out, ref, k: k, "fc \(k)→\(n) batch \(batch) \(run.testDescription)")
                    }
                }
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
}
