import FaceKitTensor
import FaceKitTestSupport
import Testing

extension KernelTests {
/// The fused [expand →] depthwise → project block against the three plain references in turn.
@Suite struct SeparableBlockTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let h, w, cin, e, cout, stride: Int
        let expands, residual: Bool
        /// A shortcut the block makes from its input (BlazeFace's padded and pooled shortcuts).
        var shortcut: SeparableBlock.Shortcut? = nil
        var testDescription: String {
            "\(h)x\(w)x\(cin)\(expands ? "→\(e)" : "") dw s\(stride) →\(cout)\(residual ? " +residual" : "")\(shortcut.map { " +\($0)" } ?? "")"
        }
    }

    static let cases: [Case] = [
        Case(h: 9, w: 11, cin: 5, e: 13, cout: 7, stride: 1, expands: true, residual: false),     // odd everything
        Case(h: 15, w: 13, cin: 6, e: 20, cout: 9, stride: 2, expands: true, residual: true),     // stride 2, odd sizes
        Case(h: 14, w: 14, cin: 16, e: 32, cout: 16, stride: 2, expands: true, residual: false),  // even, stride 2
        Case(h: 12, w: 28, cin: 8, e: 24, cout: 8, stride: 1, expands: true, residual: true),     // wide rows: 6- and 8-pixel tiles
        Case(h: 16, w: 16, cin: 24, e: 24, cout: 28, stride: 1, expands: false, residual: true),  // BlazeFace block
        Case(h: 17, w: 15, cin: 7, e: 7, cout: 11, stride: 2, expands: false, residual: false),
        Case(h: 2, w: 2, cin: 3, e: 9, cout: 4, stride: 1, expands: true, residual: false),       // narrower than the kernel
        // Shortcuts made strip by strip: BlazeFace's padded block, odd channel counts (the copy's
        // 8-, 4- and 1-wide tails), odd sizes for the pool's SAME padding, and one with an expand.
        Case(h: 16, w: 16, cin: 24, e: 24, cout: 28, stride: 1, expands: false, residual: false, shortcut: .paddedInput),
        Case(h: 9, w: 7, cin: 13, e: 13, cout: 19, stride: 1, expands: false, residual: false, shortcut: .paddedInput),
        Case(h: 16, w: 16, cin: 28, e: 28, cout: 32, stride: 2, expands: false, residual: false, shortcut: .pooledInput),
        Case(h: 15, w: 13, cin: 7, e: 7, cout: 12, stride: 2, expands: false, residual: false, shortcut: .pooledInput),
        Case(h: 14, w: 11, cin: 9, e: 18, cout: 9, stride: 2, expands: true, residual: false, shortcut: .pooledInput),
    ]

    @Test("separable block matches expand, depthwise and project references, in one strip and in many", arguments: KernelRun.all)
    func sweep(run: KernelRun) throws {
        try run {
            for c in Self.cases {
                for (batch, strip) in [(1, 16_384), (1, 1), (3, 40), (2, 200)] {
                    var tuning = Tuning.current
                    tuning.separableStripFloats = strip
                    try Tuning.$current.withValue(tuning) { try check(c, batch: batch, run: run, strip: strip) }
                }
            }
        }
    }

    func check(_ c: Case, batch: Int, run: KernelRun, strip: Int) throws {
        var rng = SeededRandom(seed: UInt64(c.h * 131 + c.e * 7 + batch + strip))
        let input = randomTensor(TensorShape(batch, c.h, c.w, c.cin), &rng)
        let ew = rng.floats(c.cin * c.e), eb = rng.floats(c.e)
        let dw = rng.floats(9 * c.e), db = rng.floats(c.e)
        let pw = rng.floats(c.e * c.cout), pb = rng.floats(c.cout)
        let act1 = Activation.prelu(slopes: randomTensor(TensorShape(1, 1, 1, c.e), &rng))
        let act2 = Activation.prelu(slopes: randomTensor(TensorShape(1, 1, 1, c.e), &rng))
        let act3: Activation = c.residual || c.shortcut != nil ? .relu : .identity
        let expand = c.expands ? try PackedPointwiseWeights(weights: ew, bias: eb, inputChannels: c.cin, outputChannels: c.e, kernels: run.kernels) : nil
        let depthwise = try PackedDepthwiseWeights(weights: dw, bias: db, kernelHeight: 3, kernelWidth: 3, channels: c.e, kernels: run.kernels)
        let project = try PackedPointwiseWeights(weights: pw, bias: pb, inputChannels: c.e, outputChannels: c.cout, kernels: run.kernels)
        let oh = (c.h + c.stride - 1) / c.stride, ow = (c.w + c.stride - 1) / c.stride
        let shape = TensorShape(batch, oh, ow, c.cout)
        let residual = c.residual ? randomTensor(shape, &rng) : nil
        let scratch = Tensor(shape: TensorShape(1, 1, 1, try SeparableBlock.scratchCount(
            height: c.h, width: c.w, expandedChannels: c.e, stride: c.stride, expands: c.expands,
            shortcutChannels: c.shortcut == nil ? 0 : c.cout, threads: run.threadCount)))
        let out = Tensor(shape: shape), ref = Tensor(shape: shape)
        out.fill(.nan)
        try SeparableBlock.run(input: input, expand: expand, expandActivation: act1, depthwise: depthwise, stride: c.stride,
                               depthwiseActivation: act2, project: project, projectActivation: act3, residual: residual,
                               shortcut: c.shortcut, output: out, scratch: scratch, threads: run.threadCount)
        try SeparableBlock.reference(input: input, expand: c.expands ? (ew, eb, c.e) : nil, expandActivation: act1,
                                     depthwise: (dw, db, 3), stride: c.stride, depthwiseActivation: act2,
                                     project: (pw, pb, c.cout), projectActivation: act3, residual: residual, shortcut: c.shortcut, output: ref)
        // Three sums in a row: K of each, the depthwise's 9 scaled by the expand's size.
        expectClose(out, ref, k: (c.expands ? c.cin : 1) * 9 * c.e, "\(c.testDescription) batch \(batch) strip \(strip) \(run.testDescription)")
    }

    @Test("separable block refuses a scratch that is too small, and mismatched weights")
    func refusals() throws {
        var rng = SeededRandom(seed: 9)
        let input = randomTensor(TensorShape(1, 8, 8, 4), &rng)
        let expand = try PackedPointwiseWeights(weights: rng.floats(4 * 8), bias: nil, inputChannels: 4, outputChannels: 8)
        let depthwise = try PackedDepthwiseWeights(weights: rng.floats(9 * 8), bias: nil, kernelHeight: 3, kernelWidth: 3, channels: 8)
        let project = try PackedPointwiseWeights(weights: rng.floats(8 * 4), bias: nil, inputChannels: 8, outputChannels: 4)
        let out = Tensor(shape: TensorShape(1, 8, 8, 4))
        #expect(throws: TensorError.self) {
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 1, project: project,
                                   output: out, scratch: Tensor(shape: TensorShape(1, 1, 1, 8)))
        }
        let big = Tensor(shape: TensorShape(1, 1, 1, 100_000))
        #expect(throws: TensorError.self) {   // the depthwise has 8 channels, the input 4 and no expand
            try SeparableBlock.run(input: input, expand: nil, depthwise: depthwise, stride: 1, project: project, output: out, scratch: big)
        }
        #expect(throws: TensorError.self) {   // output of the wrong size
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 2, project: project, output: out, scratch: big)
        }
        let half = Tensor(shape: TensorShape(1, 4, 4, 4))
        #expect(throws: TensorError.self) {   // a pooled shortcut on a stride-1 block (8x8 pooled is 4x4, the output 8x8)
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 1, project: project,
                                   shortcut: .pooledInput, output: out, scratch: big)
        }
        #expect(throws: TensorError.self) {   // a padded shortcut on a stride-2 block
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 2, project: project,
                                   shortcut: .paddedInput, output: half, scratch: big)
        }
        #expect(throws: TensorError.self) {   // a shortcut and a residual tensor at once
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 1, project: project,
                                   residual: out, shortcut: .paddedInput, output: Tensor(shape: TensorShape(1, 8, 8, 4)), scratch: big)
        }
        let narrow = try PackedPointwiseWeights(weights: rng.floats(8 * 3), bias: nil, inputChannels: 8, outputChannels: 3)
        #expect(throws: TensorError.self) {   // fewer output channels than the shortcut's input
            try SeparableBlock.run(input: input, expand: expand, depthwise: depthwise, stride: 1, project: narrow,
                                   shortcut: .paddedInput, output: Tensor(shape: TensorShape(1, 8, 8, 3)), scratch: big)
        }
    }
}
}
