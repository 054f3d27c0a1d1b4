// `bench detector`: BlazeFace latency, network alone and end to end.
import FaceKit
import FaceKitTensor
import Foundation

/// The weights store the benchmarks use: $FACEKIT_WEIGHTS, the cache, or a download.
func benchStore() -> WeightStore { WeightStore() }

/// A 1280×720 photo: the two-person sample resized (the same pixels every run).
func benchPhoto() throws -> RGBImage {
    let candidates = ["../shared/images/group/obama_biden_oval_office.jpg"]
    for path in candidates where FileManager.default.fileExists(atPath: path) {
        return try ImageDecoder().decode(contentsOfFile: path).resized(width: 1280, height: 720)
    }
    // No sample photos: a synthetic gradient of the same size (network cost is the same).
    var image = try RGBImage(width: 1280, height: 720)
    for y in 0..<720 { for x in 0..<1280 { image.setPixel(x: x, y: y, RGBColor(UInt8(x % 256), UInt8(y % 256), 128)) } }
    return image
}

func runDetectorBench(output: Output) async throws {
    if !output.json { print("\n# detector — \(buildDescription); end-to-end = letterbox resize + network + decoding + NMS on a 1280x720 RGB image (JPEG decoding excluded)") }
    let photo = try benchPhoto()
    for variant in DetectorVariant.allCases {
        let weights = try await benchStore().load(variant.model)
        for threads in [1, 2] {
            let detector = try FaceDetector(configuration: .init(variant: variant, threads: ThreadCount(threads)), weights: weights)
            let n = variant.inputSize
            let input = (0..<(n * n * 3)).map { Float(($0 % 255)) / 127.5 - 1 }
            let network = try measure(seconds: 1) { _ = try detector.rawOutputs(input: input) }
            let endToEnd = try measure(seconds: 1) { _ = try detector.detect(in: photo) }
            for (stage, m) in [("network", network), ("end-to-end", endToEnd)] {
                let gflops = Double(detector.flopsPerImage) / (m.medianMs / 1000) / 1e9
                output.emit([("model", variant.model.rawValue), ("stage", stage), ("threads", threads), ("batch", 1),
                             ("median_ms", m.medianMs), ("p90_ms", m.p90Ms), ("gflops", gflops)],
                            table: pad(variant.model.rawValue, 26) + pad(stage, 12) + String(format: "threads %d  median %8.3f ms  p90 %8.3f ms  %6.1f GFLOP/s",
                                          threads, m.medianMs, m.p90Ms, gflops))
            }
        }
    }
}

func runEmbedderBench(output: Output) async throws {
    if !output.json { print("\n# embedder — \(buildDescription); median_ms is for the whole batch") }
    let weights = try await benchStore().load(FaceEmbedder.model)
    for threads in [1, 2] {
        let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads), maximumBatch: 8), weights: weights)
        for batch in [1, 8] {
            let input = (0..<(batch * AlignedFace.valueCount)).map { Float(($0 * 7) % 255) / 128 - 0.99 }
            let m = try measure(seconds: 1.5) { _ = try embedder.rawEmbeddings(input: input, batch: batch) }
            let gflops = Double(embedder.flopsPerImage * batch) / (m.medianMs / 1000) / 1e9
            output.emit([("model", FaceEmbedder.model.rawValue), ("stage", "network"), ("threads", threads), ("batch", batch),
                         ("median_ms", m.medianMs), ("p90_ms", m.p90Ms), ("gflops", gflops)],
                        table: pad(FaceEmbedder.model.rawValue, 26) + pad("network", 12) + String(format: "threads %d  batch %d  median %8.3f ms  p90 %8.3f ms  %6.2f ms/face  %6.1f GFLOP/s",
                                      threads, batch, m.medianMs, m.p90Ms, m.medianMs / Double(batch), gflops))
        }
        // The same 8 faces as 8 single calls and as one batch, timed in alternation.
        var faces = [Float](repeating: 0, count: 8 * AlignedFace.valueCount)
        for i in faces.indices { faces[i] = Float((i * 7) % 255) / 128 - 0.99 }
        let image = AlignedFace.valueCount
        let oneByOne: () throws -> Void = {
            for i in 0..<8 { _ = try embedder.rawEmbeddings(input: Array(faces[(i * image)..<((i + 1) * image)]), batch: 1) }
        }
        let together: () throws -> Void = { _ = try embedder.rawEmbeddings(input: faces, batch: 8) }
        let (singles, batched) = try measureInterleaved(seconds: 3, oneByOne, together)
        let perFaceSingle: Double = singles.medianMs / 8
        let perFaceBatch: Double = batched.medianMs / 8
        let speedup: Double = perFaceSingle / perFaceBatch
        let line = String(format: "threads %d  8 single calls %6.2f ms/face, one batch of 8 %6.2f ms/face (interleaved): batch %.2fx",
                          threads, perFaceSingle, perFaceBatch, speedup)
        output.emit([("model", FaceEmbedder.model.rawValue), ("stage", "batch-vs-single"), ("threads", threads), ("batch", 8),
                     ("single_ms_per_face", perFaceSingle), ("batch_ms_per_face", perFaceBatch), ("batch_speedup", speedup)],
                    table: pad(FaceEmbedder.model.rawValue, 26) + pad("batch-vs-single", 16) + line)
    }
}

