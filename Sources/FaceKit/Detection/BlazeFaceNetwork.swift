// BlazeFace rebuilt as an explicit graph over the FaceKit kernels.
//
// Both variants are a 5×5 stride-2 stem followed by "BlazeBlocks":
//   x ─ depthwise 3×3 (stride s) ─ pointwise 1×1 + bias ─┐
//   └─ shortcut: MaxPool 2×2/2 if s = 2, zero channel pad if channels grow ─ AddV2 ─ ReLU
// The pointwise GEMM fuses bias, the residual add and the ReLU in its epilogue.
// Two feature maps feed the heads (1×1 convolutions): 16×16 (2 anchors per cell) and
// 8×8 (6 anchors per cell); each head has a classifier (1 logit per anchor) and a
// regressor (16 values per anchor).
//
// Weight names are the TF.js constants (`unknown_N`): block i (1-based) uses
// unknown_(4i−3) (depthwise), unknown_(4i−1) and unknown_(4i) (pointwise weights, bias).
import FaceKitTensor
import FaceKitWeights

/// The BlazeFace variants.
public enum DetectorVariant: String, Sendable, Codable, CaseIterable {
    /// Short-range model, 128×128 input: for close-up selfie and webcam frames; cheaper.
    case front
    /// 256×256 input: finds smaller faces in ordinary photos.
    case back

    /// The model in the weights manifest.
    public var model: ModelID { self == .front ? .blazefaceFront : .blazefaceBack }
    /// The network's input side in pixels.
    public var inputSize: Int { self == .front ? 128 : 256 }
}

/// One block of the table.
struct BlazeBlockSpec {
    let index: Int        // 1-based block number: weights unknown_(4i−3), unknown_(4i−1), unknown_(4i)
    let stride: Int
    let residual: Bool    // false only for the back model's last block

    var depthwise: String { "unknown_\(4 * index - 3)" }
    var pointwise: String { "unknown_\(4 * index - 1)" }
    var bias: String { "unknown_\(4 * index)" }
}

/// The graph of one variant: blocks, where the 16×16 features are tapped, and head weights.
struct BlazeFaceGraph {
    let blocks: [BlazeBlockSpec]
    /// Number of blocks after which the 16×16 feature map is complete.
    let firstFeatureAfter: Int
    let classifier16: (String, String), regressor16: (String, String)
    let classifier8: (String, String), regressor8: (String, String)

    static func make(_ variant: DetectorVariant) -> BlazeFaceGraph {
        switch variant {
        case .front:
            // 16 blocks: stride 2 at blocks 3, 6, 12; features after block 11 (16×16×88) and 16 (8×8×96).
            return BlazeFaceGraph(
                blocks: (1...16).map { BlazeBlockSpec(index: $0, stride: [3, 6, 12].contains($0) ? 2 : 1, residual: true) },
                firstFeatureAfter: 11,
                classifier16: ("unknown_71", "unknown_72"), regressor16: ("unknown_67", "unknown_68"),
                classifier8: ("unknown_69", "unknown_70"), regressor8: ("unknown_65", "unknown_66"))
        case .back:
            // 32 blocks: stride 2 at 8, 16, 24, 32; features after block 31 (16×16×96) and 32 (8×8×96);
            // block 32 has no shortcut (pointwise + bias + ReLU only).
            return BlazeFaceGraph(
                blocks: (1...32).map { BlazeBlockSpec(index: $0, stride: [8, 16, 24, 32].contains($0) ? 2 : 1, residual: $0 != 32) },
                firstFeatureAfter: 31,
                classifier16: ("unknown_135", "unknown_136"), regressor16: ("unknown_131", "unknown_132"),
                classifier8: ("unknown_133", "unknown_134"), regressor8: ("unknown_129", "unknown_130"))
        }
    }
}

