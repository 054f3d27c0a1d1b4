// Zero padding.
//
// ChannelPad: input [N, H, W, Cin] → output [N, H, W, Cout], Cout ≥ Cin, new channels zero
//             at the end (BlazeFace's residual shortcut when a block grows its channels).
// SpatialPad: input [N, H, W, C] → output [N, H+top+bottom, W+left+right, C], constant border.

/// Appends zero channels.
public enum ChannelPad {
    /// Copies each pixel's channels and zero-fills the rest.
    public static func run(input: Tensor, output: Tensor) throws {
        let s = input.shape, cout = output.shape.channels
        guard cout >= s.channels else {
            throw TensorError.invalidArgument(operation: "channel pad", reason: "output has fewer channels than input")
        }
        try requireShape(output, TensorShape(s.batch, s.height, s.width, cout), "channel pad output")
        for p in 0..<s.pixels {
            let src = input.data + p * s.channels, dst = output.data + p * cout
            dst.update(from: src, count: s.channels)
            (dst + s.channels).update(repeating: 0, count: cout - s.channels)
        }
    }

    /// Plain reference.
    public static func reference(input: Tensor, output: Tensor) throws {
        let s = input.shape, cout = output.shape.channels
        try requireShape(output, TensorShape(s.batch, s.height, s.width, cout), "channel pad reference")
        for p in 0..<s.pixels {
            for ch in 0..<cout { output.data[p * cout + ch] = ch < s.channels ? input.data[p * s.channels + ch] : 0 }
        }
    }
}

/// Pads height and width with a constant.
public enum SpatialPad {
    /// Copies `input` into the middle of `output` and fills the border with `value`.
    public static func run(
        input: Tensor, output: Tensor, top: Int, bottom: Int, left: Int, right: Int, value: Float = 0
    ) throws {
        let s = input.shape
        guard top >= 0, bottom >= 0, left >= 0, right >= 0 else {
            throw TensorError.invalidArgument(operation: "spatial pad", reason: "negative padding")
        }
        let os = TensorShape(s.batch, s.height + top + bottom, s.width + left + right, s.channels)
        try requireShape(output, os, "spatial pad output")
        output.fill(value)
        let rowLength = s.width * s.channels
        for n in 0..<s.batch {
            for y in 0..<s.height {
                let src = input.data + ((n * s.height + y) * s.width) * s.channels
                let dst = output.data + ((n * os.height + y + top) * os.width + left) * s.channels
                dst.update(from: src, count: rowLength)
            }
        }
    }

    /// Plain reference.
    public static func reference(
        input: Tensor, output: Tensor, top: Int, bottom: Int, left: Int, right: Int, value: Float = 0
    ) throws {
        let s = input.shape
        let os = TensorShape(s.batch, s.height + top + bottom, s.width + left + right, s.channels)
        try requireShape(output, os, "spatial pad reference")
        for n in 0..<os.batch {
            for y in 0..<os.height {
                for x in 0..<os.width {
                    for c in 0..<os.channels {
                        let iy = y - top, ix = x - left
                        let inside = iy >= 0 && iy < s.height && ix >= 0 && ix < s.width
                        output.data[((n * os.height + y) * os.width + x) * os.channels + c] =
                            inside ? input.data[((n * s.height + iy) * s.width + ix) * s.channels + c] : value
                    }
                }
            }
        }
    }
}
