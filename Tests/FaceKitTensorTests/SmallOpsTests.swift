import FaceKitTensor
import FaceKitTestSupport
import Testing

extension KernelTests {
@Suite struct SmallOpsTests {
    @Test("max pool 2×2/2 matches the reference, odd sizes included", arguments: sweepChannels, KernelRun.all)
    func maxPool(channels: Int, run: KernelRun) throws { try run {
        let kernels = run.kernels, threads = run.threadCount
        var rng = SeededRandom(seed: UInt64(channels))
        for (batch, h, w, padding) in [(1, 8, 8, Padding.valid), (3, 5, 7, .valid), (1, 5, 7, .same), (3, 2, 2, .same)] {
            let input = randomTensor(TensorShape(batch, h, w, channels), &rng)
            let g = try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 2, kernelWidth: 2, strideY: 2, strideX: 2, padding: padding)
            let out = Tensor(shape: TensorShape(batch, g.outputHeight, g.outputWidth, channels)), ref = Tensor(shape: out.shape)
            try MaxPool.run(input: input, output: out, padding: padding, threads: threads, kernels: kernels)
            try MaxPool.reference(input: input, output: ref, padding: padding)
            #expect(out.toArray() == ref.toArray(), "maxpool \(input.shape) \(padding)")
            // Into a wider output: the shortcut's channel padding in the same pass (zeros past C).
            for extra in [1, 4, 8] {
                let wide = Tensor(shape: TensorShape(batch, g.outputHeight, g.outputWidth, channels + extra)), wideRef = Tensor(shape: wide.shape)
                wide.fill(.nan)
                try MaxPool.run(input: input, output: wide, padding: padding, threads: threads, kernels: kernels)
                try MaxPool.reference(input: input, output: wideRef, padding: padding)
                #expect(wide.toArray() == wideRef.toArray(), "maxpool \(input.shape) → \(channels + extra) channels \(padding)")
            }
        }
        if channels > 1 {
            let narrow = Tensor(shape: TensorShape(1, 4, 4, channels - 1)), input = randomTensor(TensorShape(1, 8, 8, channels), &rng)
            #expect(throws: TensorError.self) { try MaxPool.run(input: input, output: narrow, kernels: kernels) }
        }
    } }

    @Test("global average pool matches the reference", arguments: sweepChannels, KernelConfiguration.testVariants)
    func globalAverage(channels: Int, kernels: KernelConfiguration) throws {
        var rng = SeededRandom(seed: UInt64(channels + 1))
        for (batch, h, w) in [(1, 7, 7), (3, 3, 5), (1, 1, 1), (2, 4, 6), (1, 1, 2)] {   // odd and even pixel counts
            let input = randomTensor(TensorShape(batch, h, w, channels), &rng)
            let out = Tensor(shape: TensorShape(batch, 1, 1, channels)), ref = Tensor(shape: out.shape)
            try GlobalAveragePool.run(input: input, output: out, kernels: kernels)
            try GlobalAveragePool.reference(input: input, output: ref)
            expectClose(out, ref, k: h * w, "gap \(input.shape)")
        }
    }

    @Test("zero channel padding matches the reference", arguments: [1, 3, 4, 8, 24, 28, 31], KernelRun.all)
    func padding(channels: Int, run: KernelRun) throws { try run {
        var rng = SeededRandom(seed: 2)
        let input = randomTensor(TensorShape(3, 5, 4, channels), &rng)
        // 0-3 channels left after the vector copy, and 1-3 after the 4-wide zero fills.
        for extra in [0, 1, 4, 6, 9] {
            let out = Tensor(shape: TensorShape(3, 5, 4, channels + extra)), ref = Tensor(shape: out.shape)
            out.fill(.nan)
            try ChannelPad.run(input: input, output: out, threads: run.threadCount)
            try ChannelPad.reference(input: input, output: ref)
            #expect(out.toArray() == ref.toArray(), "\(channels) -> \(channels + extra) channels")
        }
    } }

    @Test("add and channel scale match the reference",
          arguments: ActivationCase.allCases, KernelConfiguration.testVariants)
    func elementwise(activation: ActivationCase, kernels: KernelConfiguration) throws {
      for channels in sweepChannels {
        var rng = SeededRandom(seed: UInt64(channels * 3))
        let shape = TensorShape(3, 3, 5, channels)
        let a = randomTensor(shape, &rng), b = randomTensor(shape, &rng)
        let act = activation.make(channels: channels, &rng)
        let out = Tensor(shape: shape), ref = Tensor(shape: shape)
        try Add.run(a, b, output: out, activation: act, kernels: kernels)
        try Add.reference(a, b, output: ref, activation: act)
        expectClose(out, ref, k: 1, "add")
        let scale = randomTensor(TensorShape(3, 1, 1, channels), &rng)
        try ChannelScale.run(input: a, scale: scale, output: out, residual: b, kernels: kernels)
        try ChannelScale.reference(input: a, scale: scale, output: ref, residual: b)
        expectClose(out, ref, k: 1, "channel scale")
      }
    }

    /// Split across threads, the pieces of pixels start and end inside images and at their
    /// edges (batch 3 of 7×5 pixels on 2, 3 and 8 forced threads): every piece scales by its own
    /// image's factors.
    @Test("channel scale split across threads matches the reference", arguments: KernelRun.all)
    func channelScaleThreaded(run: KernelRun) throws {
        try run {
            for channels in [1, 16, 24, 33] {
                var rng = SeededRandom(seed: UInt64(channels * 7))
                let shape = TensorShape(3, 7, 5, channels)
                let a = randomTensor(shape, &rng), b = randomTensor(shape, &rng)
                let scale = randomTensor(TensorShape(3, 1, 1, channels), &rng)
                let out = Tensor(shape: shape), ref = Tensor(shape: shape)
                out.fill(.nan)
                try ChannelScale.run(input: a, scale: scale, output: out, residual: b, threads: run.threadCount, kernels: run.kernels)
                try ChannelScale.reference(input: a, scale: scale, output: ref, residual: b)
                expectClose(out, ref, k: 1, "channel scale \(shape) \(run.testDescription)")
            }
        }
    }

    @Test("dot product matches the Double reference at every length around the vector sizes", arguments: KernelConfiguration.testVariants)
    func dot(kernels: KernelConfiguration) {
        var rng = SeededRandom(seed: 41)
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 64, 255, 256, 257, 512] {
            let a = rng.floats(n), b = rng.floats(n)
            let fast = VectorOps.dot(a, b, count: n, kernels: kernels)
            let ref = VectorOps.referenceDot(a, b, count: n)
            #expect(worstDifference([fast], [ref]).isWithin(1e-6 * Float(max(n, 1))), "dot n=\(n) \(kernels): \(fast) vs \(ref)")
        }
        var nan = rng.floats(40)
        nan[37] = .nan
        #expect(VectorOps.dot(nan, nan, count: 40, kernels: kernels).isNaN)
    }

    @Test("the arena hands out aligned, disjoint tensors and refuses to overflow")
    func arena() throws {
        let arena = TensorArena(capacity: 64)
        let a = try arena.tensor(shape: TensorShape(1, 1, 1, 3))
        let b = try arena.tensor(shape: TensorShape(1, 2, 2, 5))
        #expect(Int(bitPattern: a.data) % 64 == 0 && Int(bitPattern: b.data) % 64 == 0)
        #expect(b.data - a.data == 16)
        #expect(throws: TensorError.self) { try arena.tensor(shape: TensorShape(1, 1, 1, 40)) }
        #expect(throws: TensorError.self) { try b.reshape(to: TensorShape(1, 1, 1, 21)) }
    }
}
}
