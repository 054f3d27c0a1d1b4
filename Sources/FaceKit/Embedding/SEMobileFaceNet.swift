// SE-MobileFaceNet (ArcFace loss, 256-d) rebuilt as an explicit graph over the FaceKit kernels,
// following the TF.js graph node for node. BatchNorm is already folded into the biases
// (`*_bn_offset`); the final `pre_embedding` BatchNorm (x·mul + sub) is folded into the last
// 1×1 convolution at load. The graph's Cast-to-half nodes are not reproduced: float32 throughout.
//
//   112×112×3 ─ stem_1: conv 3×3/2 + bias + PReLU ─ 56×56×64
//   stem_2: depthwise 3×3 ─ 1×1 64→64 + bias + PReLU
//   15 bottlenecks:  x ─ 1×1 expand + bias + PReLU ─ depthwise 3×3 (stride s) + bias + PReLU
//                      ─ 1×1 project + bias ─ SE ─ (+ x when the block keeps its shape)
//       SE: global mean ─ 1×1 + bias + PReLU ─ 1×1 + bias + sigmoid ─ multiply
//   head: 1×1 128→512 + bias + PReLU ─ 7×7 global depthwise + bias ─ 1×1 512→256 (BN folded)
//
// The PReLU constants named `.../Neg` hold +alpha: prelu(x) = x > 0 ? x : alpha·x.
import FaceKitTensor
import FaceKitWeights

/// One bottleneck of the table.
struct BottleneckSpec {
    let name: String      // "stack1_block1"
    let stride: Int
    let residual: Bool
}

enum SEMobileFaceNetGraph {
    static let prefix = "StatefulPartitionedCall/se_mobilefacenet/model/"

    /// The 15 bottlenecks: stacks of 5, 1, 6, 1 and 2 blocks; the first block of stacks 1, 2 and 4
    /// has stride 2, and a block adds its input only when it is not the first of its stack.
    static let blocks: [BottleneckSpec] = {
        var out: [BottleneckSpec] = []
        for (stack, count) in [(1, 5), (2, 1), (3, 6), (4, 1), (5, 2)] {
            for block in 1...count {
                out.append(BottleneckSpec(name: "stack\(stack)_block\(block)",
                                          stride: block == 1 && [1, 2, 4].contains(stack) ? 2 : 1,
                                          residual: block > 1))
            }
        }
        return out
    }()
}

final class SEMobileFaceNet: Sendable {
    struct Bottleneck: Sendable {
        let expand: PackedPointwiseWeights, expandSlopes: Tensor
        let depthwise: PackedDepthwiseWeights, depthwiseSlopes: Tensor
        let project: PackedPointwiseWeights
        let squeeze: PackedPointwiseWeights, squeezeSlopes: Tensor
        let excite: PackedPointwiseWeights
        let stride: Int
        let residual: Bool
    }

    let stem: PackedConvWeights, stemSlopes: Tensor
    let stem2Depthwise: PackedDepthwiseWeights
    let stem2Pointwise: PackedPointwiseWeights, stem2Slopes: Tensor
    let blocks: [Bottleneck]
    let head: PackedPointwiseWeights, headSlopes: Tensor
    let gdc: PackedDepthwiseWeights
    let embedding: PackedPointwiseWeights
    static let inputSize = 112
    static let dimension = 256

