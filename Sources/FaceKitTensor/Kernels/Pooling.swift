// Pooling.
//
// MaxPool:           input [N, H, W, C] → output [N, OH, OW, C], window k×k, stride s
//                    (BlazeFace's residual shortcut: 2×2 stride 2). Padded cells never win.
// GlobalAveragePool: input [N, H, W, C] → output [N, 1, 1, C] (the squeeze of SE).

/// Max pooling: fast kernel and plain reference.
public enum MaxPool {
    /// Max over each window; SAME padding ignores the padded cells (as TensorFlow does).
    public static func run(
        input: Tensor, output: Tensor, kernel: Int = 2, stride: Int = 2, padding: Padding = .valid
    ) throws {
        let s = input.shape, c = s.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kernel,
                                   kernelWidth: kernel, strideY: stride, strideX: stride, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, c), "maxpool output")
        let inp = UnsafePointer(input.data), out = output.data
        for n in 0..<s.batch {
            let image = inp + n * s.height * s.width * c
            for oy in 0..<g.outputHeight {
                let (iy0, kyLo, kyHi) = g.rows(oy)
                for ox in 0..<g.outputWidth {
                    let (ix0, kxLo, kxHi) = g.cols(ox)
                    let dst = out + ((n * g.outputHeight + oy) * g.outputWidth + ox) * c
                    let first = image + ((iy0 + kyLo) * s.width + ix0 + kxLo) * c
                    var ch = 0
                    while ch + 8 <= c {
                        var m = load8(first + ch)
                        for ky in kyLo..<kyHi {
                            for kx in kxLo..<kxHi {
                                let v = load8(image + ((iy0 + ky) * s.width + ix0 + kx) * c + ch)
                                m = m.replacing(with: v, where: v .> m)
                            }
                        }
                        store8(m, dst + ch)
                        ch += 8
                    }
                    while ch < c {
                        var m = first[ch]
                        for ky in kyLo..<kyHi {
                            for kx in kxLo..<kxHi {
                                let v = image[((iy0 + ky) * s.width + ix0 + kx) * c + ch]
                                if v > m { m = v }
                            }
                        }
                        dst[ch] = m
                        ch += 1
                    }
                }
            }
        }
    }

    /// Plain reference.
    public static func reference(
        input: Tensor, output: Tensor, kernel: Int = 2, stride: Int = 2, padding: Padding = .valid
    ) throws {
        let s = input.shape, c = s.channels
        let g = try WindowGeometry(inputHeight: s.height, inputWidth: s.width, kernelHeight: kernel,
                                   kernelWidth: kernel, strideY: stride, strideX: stride, padding: padding)
        try requireShape(output, TensorShape(s.batch, g.outputHeight, g.outputWidth, c), "maxpool reference")
        for n in 0..<s.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for ch in 0..<c {
                        var m = -Float.infinity
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = oy * stride - g.padTop + ky, ix = ox * stride - g.padLeft + kx
                                if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                                m = max(m, input.data[((n * s.height + iy) * s.width + ix) * c + ch])
                            }
                        }
                        output.data[((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch] = m
                    }
                }
            }
        }
    }
}

/// Global average pooling over height and width.
public enum GlobalAveragePool {
    /// Mean over H and W of each image and channel.
    public static func run(input: Tensor, output: Tensor) throws {
        let s = input.shape, c = s.channels
        try requireShape(output, TensorShape(s.batch, 1, 1, c), "global average pool output")
        let hw = s.height * s.width
        let scale = 1 / Float(hw)
        for n in 0..<s.batch {
            let image = UnsafePointer(input.data) + n * hw * c
            let dst = output.data + n * c
            var ch = 0
            while ch + 8 <= c {
                var acc = F32x8()
                for p in 0..<hw { acc += load8(image + p * c + ch) }
                store8(acc * scale, dst + ch)
                ch += 8
            }
            while ch < c {
                var acc: Float = 0
                for p in 0..<hw { acc += image[p * c + ch] }
                dst[ch] = acc * scale
                ch += 1
            }
        }
    }

    /// Plain reference (sums in Double).
    public static func reference(input: Tensor, output: Tensor) throws {
        let s = input.shape, c = s.channels
        try requireShape(output, TensorShape(s.batch, 1, 1, c), "global average pool reference")
        for n in 0..<s.batch {
            for ch in 0..<c {
                var acc = 0.0
                for y in 0..<s.height {
                    for x in 0..<s.width { acc += Double(input.data[((n * s.height + y) * s.width + x) * c + ch]) }
                }
                output.data[n * c + ch] = Float(acc / Double(s.height * s.width))
            }
        }
    }
}