func runGalleryBench(output: Output) async throws {
    if !output.json { print("\n# gallery — brute-force SIMD search, one probe, top 5 (bounded-heap selection)") }
    let d = FaceEmbedder.dimension
    var state: UInt32 = 7
    func next() -> Float { state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / Float(1 << 24) - 0.5 }
    // 100,000 people with one embedding each is the case the per-person selection must scale to;
    // 100 people with 1,000 each scans the same number of vectors.
    for (people, perPerson) in [(10_000, 1), (100_000, 1), (100, 1_000)] {
        var snapshot = GallerySnapshot()
        snapshot.people.reserveCapacity(people)
        for p in 0..<people {
            let embeddings = (0..<perPerson).map { _ in GalleryEmbedding(embedding: FaceEmbedding(raw: (0..<d).map { _ in next() })) }
            snapshot.people.append(GalleryPerson(identifier: "person\(p)", embeddings: embeddings))
        }
        let gallery = try FaceGallery(storage: InMemoryGalleryStorage(snapshot))
        let probe = FaceEmbedding(raw: (0..<d).map { _ in next() })
        let m = try await measureAsync(seconds: 1) { _ = try await gallery.search(probe, top: 5) }
        let entries = people * perPerson
        output.emit([("bench", "gallery-search"), ("people", people), ("entries", entries), ("dimension", d), ("threads", 1),
                     ("median_ms", m.medianMs), ("p90_ms", m.p90Ms)],
                    table: pad("gallery search", 26) + String(format: "%7d people x %4d embeddings x %d   median %8.3f ms  p90 %8.3f ms",
                                                              people, perPerson, d, m.medianMs, m.p90Ms))
    }
}

func measureAsync(seconds: Double, _ body: () async throws -> Void) async rethrows -> Measurement {
    try await body(); try await body()
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < 5 || (Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9 && samples.count < 1000) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try await body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    samples.sort()
    return Measurement(medianMs: samples[samples.count / 2], p90Ms: samples[min(samples.count - 1, samples.count * 9 / 10)])
}

/// `bench weights`: what checking the pinned files costs on every `WeightStore.load`.
func runWeightsBench(output: Output) async throws {
    if !output.json { print("\n# weights — WeightStore.load after the first conversion (files and record warm in the page cache)") }
    let store = benchStore()
    for model in ModelID.allCases {
        _ = try await store.load(model)   // converts and records the fingerprints if needed
        let converted = try measure(seconds: 0.5) { _ = try store.loadConverted(model) }
        let full = try await measureAsync(seconds: 0.5) { _ = try await store.resolve(model) }
        let load = try await measureAsync(seconds: 0.5) { _ = try await store.load(model) }
        for (stage, m) in [("converted file only", converted), ("pinned files, full SHA-256", full), ("load (both, as on every call)", load)] {
            output.emit([("bench", "weights-load"), ("model", model.rawValue), ("stage", stage), ("median_ms", m.medianMs), ("p90_ms", m.p90Ms)],
                        table: pad(model.rawValue, 26) + pad(stage, 34) + String(format: "median %8.3f ms  p90 %8.3f ms", m.medianMs, m.p90Ms))
        }
    }
}

