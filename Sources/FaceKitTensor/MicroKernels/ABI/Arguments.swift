// The argument records every micro-kernel module takes, and the table of entry points one
// module fills. This module holds no arithmetic and is compiled for the baseline CPU, so
// nothing in it can execute an instruction a CPU lacks.
//
// The micro-kernels themselves are one source (`MicroKernels/Source`) compiled once per
// instruction set (`MicroKernels/Baseline`, `AVX2`, `AVX512` hold symlinks to it);
// `KernelConfiguration` in FaceKitTensor picks one table at start-up.

/// The activation a kernel applies to its results before storing them.
@frozen public enum EpilogueKind: UInt8, Sendable {
    case identity, relu, prelu, sigmoid
}

/// An activation in raw form: PReLU slopes point at one value per output channel.
@frozen public struct Epilogue {
    public var kind: EpilogueKind
    public var slopes: UnsafePointer<Float>?

    @inlinable public init(kind: EpilogueKind, slopes: UnsafePointer<Float>? = nil) {
        self.kind = kind
        self.slopes = slopes
    }
}

/// C[M, N] = epilogue(A[M, K] · B + bias [+ residual]) over weights packed in panels of
/// `panelWidth` output channels, each `[panelWidth bias][K × panelWidth]`.
@frozen public struct GEMMArguments {
    public var a: UnsafePointer<Float>
    public var m: Int
    public var k: Int
    public var packed: UnsafePointer<Float>
    public var panelWidth: Int
    public var n: Int
    public var c: UnsafeMutablePointer<Float>
    public var residual: UnsafePointer<Float>?
    public var epilogue: Epilogue

    @inlinable public init(a: UnsafePointer<Float>, m: Int, k: Int, packed: UnsafePointer<Float>, panelWidth: Int, n: Int,
                           c: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: Epilogue) {
        self.a = a; self.m = m; self.k = k; self.packed = packed; self.panelWidth = panelWidth; self.n = n; self.c = c
        self.residual = residual; self.epilogue = epilogue
    }
}

/// A windowed op (convolution, depthwise convolution, pooling) over NHWC tensors.
/// `packed` and `packedStride` describe the weights in the layout of the op's packer.
@frozen public struct WindowArguments {
    public var input: UnsafePointer<Float>
    public var inputHeight: Int, inputWidth: Int, inputChannels: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideY: Int, strideX: Int
    public var padTop: Int, padLeft: Int
    public var outputHeight: Int, outputWidth: Int, outputChannels: Int
    public var packed: UnsafePointer<Float>?
    public var packedStride: Int
    public var output: UnsafeMutablePointer<Float>
    public var residual: UnsafePointer<Float>?
    public var epilogue: Epilogue

    @inlinable public init(
        input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, inputChannels: Int,
        kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int, padTop: Int, padLeft: Int,
        outputHeight: Int, outputWidth: Int, outputChannels: Int, packed: UnsafePointer<Float>?, packedStride: Int,
        output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: Epilogue
    ) {
        self.input = input; self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.inputChannels = inputChannels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideY = strideY; self.strideX = strideX; self.padTop = padTop; self.padLeft = padLeft
        self.outputHeight = outputHeight; self.outputWidth = outputWidth; self.outputChannels = outputChannels
        self.packed = packed; self.packedStride = packedStride; self.output = output
        self.residual = residual; self.epilogue = epilogue
    }
}

/// The entry points and tile geometry of one instruction set's micro-kernels.
///
/// Every entry point processes a whole operation, or a contiguous share of it for one thread
/// (`rows` counts output rows over the whole batch, `rowBlocks` counts GEMM row tiles), so a
/// call through the table costs once per operation and thread, never per tile.
public struct MicroKernelTable: Sendable {
    /// The instruction set: "baseline", "avx2", "avx512" (or "neon").
    public let isa: String
    /// The GEMM tile for N output channels: panel width (output channels per packed panel)
    /// and rows of A per tile.
    public let gemmTile: @Sendable (_ outputChannels: Int) -> (panelWidth: Int, rows: Int)
    /// GEMM over row tiles `rowBlocks` and panels `panels`.
    public let gemm: @Sendable (GEMMArguments, _ rowBlocks: Range<Int>, _ panels: Range<Int>) -> Void
    /// Channels per packed depthwise block (packed channel counts round up to it).
    public let depthwiseChannelBlock: Int
    /// Depthwise convolution (channel multiplier 1) over output rows `rows`.
    public let depthwise: @Sendable (WindowArguments, _ rows: Range<Int>) -> Void
    /// Output channels per packed convolution block, and blocks per register tile.
    public let convBlockWidth: Int, convTileBlocks: Int
    /// General convolution over output rows `rows`.
    public let convolution: @Sendable (WindowArguments, _ rows: Range<Int>) -> Void
    /// Max pooling (padded cells never win) over output rows `rows`.
    public let maxPool: @Sendable (WindowArguments, _ rows: Range<Int>) -> Void
    /// out[p, c] = epilogue(a[p, c] + b[p, c]) for `pixels` pixels of `channels` channels.
    public let add: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, _ pixels: Int, _ channels: Int, Epilogue) -> Void
    /// out[p, c] = x[p, c] · scale[c] (+ residual[p, c]) for `pixels` pixels of one image.
    public let channelScale: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>, _ pixels: Int, _ channels: Int) -> Void
    /// out[c] = mean over `pixels` pixels of x[p, c], for one image.
    public let meanPool: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, _ pixels: Int, _ channels: Int) -> Void
    /// Σ a[i]·b[i] over `count` elements.
    public let dot: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, _ count: Int) -> Float
    /// A pure multiply-add loop (12 independent vector accumulators, no memory traffic) of
    /// `iterations` × 12 × `fmaPeakLanes` multiply-adds: the arithmetic peak of this module, for
    /// benchmarks.
    public let fmaPeak: @Sendable (_ iterations: Int) -> Float
    /// The lanes of the peak loop's vectors: 16 where the module runs 16-lane tiles (AVX-512), else 8.
    public let fmaPeakLanes: Int

    public init(
        isa: String, gemmTile: @escaping @Sendable (Int) -> (panelWidth: Int, rows: Int),
        gemm: @escaping @Sendable (GEMMArguments, Range<Int>, Range<Int>) -> Void,
        depthwiseChannelBlock: Int, depthwise: @escaping @Sendable (WindowArguments, Range<Int>) -> Void,
        convBlockWidth: Int, convTileBlocks: Int, convolution: @escaping @Sendable (WindowArguments, Range<Int>) -> Void,
        maxPool: @escaping @Sendable (WindowArguments, Range<Int>) -> Void,
        add: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Epilogue) -> Void,
        channelScale: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>, Int, Int) -> Void,
        meanPool: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void,
        dot: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float,
        fmaPeak: @escaping @Sendable (Int) -> Float, fmaPeakLanes: Int = 8
    ) {
        self.isa = isa; self.gemmTile = gemmTile; self.gemm = gemm
        self.depthwiseChannelBlock = depthwiseChannelBlock; self.depthwise = depthwise
        self.convBlockWidth = convBlockWidth; self.convTileBlocks = convTileBlocks; self.convolution = convolution
        self.maxPool = maxPool; self.add = add; self.channelScale = channelScale; self.meanPool = meanPool; self.dot = dot
        self.fmaPeak = fmaPeak; self.fmaPeakLanes = fmaPeakLanes
    }
}
