// Zero padding.
//
// ChannelPad: input [N, H, W, Cin] → output [N, H, W, Cout], Cout ≥ Cin, new channels zero
//             at the end (BlazeFace's residual shortcut when a block grows its channels).

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