/// `bench fusion`: each network with its separable blocks fused (`SeparableBlock`, the default)
/// and layer by layer, timed in alternation in one process, so that the ratio holds on a busy
/// machine too.
func runFusionBench(output: Output) async throws {
    if !output.json { print("\n# fusion — \(buildDescription); separable blocks fused in strips vs layer by layer, timed in alternation") }
    var layered = Tuning.current
    layered.fusesSeparableBlocks = false
    for threads in [1, 2] {
        for variant in DetectorVariant.allCases {
            let weights = try await benchStore().load(variant.model)
            let detector = try FaceDetector(configuration: .init(variant: variant, threads: ThreadCount(threads)), weights: weights)
            let n = variant.inputSize
            let input = (0..<(n * n * 3)).map { Float(($0 % 255)) / 127.5 - 1 }
            let (fused, layer) = try measureInterleaved(seconds: 3, { _ = try detector.rawOutputs(input: input) },
                                                        { try Tuning.$current.withValue(layered) { _ = try detector.rawOutputs(input: input) } })
            emitFusion(output, variant.model.rawValue, threads, 1, fused, layer)
        }
        let weights = try await benchStore().load(FaceEmbedder.model)
        let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads), maximumBatch: 8), weights: weights)
        for batch in [1, 8] {
            let input = (0..<(batch * AlignedFace.valueCount)).map { Float(($0 * 7) % 255) / 128 - 0.99 }
            let (fused, layer) = try measureInterleaved(seconds: 3, { _ = try embedder.rawEmbeddings(input: input, batch: batch) },
                                                        { try Tuning.$current.withValue(layered) { _ = try embedder.rawEmbeddings(input: input, batch: batch) } })
            emitFusion(output, FaceEmbedder.model.rawValue, threads, batch, fused, layer)
        }
    }
}

private func emitFusion(_ output: Output, _ model: String, _ threads: Int, _ batch: Int, _ fused: Measurement, _ layer: Measurement) {
    output.emit([("model", model), ("stage", "fusion"), ("threads", threads), ("batch", batch),
                 ("fused_ms", fused.medianMs), ("layered_ms", layer.medianMs), ("speedup", layer.medianMs / fused.medianMs)],
                table: pad(model, 26) + String(format: "threads %d  batch %d  fused %8.3f ms  layer by layer %8.3f ms  fused %.2fx",
                                                threads, batch, fused.medianMs, layer.medianMs, layer.medianMs / fused.medianMs))
}

/// `bench tiles`: what multi-scale tiled detection costs per photo (decoded image in memory):
/// the single pass (tiling off) and the default detector, timed in alternation, for a portrait,
/// the 2048×922 Solvay photo and a 20-MP photo; and tiling forced on the portrait.
func runTilesBench(output: Output) async throws {
    if !output.json { print("\n# tiles — \(buildDescription); BlazeFace back, detection of a decoded photo (JPEG decoding excluded), single pass vs default (tiled) in alternation") }
    let photos = ["barack_obama/official_portrait_2012.jpg", "group/solvay1927_colorized.jpg", "group/iss_morgan_hague_flickr48708316717.jpg"]
    let weights = try await benchStore().load(.blazefaceBack)
    for file in photos {
        let path = "../shared/images/" + file
        guard FileManager.default.fileExists(atPath: path) else { throw FaceKitError.invalidArgument("bench tiles needs the sample photo \(path)") }
        let image = try ImageDecoder().decode(contentsOfFile: path)
        for threads in [1, 2] {
            let single = try FaceDetector(configuration: .init(threads: ThreadCount(threads), tiling: .off), weights: weights)
            let tiled = try FaceDetector(configuration: .init(threads: ThreadCount(threads)), weights: weights)
            let always = try FaceDetector(configuration: .init(threads: ThreadCount(threads), tiling: .always), weights: weights)
            let faces = (try single.detect(in: image).count, try tiled.detect(in: image).count, try always.detect(in: image).count)
            let (a, b) = try measureInterleaved(seconds: 2, minimumRounds: 3, { _ = try single.detect(in: image) }, { _ = try tiled.detect(in: image) })
            // Forced tiling differs from the default only on a close-up: the portrait (the first photo).
            let forced = file == photos[0] ? try measure(seconds: 1) { _ = try always.detect(in: image) } : b
            let tiles = tiled.tileCounts(width: image.width, height: image.height)
            output.emit([("photo", file), ("width", image.width), ("height", image.height), ("threads", threads),
                         ("tiles", tiles.reduce(0, +)), ("single_ms", a.medianMs), ("default_ms", b.medianMs), ("always_ms", forced.medianMs),
                         ("default_over_single", b.medianMs / a.medianMs),
                         ("faces_single", faces.0), ("faces_default", faces.1), ("faces_always", faces.2)],
                        table: String(format: "%@ %dx%d threads %d: tiles %@ = %d; single %8.1f ms (%d faces), default %8.1f ms (%d faces, %.2fx), always %8.1f ms (%d faces)",
                                      pad(file, 46), image.width, image.height, threads, "\(tiles)", tiles.reduce(0, +),
                                      a.medianMs, faces.0, b.medianMs, faces.1, b.medianMs / a.medianMs, forced.medianMs, faces.2))
        }
    }
}
