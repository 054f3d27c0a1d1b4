// `bench kernels`: every kernel on the real layer shapes of BlazeFace and SE-MobileFaceNet.
import FaceKitTensor
import Foundation

func randomTensor(_ shape: TensorShape) -> Tensor {
    let t = Tensor(shape: shape)
    var state: UInt32 = 12345
    for i in 0..<shape.count {
        state = state &* 1_664_525 &+ 1_013_904_223
        t.data[i] = Float(state >> 8) / Float(1 << 24) - 0.5
    }
    return t
}

func randomArray(_ n: Int) -> [Float] { randomTensor(TensorShape(1, 1, 1, n)).toArray() }

struct KernelCase {
    let kernel: String
    let shape: String
    let flops: Double
    let run: (ThreadCount) throws -> Void
}

func kernelCases(_ kernels: KernelConfiguration) throws -> [KernelCase] {
    var cases: [KernelCase] = []
    for (h, w, k, n, note) in [(56, 56, 64, 128, ""), (28, 28, 128, 256, ""), (7, 7, 256, 512, ""), (16, 16, 96, 96, " (blazeface)"),
                               (14, 14, 128, 512, ""), (14, 14, 128, 256, " (in L2)"), (14, 14, 256, 128, " (in L2)"),
                               (28, 28, 64, 128, " (in L2)"), (1, 1, 64, 8, " (SE fc)")] {
        let input = randomTensor(TensorShape(1, h, w, k))
        let weights = try PackedPointwiseWeights(weights: randomArray(k * n), bias: randomArray(n), inputChannels: k, outputChannels: n, kernels: kernels)
        let output = Tensor(shape: TensorShape(1, h, w, n))
        let slopes = randomTensor(TensorShape(1, 1, 1, n))
        let macs: Int = h * w * k * n
        cases.append(KernelCase(kernel: "f32-gemm-\(weights.rowTile)x\(weights.panelWidth) pointwise+prelu", shape: "\(h)x\(w)x\(k)->\(n)\(note)", flops: 2.0 * Double(macs)) { t in
            try PointwiseConv.run(input: input, weights: weights, output: output, activation: .prelu(slopes: slopes), threads: t)
        })
    }
    for (h, c, s) in [(56, 128, 1), (56, 128, 2), (16, 96, 1), (28, 256, 1), (14, 512, 2)] {
        let input = randomTensor(TensorShape(1, h, h, c))
        let weights = try PackedDepthwiseWeights(weights: randomArray(9 * c), bias: randomArray(c), kernelHeight: 3, kernelWidth: 3, channels: c, kernels: kernels)
        let o = (h + s - 1) / s
        let output = Tensor(shape: TensorShape(1, o, o, c))
        let macs: Int = o * o * c * 9
        cases.append(KernelCase(kernel: "f32-dwconv-3x3 s\(s)", shape: "\(h)x\(h)x\(c)", flops: 2.0 * Double(macs)) { t in
            try DepthwiseConv.run(input: input, weights: weights, output: output, strideY: s, strideX: s, threads: t)
        })
    }
    do {
        let c = 512
        let input = randomTensor(TensorShape(1, 7, 7, c))
        let weights = try PackedDepthwiseWeights(weights: randomArray(49 * c), bias: randomArray(c), kernelHeight: 7, kernelWidth: 7, channels: c, kernels: kernels)
        let output = Tensor(shape: TensorShape(1, 1, 1, c))
        cases.append(KernelCase(kernel: "f32-dwconv-7x7 global", shape: "7x7x512", flops: 2.0 * Double(49 * c)) { t in
            try DepthwiseConv.run(input: input, weights: weights, output: output, padding: .valid, threads: t)
        })
    }
    for (h, cin, cout, k) in [(128, 3, 24, 5), (256, 3, 24, 5), (112, 3, 64, 3)] {
        let input = randomTensor(TensorShape(1, h, h, cin))
        let weights = try PackedConvWeights(weights: randomArray(k * k * cin * cout), bias: randomArray(cout), kernelHeight: k, kernelWidth: k, inputChannels: cin, outputChannels: cout, kernels: kernels)
        let output = Tensor(shape: TensorShape(1, h / 2, h / 2, cout))
        let macs: Int = (h / 2) * (h / 2) * cout * k * k * cin
        cases.append(KernelCase(kernel: "f32-conv-\(k)x\(k) s2 stem+relu", shape: "\(h)x\(h)x\(cin)->\(cout)", flops: 2.0 * Double(macs)) { t in
            try Conv2D.run(input: input, weights: weights, output: output, strideY: 2, strideX: 2, activation: .relu, threads: t)
        })
    }
    do {
        let input = randomTensor(TensorShape(1, 64, 64, 24)), output = Tensor(shape: TensorShape(1, 32, 32, 24))
        cases.append(KernelCase(kernel: "f32-maxpool-2x2 s2", shape: "64x64x24", flops: Double(32 * 32 * 24 * 3)) { _ in
            try MaxPool.run(input: input, output: output, kernels: kernels)
        })
        let gapIn = randomTensor(TensorShape(1, 28, 28, 128)), gapOut = Tensor(shape: TensorShape(1, 1, 1, 128))
        cases.append(KernelCase(kernel: "f32-global-avgpool", shape: "28x28x128", flops: Double(28 * 28 * 128)) { _ in
            try GlobalAveragePool.run(input: gapIn, output: gapOut, kernels: kernels)
        })
        let x = randomTensor(TensorShape(1, 28, 28, 128)), scale = randomTensor(TensorShape(1, 1, 1, 128)), y = Tensor(shape: x.shape)
        cases.append(KernelCase(kernel: "f32-channel-scale+residual", shape: "28x28x128", flops: Double(2 * 28 * 28 * 128)) { t in
            try ChannelScale.run(input: x, scale: scale, output: y, residual: x, threads: t, kernels: kernels)
        })
    }
    return cases
}

