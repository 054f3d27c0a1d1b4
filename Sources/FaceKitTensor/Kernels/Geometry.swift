// Output size and padding of a windowed op (convolution, depthwise, pooling),
// with TensorFlow's SAME rule: total = max((ceil(in/s) − 1)·s + k − in, 0),
// before = total / 2, after = the rest (the extra row/column goes bottom/right).
import FaceKitKernelABI

/// How a windowed op pads its input.
public enum Padding: Sendable, Equatable {
    /// TensorFlow SAME: output = ceil(input / stride), extra padding bottom/right.
    case same
    /// No padding: output = (input − kernel) / stride + 1.
    case valid
    /// Explicit zero padding on each side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// The geometry of one windowed op over an H×W input.
public struct WindowGeometry: Sendable, Equatable {
    public let inputHeight, inputWidth: Int
    public let kernelHeight, kernelWidth: Int
    public let strideY, strideX: Int
    public let padTop, padLeft: Int
    public let outputHeight, outputWidth: Int

    /// Works out output size and padding; throws if the window does not fit.
    public init(
        inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideY: Int, strideX: Int, padding: Padding
    ) throws {
        guard inputHeight > 0, inputWidth > 0, kernelHeight > 0, kernelWidth > 0, strideY > 0, strideX > 0
        else {
            throw TensorError.invalidArgument(
                operation: "window", reason: "sizes and strides must be positive")
        }
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        func same(_ n: Int, _ k: Int, _ s: Int) -> (pad: Int, out: Int) {
            let out = (n + s - 1) / s
            let total = max((out - 1) * s + k - n, 0)
            return (total / 2, out)
        }
        switch padding {
        case .same:
            let y = same(inputHeight, kernelHeight, strideY)
            let x = same(inputWidth, kernelWidth, strideX)
            padTop = y.pad; padLeft = x.pad
            outputHeight = y.out; outputWidth = x.out
        case .valid:
            padTop = 0; padLeft = 0
            outputHeight = inputHeight >= kernelHeight ? (inputHeight - kernelHeight) / strideY + 1 : 0
            outputWidth = inputWidth >= kernelWidth ? (inputWidth - kernelWidth) / strideX + 1 : 0
        case let .explicit(top, bottom, left, right):
            guard top >= 0, bottom >= 0, left >= 0, right >= 0 else {
                throw TensorError.invalidArgument(operation: "window", reason: "negative padding")
            }
            padTop = top; padLeft = left
            let h = inputHeight + top + bottom, w = inputWidth + left + right
            outputHeight = h >= kernelHeight ? (h - kernelHeight) / strideY + 1 : 0
            outputWidth = w >= kernelWidth ? (w - kernelWidth) / strideX + 1 : 0
        }
        guard outputHeight > 0, outputWidth > 0 else {
            throw TensorError.invalidArgument(
                operation: "window",
                reason: "a \(kernelHeight)x\(kernelWidth) window does not fit a \(inputHeight)x\(inputWidth) input")
        }
    }

    /// Valid kernel rows for output row `oy`: ky in `lo ..< hi` reads input row oy·s − pad + ky.
    @inline(__always)
    func rows(_ oy: Int) -> (iy0: Int, lo: Int, hi: Int) {
        let iy0 = oy * strideY - padTop
        return (iy0, max(0, -iy0), min(kernelHeight, inputHeight - iy0))
    }

    @inline(__always)
    func cols(_ ox: Int) -> (ix0: Int, lo: Int, hi: Int) {
        let ix0 = ox * strideX - padLeft
        return (ix0, max(0, -ix0), min(kernelWidth, inputWidth - ix0))
    }
}

extension WindowGeometry {
    /// The micro-kernels' argument record for this window over `input`.
    func arguments(
        input: Tensor, inputChannels: Int, outputChannels: Int, packed: UnsafeMutablePointer<Float>?, packedStride: Int,
        output: Tensor, residual: Tensor?, activation: Activation
    ) -> WindowArguments {
        WindowArguments(
            input: input.data, inputHeight: inputHeight, inputWidth: inputWidth, inputChannels: inputChannels,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideY: strideY, strideX: strideX,
            padTop: padTop, padLeft: padLeft, outputHeight: outputHeight, outputWidth: outputWidth,
            outputChannels: outputChannels, packed: packed.map { UnsafePointer($0) }, packedStride: packedStride,
            output: output.data, residual: residual.map { UnsafePointer($0.data) }, epilogue: activation.epilogue)
    }
}