    init(weights: ModelWeights) throws {
        let p = SEMobileFaceNetGraph.prefix
        func values(_ name: String, _ shape: [Int]) throws -> [Float] {
            let s = try weights.shape(p + name)
            guard s == shape else {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: p + name, reason: "shape \(s), the network needs \(shape)")
            }
            return try weights.floats(p + name)
        }
        func slopes(_ name: String, _ c: Int) throws -> Tensor {
            try Tensor(shape: TensorShape(1, 1, 1, c), values: try values(name, [1, 1, c]))
        }
        func pointwise(_ w: String, _ b: String?, _ k: Int, _ n: Int) throws -> PackedPointwiseWeights {
            try PackedPointwiseWeights(weights: try values(w, [1, 1, k, n]), bias: try b.map { try values($0, [n]) }, inputChannels: k, outputChannels: n)
        }
        func depthwise(_ w: String, _ b: String?, _ k: Int, _ c: Int) throws -> PackedDepthwiseWeights {
            try PackedDepthwiseWeights(weights: try values(w, [k, k, c, 1]), bias: try b.map { try values($0, [c]) }, kernelHeight: k, kernelWidth: k, channels: c)
        }
        stem = try PackedConvWeights(weights: try values("stem_1_conv/Conv2D_weights", [3, 3, 3, 64]),
                                     bias: try values("stem_1_conv/Conv2D_bn_offset", [64]),
                                     kernelHeight: 3, kernelWidth: 3, inputChannels: 3, outputChannels: 64)
        stemSlopes = try slopes("stem_1_prelu/Neg", 64)
        stem2Depthwise = try depthwise("stem_2_separable/separable_conv2d/Cast", nil, 3, 64)
        stem2Pointwise = try pointwise("stem_2_separable/separable_conv2d_weights", "stem_2_separable/separable_conv2d_bn_offset", 64, 64)
        stem2Slopes = try slopes("stem_2_prelu/Neg", 64)
        var channels = 64
        var blocks: [Bottleneck] = []
        for spec in SEMobileFaceNetGraph.blocks {
            let b = spec.name
            let expandShape = try weights.shape(p + b + "_1_conv/Conv2D_weights")
            let projectShape = try weights.shape(p + b + "_3_conv/Conv2D_weights")
            let seShape = try weights.shape(p + b + "_se_1_conv/Conv2D/Cast")
            guard expandShape.count == 4, projectShape.count == 4, seShape.count == 4 else {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: b, reason: "unexpected weight ranks")
            }
            let e = expandShape[3], out = projectShape[3], se = seShape[3]
            if spec.residual && out != channels {
                throw WeightsError.invalidWeight(file: weights.model.rawValue, weight: b, reason: "residual block changes channels \(channels) → \(out)")
            }
            blocks.append(Bottleneck(
                expand: try pointwise(b + "_1_conv/Conv2D_weights", b + "_1_conv/Conv2D_bn_offset", channels, e),
                expandSlopes: try slopes(b + "_1_prelu/Neg", e),
                depthwise: try depthwise(b + "_2_depthwise/depthwise_weights", b + "_2_depthwise/depthwise_bn_offset", 3, e),
                depthwiseSlopes: try slopes(b + "_2_prelu/Neg", e),
                project: try pointwise(b + "_3_conv/Conv2D_weights", b + "_3_conv/Conv2D_bn_offset", e, out),
                squeeze: try pointwise(b + "_se_1_conv/Conv2D/Cast", b + "_se_1_conv/BiasAdd/Cast", out, se),
                squeezeSlopes: try slopes(b + "_se_prelu/Neg", se),
                excite: try pointwise(b + "_se_2_conv/Conv2D/Cast", b + "_se_2_conv/BiasAdd/Cast", se, out),
                stride: spec.stride, residual: spec.residual))
            channels = out
        }
        self.blocks = blocks
        head = try pointwise("pw_conv/Conv2D_weights", "pw_conv/Conv2D_bn_offset", channels, 512)
        headSlopes = try slopes("pw_prelu/Neg", 512)
        gdc = try depthwise("GDC_dw/depthwise_weights", "GDC_dw/depthwise_bn_offset", 7, 512)
        // Fold pre_embedding's BatchNorm: y = (x·W)·mul + sub  ⇒  W'[k, j] = W[k, j]·mul[j], bias = sub.
        let w = try values("GDC_conv/Conv2D/Cast", [1, 1, 512, Self.dimension])
        let mul = try values("pre_embedding/batchnorm/mul", [Self.dimension]), sub = try values("pre_embedding/batchnorm/sub", [Self.dimension])
        var folded = w
        for k in 0..<512 { for j in 0..<Self.dimension { folded[k * Self.dimension + j] = w[k * Self.dimension + j] * mul[j] } }
        embedding = try PackedPointwiseWeights(weights: folded, bias: sub, inputChannels: 512, outputChannels: Self.dimension)
    }

    /// Floating-point operations for one face (2 per multiply-add).
    var flopsPerImage: Int {
        var side = 56, macs = 56 * 56 * 64 * 27 + 56 * 56 * 64 * (9 + 64)
        var channels = 64
        for b in blocks {
            let e = b.expand.outputChannels
            macs += side * side * channels * e
            if b.stride == 2 { side /= 2 }
            macs += side * side * e * 9 + side * side * e * b.project.outputChannels
            macs += 2 * b.project.outputChannels * b.squeeze.outputChannels
            channels = b.project.outputChannels
        }
        macs += side * side * channels * 512 + 49 * 512 + 512 * Self.dimension
        return 2 * macs
    }

    /// Blocks run one image at a time in a batch (see `forward`): stacks 1–4, down to the 7×7 map.
    static let earlyBlocks = 13

    /// Buffers for up to `batch` faces.
    final class Workspace {
        let batch: Int
        let input, a, b, expand, depthwise, pooled, squeezed, excited, output: Tensor
        /// One-image workspaces for the early layers of a batch, one per thread working on it.
        let singles = WorkspacePool<Workspace>()

        init(batch: Int) throws {
            self.batch = batch
            // One image: the widest activation is stack1's expansion at 56×56×128. A batch runs
            // the early layers in `singles`, so its own buffers hold 7×7 maps (the head's
            // expansion, 7×7×512, is the widest of those).
            let largest = batch == 1 ? 56 * 56 * 128 : batch * 7 * 7 * 512
            let arena = TensorArena(capacity: [batch * SEMobileFaceNet.inputSize * SEMobileFaceNet.inputSize * 3, largest, largest, largest, largest, batch * 512, batch * 8, batch * 512, batch * SEMobileFaceNet.dimension]
                .map(TensorArena.footprint(of:)).reduce(0, +))
            input = try arena.tensor(shape: TensorShape(batch, SEMobileFaceNet.inputSize, SEMobileFaceNet.inputSize, 3))
            a = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: largest)
            b = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: largest)
            expand = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: largest)
            depthwise = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: largest)
            pooled = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: batch * 512)
            squeezed = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: batch * 8)
            excited = try arena.tensor(shape: TensorShape(1, 1, 1, 1), capacity: batch * 512)
            output = try arena.tensor(shape: TensorShape(batch, 1, 1, SEMobileFaceNet.dimension))
        }

        /// The fused blocks' scratch (`SeparableBlock`).
        let fused = SeparableBlock.Scratch()
    }

    /// Runs the network on the first `batch` images of `ws.input`; the raw embeddings land in `ws.output`.
    ///
    /// A batch runs the stem and stacks 1–4 one image at a time: batched, their activations
    /// (up to 56×56×128 per image) outgrow the L2 cache, and each layer would then read its
    /// input back from L3 (measured: the batched 14×14 layers were slower per face than
    /// single images). On several threads the images are shared out whole, each thread running
    /// its images' layers alone (with work stealing between threads); threads that split every
    /// layer instead wait for each other some 70 times per image. The last stack and the head
    /// run on the whole batch, split within each layer, where the 7×7 maps (49 rows per image)
    /// fill the GEMM tiles better and the squeeze-excitation and final 1×1 layers become matrix
    /// products instead of vector products.
    func forward(_ ws: Workspace, batch n: Int, threads: ThreadCount) throws {
        var x: Tensor, spare: Tensor
        if ws.batch > 1 {
            let image = Self.inputSize * Self.inputSize * 3, channels = blocks[Self.earlyBlocks - 1].project.outputChannels
            let features = 7 * 7 * channels
            try ws.a.reshape(to: TensorShape(n, 7, 7, channels))
            // One image alone keeps all threads inside its layers.
            let layerThreads: ThreadCount = n > 1 ? .single : threads
            let results = ResultList<Void>(count: n)
            parallelFor(n, threads: threads) { i0, i1 in
                for i in i0..<i1 {
                    results.set(i, Result {
                        try ws.singles.with(fits: { _ in true }, make: { try Workspace(batch: 1) }) { single in
                            single.input.data.update(from: ws.input.data + i * image, count: image)
                            let (early, _) = try runEarly(single, batch: 1, threads: layerThreads)
                            (ws.a.data + i * features).update(from: early.data, count: features)
                        }
                    })
                }
            }
            _ = try results.values()
            (x, spare) = (ws.a, ws.b)
        } else {
            (x, spare) = try runEarly(ws, batch: n, threads: threads)
        }
        try runBlocks(blocks[Self.earlyBlocks...], ws, &x, &spare, batch: n, threads: threads)
        try runHead(ws, x, batch: n, threads: threads)
    }

    /// Stem, stem_2 and stacks 1–4; returns the tensor holding the 7×7×128 features and a spare buffer.
    private func runEarly(_ ws: Workspace, batch n: Int, threads: ThreadCount) throws -> (Tensor, Tensor) {
        let trace = Tuning.current.trace
        trace?.begin()
        try ws.input.reshape(to: TensorShape(n, Self.inputSize, Self.inputSize, 3))
        try ws.a.reshape(to: TensorShape(n, 56, 56, 64))
        try Conv2D.run(input: ws.input, weights: stem, output: ws.a, strideY: 2, strideX: 2, padding: .same,
                       activation: .prelu(slopes: stemSlopes), threads: threads)
        trace?.mark("stem conv 3x3/2")
        try ws.b.reshape(to: TensorShape(n, 56, 56, 64))
        if Tuning.current.fusesSeparableBlocks {
            let scratch = try ws.fused.tensor(height: 56, width: 56, expandedChannels: 64, stride: 1, expands: false, threads: threads)
            try SeparableBlock.run(input: ws.a, expand: nil, depthwise: stem2Depthwise, stride: 1, project: stem2Pointwise,
                                   projectActivation: .prelu(slopes: stem2Slopes), output: ws.b, scratch: scratch, threads: threads)
        } else {
            try ws.depthwise.reshape(to: TensorShape(n, 56, 56, 64))
            try DepthwiseConv.run(input: ws.a, weights: stem2Depthwise, output: ws.depthwise, threads: threads)
            try PointwiseConv.run(input: ws.depthwise, weights: stem2Pointwise, output: ws.b, activation: .prelu(slopes: stem2Slopes), threads: threads)
        }
        trace?.mark("stem_2 depthwise + pointwise")
        var x = ws.b, spare = ws.a
        try runBlocks(blocks[..<Self.earlyBlocks], ws, &x, &spare, batch: n, threads: threads)
        return (x, spare)
    }

    private func runBlocks(_ list: ArraySlice<Bottleneck>, _ ws: Workspace, _ x: inout Tensor, _ spare: inout Tensor,
                           batch n: Int, threads: ThreadCount) throws {
        let trace = Tuning.current.trace
        for block in list {
            let s = x.shape
            let e = block.expand.outputChannels, out = block.project.outputChannels
            let h = (s.height + block.stride - 1) / block.stride, w = (s.width + block.stride - 1) / block.stride
            if Tuning.current.fusesSeparableBlocks && (n == 1 || s.height >= 14) {
                // Expand, depthwise and project in strips of rows (see `SeparableBlock`).
                try spare.reshape(to: TensorShape(n, h, w, out))
                let scratch = try ws.fused.tensor(height: s.height, width: s.width, expandedChannels: e, stride: block.stride, expands: true, threads: threads)
                try SeparableBlock.run(input: x, expand: block.expand, expandActivation: .prelu(slopes: block.expandSlopes),
                                       depthwise: block.depthwise, stride: block.stride, depthwiseActivation: .prelu(slopes: block.depthwiseSlopes),
                                       project: block.project, output: spare, scratch: scratch, threads: threads)
            } else {
                try unfused(block, ws, x, spare, batch: n, threads: threads)
            }
            trace?.mark("\(s.height)x\(s.width)x\(s.channels) -> \(e) -> \(out) /\(block.stride)")
            try squeezeExcite(block, ws, x, spare, threads: threads)
            trace?.mark("  SE + residual \(h)x\(w)x\(out)")
            swap(&x, &spare)
        }
    }

    /// Expand, depthwise and project one layer at a time: batches of 7×7 maps, where a layer's
    /// GEMM over the whole batch fills its tiles better than strips of one image (and every
    /// block when `Tuning.fusesSeparableBlocks` is off).
    private func unfused(_ block: Bottleneck, _ ws: Workspace, _ x: Tensor, _ spare: Tensor, batch n: Int, threads: ThreadCount) throws {
        let s = x.shape
        let e = block.expand.outputChannels, out = block.project.outputChannels
        let h = (s.height + block.stride - 1) / block.stride, w = (s.width + block.stride - 1) / block.stride
        try ws.expand.reshape(to: TensorShape(n, s.height, s.width, e))
        try PointwiseConv.run(input: x, weights: block.expand, output: ws.expand, activation: .prelu(slopes: block.expandSlopes), threads: threads)
        try ws.depthwise.reshape(to: TensorShape(n, h, w, e))
        try DepthwiseConv.run(input: ws.expand, weights: block.depthwise, output: ws.depthwise, strideY: block.stride, strideX: block.stride,
                              padding: .same, activation: .prelu(slopes: block.depthwiseSlopes), threads: threads)
        try spare.reshape(to: TensorShape(n, h, w, out))
        try PointwiseConv.run(input: ws.depthwise, weights: block.project, output: spare, threads: threads)
    }

    /// Squeeze-excitation of the block's output `spare`, then the residual add of `x`, fused into one pass over the map.
    private func squeezeExcite(_ block: Bottleneck, _ ws: Workspace, _ x: Tensor, _ spare: Tensor, threads: ThreadCount) throws {
        let n = spare.shape.batch, out = block.project.outputChannels
        try ws.pooled.reshape(to: TensorShape(n, 1, 1, out))
        try GlobalAveragePool.run(input: spare, output: ws.pooled)
        try ws.squeezed.reshape(to: TensorShape(n, 1, 1, block.squeeze.outputChannels))
        try FullyConnected.run(input: ws.pooled, weights: block.squeeze, output: ws.squeezed, activation: .prelu(slopes: block.squeezeSlopes))
        try ws.excited.reshape(to: TensorShape(n, 1, 1, out))
        try FullyConnected.run(input: ws.squeezed, weights: block.excite, output: ws.excited, activation: .sigmoid)
        try ChannelScale.run(input: spare, scale: ws.excited, output: spare, residual: block.residual ? x : nil, threads: threads)
    }

    private func runHead(_ ws: Workspace, _ x: Tensor, batch n: Int, threads: ThreadCount) throws {
        let s = x.shape
        try ws.expand.reshape(to: TensorShape(n, s.height, s.width, 512))
        let trace = Tuning.current.trace
        try PointwiseConv.run(input: x, weights: head, output: ws.expand, activation: .prelu(slopes: headSlopes), threads: threads)
        trace?.mark("head 1x1 -> 512")
        try ws.pooled.reshape(to: TensorShape(n, 1, 1, 512))
        try DepthwiseConv.run(input: ws.expand, weights: gdc, output: ws.pooled, padding: .valid, threads: threads)
        try ws.output.reshape(to: TensorShape(n, 1, 1, Self.dimension))
        try PointwiseConv.run(input: ws.pooled, weights: embedding, output: ws.output, threads: threads)
        trace?.mark("GDC 7x7 + embedding")
    }
}

