// A separable block fused in strips of rows: [1×1 expand] → depthwise k×k (stride s) → 1×1 project.
//
//   input     [N, H, W, Cin]
//   expanded  [H, W, E]         = act1(input · Wexpand + b)          (E = Cin without an expand)
//   depthwise [Ho, Wo, E]       = act2(dwconv(expanded) + b)
//   output    [N, Ho, Wo, Cout] = act3(depthwise · Wproject + b [+ residual])
//
// Run layer by layer, the expanded map (4–6× the input; 1.6 MB at the embedder's 56×56×128)
// goes to memory and comes back for the depthwise, whose output goes out and comes back for the
// projection. Here each image's output rows are produced in strips of a few rows: the expand
// GEMM computes the input rows the strip's windows need (each row once: the rows a strip shares
// with the next stay in the band's buffer), the depthwise kernel computes the strip, and the
// project GEMM consumes it while it is still in L1/L2. The result is the same as the three
// layers in turn: every output value goes through the same micro-kernels in the same order.
//
// A shortcut that must be pooled or channel-padded first (BlazeFace's) is made here too, a strip
// at a time from the input rows the depthwise has just read, into a strip-sized buffer that the
// project GEMM adds: no pass over the whole map and no tensor for it (`Shortcut`).
//
// Threads take bands of output rows, each thread with its own buffers in `scratch`. With an
// expansion, every thread takes one band: the 1–2 input rows that two bands' windows share are
// expanded by both (see `scratchCount`), so more bands would cost more work. Without one, bands
// cost nothing extra, and each thread starts on 4 of them and steals from the others' when done
// (`parallelForEachThread`): on a VM whose virtual CPUs are now and then taken away, two fixed
// halves made the whole layer wait for the slower one (measured on BlazeFace front's 64×64 blocks:
// 1.5–1.6× from a second thread with halves).
import FaceKitKernelABI

/// The fused [expand →] depthwise → project block: fast path and plain reference.
public enum SeparableBlock {
    /// A residual shortcut the block makes from its own input, a strip at a time, instead of
    /// reading a whole residual tensor made by a pass of its own.
    public enum Shortcut: Sendable, Equatable {
        /// The input, its channels zero-padded to the output's (a stride-1 block that grows its channels).
        case paddedInput
        /// The input max-pooled 2×2 with stride 2 and SAME padding, its channels zero-padded to
        /// the output's (a stride-2 block).
        case pooledInput