/// BlazeFace's raw outputs for a batch, in anchor order (16×16×2 then 8×8×6 = 896 anchors).
public struct BlazeFaceOutputs: Sendable {
    /// Classifier logits, [batch × 896].
    public var scores: [Float]
    /// Regressors, [batch × 896 × 16]: dx, dy, w, h, then 6 keypoints (x, y), in input pixels.
    public var regressors: [Float]
    public let batch: Int
    public static let anchors = 896
}

/// The network with its packed weights; immutable and shareable.
final class BlazeFaceNetwork: Sendable {
    struct Block: Sendable {
        let depthwise: PackedDepthwiseWeights
        let pointwise: PackedPointwiseWeights
        let stride: Int
        let residual: Bool
        var inputChannels: Int { depthwise.channels }
        var outputChannels: Int { pointwise.outputChannels }
    }

    let variant: DetectorVariant
    let stem: PackedConvWeights
    let blocks: [Block]
    let firstFeatureAfter: Int
    let heads: [PackedPointwiseWeights]   // classifier16, regressor16, classifier8, regressor8

    init(variant: DetectorVariant, weights: ModelWeights) throws {
        self.variant = variant
        let graph = BlazeFaceGraph.make(variant)
        func shape(_ name: String, rank: Int) throws -> [Int] {
            let s = try weights.shape(name)
            guard s.count == rank else {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: name, reason: "shape \(s) has rank \(s.count), expected \(rank)")
            }
            return s
        }
        func pointwise(_ w: String, _ b: String, inputChannels: Int) throws -> PackedPointwiseWeights {
            let s = try shape(w, rank: 4)
            guard s[0] == 1, s[1] == 1, s[2] == inputChannels else {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: w, reason: "shape \(s), expected [1, 1, \(inputChannels), N]")
            }
            return try PackedPointwiseWeights(weights: try weights.floats(w, count: s[2] * s[3]), bias: try weights.floats(b, count: s[3]),
                                              inputChannels: s[2], outputChannels: s[3])
        }
        let stemShape = try shape("unknown", rank: 4)
        guard stemShape == [5, 5, 3, 24] else {
            throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: "unknown", reason: "stem shape \(stemShape), expected [5, 5, 3, 24]")
        }
        stem = try PackedConvWeights(weights: try weights.floats("unknown", count: 5 * 5 * 3 * 24), bias: try weights.floats("unknown_0", count: 24),
                                     kernelHeight: 5, kernelWidth: 5, inputChannels: 3, outputChannels: 24)
        var channels = 24
        var blocks: [Block] = []
        for spec in graph.blocks {
            let ds = try shape(spec.depthwise, rank: 4)
            guard ds == [3, 3, channels, 1] else {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: spec.depthwise, reason: "shape \(ds), expected [3, 3, \(channels), 1]")
            }
            let dw = try PackedDepthwiseWeights(weights: try weights.floats(spec.depthwise, count: 9 * channels), bias: nil,
                                                kernelHeight: 3, kernelWidth: 3, channels: channels)
            let pw = try pointwise(spec.pointwise, spec.bias, inputChannels: channels)
            if spec.residual && pw.outputChannels < channels {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: spec.pointwise, reason: "a residual block cannot shrink channels")
            }
            blocks.append(Block(depthwise: dw, pointwise: pw, stride: spec.stride, residual: spec.residual))
            channels = pw.outputChannels
        }
        self.blocks = blocks
        firstFeatureAfter = graph.firstFeatureAfter
        let c16 = blocks[graph.firstFeatureAfter - 1].outputChannels, c8 = channels
        heads = [
            try pointwise(graph.classifier16.0, graph.classifier16.1, inputChannels: c16),
            try pointwise(graph.regressor16.0, graph.regressor16.1, inputChannels: c16),
            try pointwise(graph.classifier8.0, graph.classifier8.1, inputChannels: c8),
            try pointwise(graph.regressor8.0, graph.regressor8.1, inputChannels: c8),
        ]
        guard heads[0].outputChannels == 2, heads[1].outputChannels == 32, heads[2].outputChannels == 6, heads[3].outputChannels == 96 else {
            throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: "heads", reason: "head widths \(heads.map(\.outputChannels)), expected [2, 32, 6, 96]")
        }
    }

    /// Floating-point operations of one image's forward pass (2 per multiply-add).
    var flopsPerImage: Int {
        let n = variant.inputSize
        var side = n / 2
        var macs = side * side * 24 * 5 * 5 * 3
        for (i, block) in blocks.enumerated() {
            if block.stride == 2 { side = (side + 1) / 2 }
            macs += side * side * block.inputChannels * 9 + side * side * block.inputChannels * block.outputChannels
            if i + 1 == firstFeatureAfter { macs += side * side * block.outputChannels * (2 + 32) }
        }
        macs += side * side * blocks.last!.outputChannels * (6 + 96)
        return 2 * macs
    }

    /// Buffers for one inference of up to `batch` images.
    final class Workspace {
        let batch: Int
        let input, x, y, depthwise, shortcut, padded: Tensor
        let heads: [Tensor]

        init(network: BlazeFaceNetwork, batch: Int) throws {
            self.batch = batch
            let n = network.variant.inputSize
            var side = n / 2, channels = 24
            var activation = batch * side * side * channels
            var scratch = activation
            for block in network.blocks {
                if block.stride == 2 { side = (side + 1) / 2 }
                channels = block.outputChannels
                activation = max(activation, batch * side * side * channels)
                scratch = max(scratch, batch * side * side * max(block.inputChannels, channels) * block.stride * block.stride)
            }
            let headCounts = [batch * 16 * 16 * 2, batch * 16 * 16 * 32, batch * 8 * 8 * 6, batch * 8 * 8 * 96]
            let total = [batch * n * n * 3, activation, activation, scratch, scratch, scratch].map(TensorArena.footprint(of:)).reduce(0, +)
                + headCounts.map(TensorArena.footprint(of:)).reduce(0, +)
            let arena = TensorArena(capacity: total)
            input = try arena.tensor(shape: TensorShape(batch, n, n, 3))
            x = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: activation)
            y = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: activation)
            depthwise = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: scratch)
            shortcut = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: scratch)
            padded = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: scratch)
            heads = try headCounts.map { try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: $0) }
        }

        /// The fused blocks' scratch (`SeparableBlock`).
        let fused = SeparableBlock.Scratch()
    }

    /// Runs the network on `workspace.input` (first `batch` images) and fills the head tensors.
    func forward(_ ws: Workspace, batch: Int, threads: ThreadCount) throws {
        let n = variant.inputSize
        let trace = Tuning.current.trace
        trace?.begin()
        try ws.input.reshape(to: TensorShape(batch, n, n, 3))
        try ws.x.reshape(to: TensorShape(batch, n / 2, n / 2, 24))
        try Conv2D.run(input: ws.input, weights: stem, output: ws.x, strideY: 2, strideX: 2, padding: .same, activation: .relu, threads: threads)
        trace?.mark("stem conv 5x5/2 \(n)x\(n)x3 -> 24")
        var current = ws.x, next = ws.y
        for (i, block) in blocks.enumerated() {
            let s = current.shape
            let outH = (s.height + block.stride - 1) / block.stride, outW = (s.width + block.stride - 1) / block.stride
            let fuses = Tuning.current.fusesSeparableBlocks
            try next.reshape(to: TensorShape(batch, outH, outW, block.outputChannels))
            // The residual: the input itself, or the input max-pooled (stride 2) or channel-padded
            // (more output channels). A fused block makes a pooled or padded one strip by strip
            // from the input rows it has just read (`SeparableBlock.Shortcut`); otherwise, or with
            // `Tuning.fusesShortcuts` off, it is made in a pass of its own.
            var residual: Tensor? = nil, shortcut: SeparableBlock.Shortcut? = nil
            if block.residual {
                let kind: SeparableBlock.Shortcut? = block.stride == 2 ? .pooledInput
                    : block.outputChannels > s.channels ? .paddedInput : nil
                if kind == nil {
                    residual = current
                } else if fuses && Tuning.current.fusesShortcuts {
                    shortcut = kind
                } else if kind == .pooledInput {
                    // Max pool and channel padding in one pass.
                    try ws.shortcut.reshape(to: TensorShape(batch, outH, outW, block.outputChannels))
                    try MaxPool.run(input: current, output: ws.shortcut, kernel: 2, stride: 2, padding: .same, threads: threads)
                    residual = ws.shortcut
                    trace?.mark("block \(i + 1) max pool")
                } else {
                    try ws.padded.reshape(to: TensorShape(batch, outH, outW, block.outputChannels))
                    try ChannelPad.run(input: current, output: ws.padded, threads: threads)
                    residual = ws.padded
                    trace?.mark("block \(i + 1) channel pad")
                }
            }
            if fuses {
                // Depthwise and pointwise in strips of rows, the depthwise rows still in cache when
                // the GEMM reads them (see `SeparableBlock`).
                let scratch = try ws.fused.tensor(height: s.height, width: s.width, expandedChannels: s.channels, stride: block.stride, expands: false,
                                                  shortcutChannels: shortcut == nil ? 0 : block.outputChannels, threads: threads)
                try SeparableBlock.run(input: current, expand: nil, depthwise: block.depthwise, stride: block.stride,
                                       project: block.pointwise, projectActivation: .relu, residual: residual, shortcut: shortcut,
                                       output: next, scratch: scratch, threads: threads)
            } else {
                try ws.depthwise.reshape(to: TensorShape(batch, outH, outW, s.channels))
                try DepthwiseConv.run(input: current, weights: block.depthwise, output: ws.depthwise,
                                      strideY: block.stride, strideX: block.stride, padding: .same, threads: threads)
                try PointwiseConv.run(input: ws.depthwise, weights: block.pointwise, output: next, activation: .relu,
                                      residual: residual, threads: threads)
            }
            trace?.mark("block \(i + 1) \(s.height)x\(s.width)x\(s.channels) -> \(block.outputChannels) /\(block.stride)")
            swap(&current, &next)
            if i + 1 == firstFeatureAfter {
                try runHeads(current, heads[0], heads[1], ws.heads[0], ws.heads[1], threads)
                trace?.mark("heads 16x16")
            }
        }
        try runHeads(current, heads[2], heads[3], ws.heads[2], ws.heads[3], threads)
        trace?.mark("heads 8x8")
    }

    private func runHeads(_ features: Tensor, _ cls: PackedPointwiseWeights, _ reg: PackedPointwiseWeights,
                          _ clsOut: Tensor, _ regOut: Tensor, _ threads: ThreadCount) throws {
        let s = features.shape
        try clsOut.reshape(to: TensorShape(s.batch, s.height, s.width, cls.outputChannels))
        try regOut.reshape(to: TensorShape(s.batch, s.height, s.width, reg.outputChannels))
        try PointwiseConv.run(input: features, weights: cls, output: clsOut, threads: threads)
        try PointwiseConv.run(input: features, weights: reg, output: regOut, threads: threads)
    }

    /// Copies image `b`'s outputs in anchor order: scores [896], regressors [896 × 16].
    func collect(_ ws: Workspace, image b: Int, scores: UnsafeMutablePointer<Float>, regressors: UnsafeMutablePointer<Float>) {
        let s16 = 16 * 16 * 2, s8 = 8 * 8 * 6
        (scores).update(from: ws.heads[0].data + b * s16, count: s16)
        (scores + s16).update(from: ws.heads[2].data + b * s8, count: s8)
        (regressors).update(from: ws.heads[1].data + b * s16 * 16, count: s16 * 16)
        (regressors + s16 * 16).update(from: ws.heads[3].data + b * s8 * 16, count: s8 * 16)
    }
}
