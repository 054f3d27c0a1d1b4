// Element-wise ops over NHWC tensors.
//
// Add:           a [N, H, W, C] + b [N, H, W, C] → act(a + b)            (BlazeFace AddV2 + Relu)
// ChannelScale:  x [N, H, W, C] · s [N, 1, 1, C] (+ residual)            (the excitation, then the
//                                                                         bottleneck's residual add)
// BiasAdd:       x [N, H, W, C] + bias [C] → act(x + bias)
// Activate:      act(x) in place, per channel (ReLU, PReLU, sigmoid)

/// Element-wise addition with an optional fused activation.
public enum Add {
    /// act(a + b) into `output` (which may be `a` or `b`).
    public static func run(_ a: Tensor, _ b: Tensor, output: Tensor, activation: Activation = .identity) throws {
        try requireShape(b, a.shape, "add")
        try requireShape(output, a.shape, "add output")
        let c = a.shape.channels
        try activation.validate(channels: c, operation: "add")
        let e = EpilogueKind(activation)
        for p in 0..<a.shape.pixels {
            let x = UnsafePointer(a.data) + p * c, y = UnsafePointer(b.data) + p * c, o = output.data + p * c
            var ch = 0
            while ch + 8 <= c { store8(e.apply(load8(x + ch) + load8(y + ch), channel: ch), o + ch); ch += 8 }
            while ch < c { o[ch] = e.apply(x[ch] + y[ch], channel: ch); ch += 1 }
        }
    }

    /// Plain reference.
    public static func reference(_ a: Tensor, _ b: Tensor, output: Tensor, activation: Activation = .identity) throws {
        try requireShape(b, a.shape, "add reference")
        try requireShape(output, a.shape, "add reference output")
        let c = a.shape.channels
        for i in 0..<a.count { output.data[i] = referenceActivation(a.data[i] + b.data[i], activation, channel: i % c) }
    }
}

/// Per-channel multiplication with broadcast over H and W, optionally followed by a residual add.
public enum ChannelScale {
    /// x · scale[n, c] (+ residual) into `output` (which may be `x`).
    public static func run(input x: Tensor, scale: Tensor, output: Tensor, residual: Tensor? = nil) throws {
        let s = x.shape, c = s.channels
        try requireShape(scale, TensorShape(s.batch, 1, 1, c), "channel scale factors")
        try requireShape(output, s, "channel scale output")
        if let residual { try requireShape(residual, s, "channel scale residual") }
        let hw = s.height * s.width
        for n in 0..<s.batch {
            let f = UnsafePointer(scale.data) + n * c
            for p in (n * hw)..<((n + 1) * hw) {
                let src = UnsafePointer(x.data) + p * c, dst = output.data + p * c
                let r = residual.map { UnsafePointer($0.data) + p * c }
                var ch = 0
                while ch + 8 <= c {
                    var v = load8(src + ch) * load8(f + ch)
                    if let r { v += load8(r + ch) }
                    store8(v, dst + ch)
                    ch += 8
                }
                while ch < c {
                    var v = src[ch] * f[ch]
                    if let r { v += r[ch] }
                    dst[ch] = v
                    ch += 1
                }
            }
        }
    }

    /// Plain reference.
    public static func reference(input x: Tensor, scale: Tensor, output: Tensor, residual: Tensor? = nil) throws {
        let s = x.shape, c = s.channels, hw = s.height * s.width
        try requireShape(output, s, "channel scale reference")
        for i in 0..<x.count {
            let n = i / (hw * c), ch = i % c
            output.data[i] = x.data[i] * scale.data[n * c + ch] + (residual?.data[i] ?? 0)
        }
    }
}

/// Adds a per-channel bias with an optional fused activation.
public enum BiasAdd {
    /// act(x + bias[c]) into `output` (which may be `x`); `bias` holds C values.
    public static func run(input x: Tensor, bias: Tensor, output: Tensor, activation: Activation = .identity) throws {
        let c = x.shape.channels
        guard bias.count == c else {
            throw TensorError.shapeMismatch(operation: "bias add", expected: "\(c) biases", actual: "\(bias.count)")
        }
        try requireShape(output, x.shape, "bias add output")
        try activation.validate(channels: c, operation: "bias add")
        let e = EpilogueKind(activation), b = UnsafePointer(bias.data)
        for p in 0..<x.shape.pixels {
            let src = UnsafePointer(x.data) + p * c, dst = output.data + p * c
            var ch = 0
            while ch + 8 <= c { store8(e.apply(load8(src + ch) + load8(b + ch), channel: ch), dst + ch); ch += 8 }
            while ch < c { dst[ch] = e.apply(src[ch] + b[ch], channel: ch); ch += 1 }
        }
    }

    /// Plain reference.
    public static func reference(input x: Tensor, bias: Tensor, output: Tensor, activation: Activation = .identity) throws {
        let c = x.shape.channels
        try requireShape(output, x.shape, "bias add reference")
        for i in 0..<x.count { output.data[i] = referenceActivation(x.data[i] + bias.data[i % c], activation, channel: i % c) }
    }
}

/// An activation on its own, in place or into another tensor.
public enum Activate {
    /// act(x) into `output` (which may be `x`).
    public static func run(input x: Tensor, output: Tensor, activation: Activation) throws {
        let c = x.shape.channels
        try requireShape(output, x.shape, "activation output")
        try activation.validate(channels: c, operation: "activation")
        let e = EpilogueKind(activation)
        for p in 0..<x.shape.pixels {
            let src = UnsafePointer(x.data) + p * c, dst = output.data + p * c
            var ch = 0
            while ch + 8 <= c { store8(e.apply(load8(src + ch), channel: ch), dst + ch); ch += 8 }
            while ch < c { dst[ch] = e.apply(src[ch], channel: ch); ch += 1 }
        }
    }

    /// Plain reference.
    public static func reference(input x: Tensor, output: Tensor, activation: Activation) throws {
        let c = x.shape.channels
        try requireShape(output, x.shape, "activation reference")
        for i in 0..<x.count { output.data[i] = referenceActivation(x.data[i], activation, channel: i % c) }
    }
}