        /// The window that makes the shortcut: 1×1 (a copy) or 2×2 stride 2.
        func geometry(inputHeight h: Int, inputWidth w: Int) throws -> WindowGeometry {
            switch self {
            case .paddedInput:
                return try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 1, kernelWidth: 1, strideY: 1, strideX: 1, padding: .valid)
            case .pooledInput:
                return try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: 2, kernelWidth: 2, strideY: 2, strideX: 2, padding: .same)
            }
        }
    }

    /// The band and strip plan for one image.
    struct Plan {
        let geometry: WindowGeometry
        let expandedChannels: Int
        let bands: Int
        /// Threads the bands are shared among; `scratch` holds one band's buffers per thread.
        let threads: Int
        let stripRows: Int
        /// Scratch floats per band: the band's expanded rows, its depthwise strip, then its
        /// shortcut strip (when the block makes its shortcut).
        let expandFloats: Int, stripFloats: Int, shortcutFloats: Int
        var bandFloats: Int { expandFloats + stripFloats + shortcutFloats }

        init(inputHeight h: Int, inputWidth w: Int, expandedChannels e: Int, kernel: Int, stride s: Int,
             padding: Padding, expands: Bool, shortcutChannels: Int = 0, threads: Int) throws {
            geometry = try WindowGeometry(inputHeight: h, inputWidth: w, kernelHeight: kernel, kernelWidth: kernel,
                                          strideY: s, strideX: s, padding: padding)
            expandedChannels = e
            let participants = max(1, min(threads, geometry.outputHeight))
            // One band per thread with an expansion, or on one thread; else 4 per thread to steal.
            bands = max(1, min(expands || participants == 1 ? participants : participants * 4, geometry.outputHeight))
            self.threads = participants
            stripRows = max(1, min(geometry.outputHeight, Tuning.current.separableStripFloats / max(1, s * w * e)))
            let slack = AlignedBuffer.slack
            // A band of ⌈Ho / bands⌉ output rows reads at most (rows − 1)·s + k input rows.
            let bandRows = (geometry.outputHeight + bands - 1) / bands
            let inputRows = min(h, (bandRows - 1) * s + kernel)
            expandFloats = expands ? TensorArena.footprint(of: inputRows * w * e + slack) : 0
            stripFloats = TensorArena.footprint(of: stripRows * geometry.outputWidth * e + slack)
            shortcutFloats = shortcutChannels > 0 ? TensorArena.footprint(of: stripRows * geometry.outputWidth * shortcutChannels + slack) : 0
        }

        /// Output rows of band `b`.
        func band(_ b: Int) -> Range<Int> {
            let oh = geometry.outputHeight
            return (oh * b / bands)..<(oh * (b + 1) / bands)
        }

        /// Input rows that output rows `rows` read.
        func inputRows(_ rows: Range<Int>) -> Range<Int> {
            let g = geometry
            let lo = max(0, rows.lowerBound * g.strideY - g.padTop)
            let hi = min(g.inputHeight, (rows.upperBound - 1) * g.strideY - g.padTop + g.kernelHeight)
            return lo..<max(lo, hi)
        }
    }

    /// The scratch floats `run` needs for an input of `height`×`width` pixels expanded to
    /// `expandedChannels` (the depthwise channels), on up to `threads` threads; `shortcutChannels`
    /// is the output's channel count when `run` makes a ``Shortcut``, else 0.
    public static func scratchCount(
        height: Int, width: Int, expandedChannels: Int, kernel: Int = 3, stride: Int, padding: Padding = .same,
        expands: Bool, shortcutChannels: Int = 0, threads: ThreadCount
    ) throws -> Int {
        let plan = try Plan(inputHeight: height, inputWidth: width, expandedChannels: expandedChannels, kernel: kernel,
                            stride: stride, padding: padding, expands: expands, shortcutChannels: shortcutChannels, threads: threads.value)
        return plan.threads * plan.bandFloats
    }

    /// A scratch buffer for ``run``, grown on first use to what a block and thread count need
    /// and then reused, so that a warm inference allocates nothing.
    public final class Scratch {
        private var buffer: Tensor?

        public init() {}

        /// A tensor of at least ``SeparableBlock/scratchCount(height:width:expandedChannels:kernel:stride:padding:expands:shortcutChannels:threads:)``
        /// floats for the same arguments.
        public func tensor(
            height: Int, width: Int, expandedChannels: Int, kernel: Int = 3, stride: Int, padding: Padding = .same,
            expands: Bool, shortcutChannels: Int = 0, threads: ThreadCount
        ) throws -> Tensor {
            let count = try SeparableBlock.scratchCount(height: height, width: width, expandedChannels: expandedChannels, kernel: kernel,
                                                        stride: stride, padding: padding, expands: expands,
                                                        shortcutChannels: shortcutChannels, threads: threads)
            if let t = buffer, t.capacity >= count { return t }
            let t = Tensor(shape: TensorShape(1, 1, 1, count))
            buffer = t
            return t
        }
    }

    /// act3(depthwise(act1(input · expand)) · project + bias [+ residual or shortcut]) into `output`, in strips.
    ///
    /// - Parameters:
    ///   - expand: the 1×1 expansion, or nil when the depthwise reads `input` directly.
    ///   - depthwise: a square kernel over the expanded channels, applied with `stride` and `padding`.
    ///   - residual: a tensor of the output's shape to add, or nil.
    ///   - shortcut: a residual to make from `input` and add instead (not with `residual`), or nil.
    ///   - scratch: at least ``scratchCount(height:width:expandedChannels:kernel:stride:padding:expands:shortcutChannels:threads:)``
    ///     floats for the same arguments; not `input`, `output` or `residual`.
    public static func run(
        input: Tensor, expand: PackedPointwiseWeights?, expandActivation: Activation = .identity,
        depthwise: PackedDepthwiseWeights, stride: Int, padding: Padding = .same, depthwiseActivation: Activation = .identity,
        project: PackedPointwiseWeights, projectActivation: Activation = .identity, residual: Tensor? = nil,
        shortcut: Shortcut? = nil, output: Tensor, scratch: Tensor, threads: ThreadCount = .single
    ) throws {
        let s = input.shape
        let e = expand?.outputChannels ?? s.channels
        if let expand, expand.inputChannels != s.channels {
            throw TensorError.shapeMismatch(operation: "separable block expand", expected: "\(expand.inputChannels) input channels", actual: "\(s)")
        }
        guard depthwise.kernelHeight == depthwise.kernelWidth, depthwise.channels == e else {
            throw TensorError.shapeMismatch(operation: "separable block depthwise", expected: "a square kernel over \(e) channels",
                                            actual: "\(depthwise.kernelHeight)x\(depthwise.kernelWidth)x\(depthwise.channels)")
        }
        guard project.inputChannels == e else {
            throw TensorError.shapeMismatch(operation: "separable block project", expected: "\(e) input channels", actual: "\(project.inputChannels)")
        }
        guard stride >= 1 else { throw TensorError.invalidArgument(operation: "separable block", reason: "stride \(stride)") }
        // One plan per thread count the work can use; small maps stay on one thread.
        let work = s.pixels * e * (expand?.inputChannels ?? 0) + output.count * e
        let useThreads = work < Tuning.current.gemmMinimumFlops ? 1 : threads.value
        let cout = project.outputChannels
        let plan = try Plan(inputHeight: s.height, inputWidth: s.width, expandedChannels: e, kernel: depthwise.kernelHeight,
                            stride: stride, padding: padding, expands: expand != nil, shortcutChannels: shortcut == nil ? 0 : cout,
                            threads: useThreads)
        let g = plan.geometry
        let outShape = TensorShape(s.batch, g.outputHeight, g.outputWidth, cout)
        try requireShape(output, outShape, "separable block output")
        if let residual { try requireShape(residual, outShape, "separable block residual") }
        var shortcutPlan: (kind: Shortcut, geometry: WindowGeometry)? = nil
        if let shortcut {
            let sg = try shortcut.geometry(inputHeight: s.height, inputWidth: s.width)
            guard residual == nil, cout >= s.channels, sg.outputHeight == g.outputHeight, sg.outputWidth == g.outputWidth else {
                throw TensorError.invalidArgument(
                    operation: "separable block shortcut",
                    reason: "\(shortcut) needs no residual tensor, at least \(s.channels) output channels and an output of \(sg.outputHeight)x\(sg.outputWidth) pixels (the block's is \(g.outputHeight)x\(g.outputWidth)x\(cout))")
            }
            shortcutPlan = (shortcut, sg)
        }
        try expandActivation.validate(channels: e, operation: "separable block expand")
        try depthwiseActivation.validate(channels: e, operation: "separable block depthwise")
        try projectActivation.validate(channels: project.outputChannels, operation: "separable block project")
        let needed = plan.threads * plan.bandFloats
        guard scratch.capacity >= needed else { throw TensorError.capacityExceeded(requested: needed, capacity: scratch.capacity) }

        let inputData = UnsafePointer(input.data), outputData = output.data, scratchData = scratch.data
        let residualData = residual.map { UnsafePointer($0.data) }
        let expandEpilogue = expandActivation.epilogue, dwEpilogue = depthwiseActivation.epilogue
        let projectEpilogue = projectActivation.epilogue
        parallelForEachThread(plan.bands, threads: ThreadCount(plan.threads), tasksPerThread: plan.bands / plan.threads) { b0, b1, p in
            for b in b0..<b1 {
                runBand(b, plan, s, inputData, expand, expandEpilogue, depthwise, dwEpilogue, project, projectEpilogue,
                        residualData, shortcutPlan, outputData, scratchData + p * plan.bandFloats)
            }
        }
    }

    /// Band `b` of every image: strips of output rows, each expanded, convolved and projected in turn.
    private static func runBand(
        _ b: Int, _ plan: Plan, _ s: TensorShape, _ input: UnsafePointer<Float>,
        _ expand: PackedPointwiseWeights?, _ expandEpilogue: Epilogue,
        _ depthwise: PackedDepthwiseWeights, _ dwEpilogue: Epilogue,
        _ project: PackedPointwiseWeights, _ projectEpilogue: Epilogue,
        _ residual: UnsafePointer<Float>?, _ shortcut: (kind: Shortcut, geometry: WindowGeometry)?,
        _ output: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>
    ) {
        let g = plan.geometry, e = plan.expandedChannels, cin = s.channels, cout = project.outputChannels
        let rows = plan.band(b)
        guard !rows.isEmpty else { return }
        let bandInput = plan.inputRows(rows)
        let expanded = scratch, strip = scratch + plan.expandFloats, shortcutStrip = strip + plan.stripFloats
        let imageIn = s.height * s.width * cin, imageOut = g.outputHeight * g.outputWidth * cout
        for n in 0..<s.batch {
            let image = input + n * imageIn
            // The depthwise kernel addresses rows in image coordinates: `source` is row 0 of the
            // expanded map (only the band's rows exist) or of the input itself.
            let source: UnsafePointer<Float> = expand == nil ? image
                : UnsafePointer(expanded) - bandInput.lowerBound * s.width * e
            var expandedUpTo = bandInput.lowerBound
            var o0 = rows.lowerBound
            while o0 < rows.upperBound {
                let o1 = min(rows.upperBound, o0 + plan.stripRows)
                // 1. Expand the input rows this strip's windows reach that are not expanded yet.
                if let expand {
                    let need = plan.inputRows(o0..<o1).upperBound
                    if need > expandedUpTo {
                        gemm(expand, a: image + expandedUpTo * s.width * cin, m: (need - expandedUpTo) * s.width,
                             c: expanded + (expandedUpTo - bandInput.lowerBound) * s.width * e, residual: nil, expandEpilogue)
                        expandedUpTo = need
                    }
                }
                // 2. The strip's depthwise rows, into the strip buffer (addressed from output row 0).
                let stripBase = strip - o0 * g.outputWidth * e
                let args = WindowArguments(
                    input: source, inputHeight: s.height, inputWidth: s.width, inputChannels: e,
                    kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, strideY: g.strideY, strideX: g.strideX,
                    padTop: g.padTop, padLeft: g.padLeft, outputHeight: g.outputHeight, outputWidth: g.outputWidth,
                    outputChannels: e, packed: UnsafePointer(depthwise.storage.pointer), packedStride: depthwise.paddedChannels,
                    output: stripBase, residual: nil, epilogue: dwEpilogue)
                depthwise.kernels.table.depthwise(args, o0..<o1)
                // 3. The strip's shortcut, when the block makes it: the input rows just read, copied
                //    or max-pooled, with zero channels appended.
                let at = n * imageOut + o0 * g.outputWidth * cout
                var add = residual.map { $0 + at }
                switch shortcut {
                case nil:
                    break
                case (.paddedInput, _)?:
                    ChannelPad.copy(image + o0 * s.width * cin, channels: cin, into: shortcutStrip, channels: cout,
                                    pixels: (o1 - o0) * g.outputWidth)
                    add = UnsafePointer(shortcutStrip)
                case let (.pooledInput, sg)?:
                    let pool = WindowArguments(
                        input: image, inputHeight: s.height, inputWidth: s.width, inputChannels: cin,
                        kernelHeight: sg.kernelHeight, kernelWidth: sg.kernelWidth, strideY: sg.strideY, strideX: sg.strideX,
                        padTop: sg.padTop, padLeft: sg.padLeft, outputHeight: sg.outputHeight, outputWidth: sg.outputWidth,
                        outputChannels: cout, packed: nil, packedStride: 0,
                        output: shortcutStrip - o0 * g.outputWidth * cout, residual: nil, epilogue: Epilogue(kind: .identity))
                    depthwise.kernels.table.maxPool(pool, o0..<o1)
                    add = UnsafePointer(shortcutStrip)
                }
                // 4. Project the strip into the output rows.
                gemm(project, a: strip, m: (o1 - o0) * g.outputWidth, c: output + at, residual: add, projectEpilogue)
                o0 = o1
            }
        }
    }

    /// C[m, N] = epilogue(A[m, K] · W + bias [+ residual]) on the calling thread.
    @inline(__always)
    private static func gemm(
        _ w: PackedPointwiseWeights, a: UnsafePointer<Float>, m: Int, c: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, _ epilogue: Epilogue
    ) {
        let args = GEMMArguments(a: a, m: m, k: w.inputChannels, packed: w.storage.pointer, panelWidth: w.panelWidth,
                                 n: w.outputChannels, c: c, residual: residual, epilogue: epilogue)
        w.kernels.table.gemm(args, 0..<((m + w.rowTile - 1) / w.rowTile), 0..<w.panels)
    }

    /// The same result from the three plain references in turn (the oracle for `run`).
    public static func reference(
        input: Tensor, expand: (weights: [Float], bias: [Float]?, channels: Int)?, expandActivation: Activation = .identity,
        depthwise: (weights: [Float], bias: [Float]?, kernel: Int), stride: Int, padding: Padding = .same,
        depthwiseActivation: Activation = .identity,
        project: (weights: [Float], bias: [Float]?, channels: Int), projectActivation: Activation = .identity,
        residual: Tensor? = nil, shortcut: Shortcut? = nil, output: Tensor
    ) throws {
        let s = input.shape
        var residual = residual
        if let shortcut {
            let sg = try shortcut.geometry(inputHeight: s.height, inputWidth: s.width)
            let r = Tensor(shape: TensorShape(s.batch, sg.outputHeight, sg.outputWidth, project.channels))
            switch shortcut {
            case .paddedInput: try ChannelPad.reference(input: input, output: r)
            case .pooledInput: try MaxPool.reference(input: input, output: r, kernel: 2, stride: 2, padding: .same)
            }
            residual = r
        }
        var x = input
        if let expand {
            x = Tensor(shape: TensorShape(s.batch, s.height, s.width, expand.channels))
            try PointwiseConv.reference(input: input, weights: expand.weights, bias: expand.bias, output: x, activation: expandActivation)
        }
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: depthwise.kernel,
                                   kernelWidth: depthwise.kernel, strideY: stride, strideX: stride, padding: padding)
        let d = Tensor(shape: TensorShape(s.batch, g.outputHeight, g.outputWidth, x.shape.channels))
        try DepthwiseConv.reference(input: x, weights: depthwise.weights, bias: depthwise.bias, kernelHeight: depthwise.kernel,
                                    kernelWidth: depthwise.kernel, output: d, strideY: stride, strideX: stride, padding: padding,
                                    activation: depthwiseActivation)
        try PointwiseConv.reference(input: d, weights: project.weights, bias: project.bias, output: output,
                                    activation: projectActivation, residual: residual)
    }
}