/// Every kernel of both networks on each variant this CPU runs (or only `FACEKIT_KERNELS`'s,
/// when set), with GFLOP/s against that variant's own measured multiply-add peak.
func runKernelBench(output: Output) throws {
    if !output.json { print("# kernels — \(buildDescription), \(ThreadCount.automatic.value) processors") }
    let forced = ProcessInfo.processInfo.environment["FACEKIT_KERNELS"].map { !$0.isEmpty && $0 != "auto" } ?? false
    for kernels in forced ? [KernelConfiguration.current] : KernelConfiguration.available {
        try runKernelBench(kernels, output: output)
    }
}

func runKernelBench(_ kernels: KernelConfiguration, output: Output) throws {
    let name = kernels.name
    if !output.json { print("\n## \(name)") }
    let iterations = 20_000_000
    let t0 = DispatchTime.now().uptimeNanoseconds
    let sink = VectorOps.fmaPeak(iterations: iterations, kernels: kernels)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let lanes = VectorOps.fmaPeakLanes(kernels: kernels)
    let peak = Double(iterations) * 12 * Double(lanes) * 2 / seconds / 1e9
    output.emit([("kernel", "fma-peak"), ("kernels", name), ("shape", "12x\(lanes) lanes"), ("threads", 1), ("median_ms", seconds * 1000), ("gflops", peak)],
                table: pad("kernel", 34) + pad("shape", 30) + "threads  median ms    GFLOP/s  % of peak\n"
                    + pad("fma-peak (1 core)", 34) + pad("12 chains x \(lanes) lanes", 30) + String(format: "%7d %10.3f %10.1f %9@", 1, seconds * 1000, peak, "100%" as NSString))
    if sink.isNaN { print("") }
    // Both processors at once: tells whether the two vCPUs have their own FMA units.
    let t1 = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: 2) { _ in _ = VectorOps.fmaPeak(iterations: iterations, kernels: kernels) }
    let seconds2 = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
    let peak2 = 2 * Double(iterations) * 12 * Double(lanes) * 2 / seconds2 / 1e9
    output.emit([("kernel", "fma-peak"), ("kernels", name), ("shape", "12x\(lanes) lanes"), ("threads", 2), ("median_ms", seconds2 * 1000), ("gflops", peak2)],
                table: pad("fma-peak (2 threads)", 34) + pad("12 chains x \(lanes) lanes each", 30) + String(format: "%7d %10.3f %10.1f", 2, seconds2 * 1000, peak2))
    // The worker pool: an empty job (dispatch overhead) and FMA work of layer-like sizes.
    for (label, perChunk) in [("empty job", 0), ("0.002 ms of FMA", 50), ("0.02 ms of FMA", 500)] {
        for threads in [1, 2] {
            let m = measure {
                _benchmarkParallelFor(threads: ThreadCount(threads)) { _, n in
                    if perChunk > 0 { _ = VectorOps.fmaPeak(iterations: perChunk * 2 / n * 10, kernels: kernels) }
                }
            }
            output.emit([("kernel", "worker-pool"), ("kernels", name), ("shape", label), ("threads", threads), ("median_ms", m.medianMs), ("gflops", 0.0)],
                        table: pad("worker-pool", 34) + pad(label, 30) + String(format: "%7d %10.4f", threads, m.medianMs))
        }
    }
    for c in try kernelCases(kernels) {
        for threads in [1, 2] {
            let m = try measure { try c.run(ThreadCount(threads)) }
            let gflops = c.flops / (m.medianMs / 1000) / 1e9
            let ofPeak = 100 * gflops / (peak * Double(threads))
            output.emit([("kernel", c.kernel), ("kernels", name), ("shape", c.shape), ("threads", threads), ("median_ms", m.medianMs),
                         ("gflops", gflops), ("percent_of_peak", ofPeak)],
                        table: pad(c.kernel, 34) + pad(c.shape, 30) + String(format: "%7d %10.4f %10.1f %8.0f%%", threads, m.medianMs, gflops, ofPeak))
        }
    }
}
