// Multi-scale tiled detection for the back model.
//
// The single pass sees the whole photo letterboxed to 256×256, so a face is found only when it
// is at least `TilePlan.networkMinimumFace` pixels there: about 1/16 of the photo's long side.
// When the wanted `minimumFaceSize` is smaller, the photo is also resampled at finer scales
// (each 2× the next, the finest putting a `minimumFaceSize` face at `networkMinimumFace`
// network pixels) and cut into overlapping 256×256 tiles. Each scale is responsible for one
// band of face sizes:
//
//   single pass         faces ≥ f/s₀                 (s₀ = 256 / long side, f = networkMinimumFace)
//   coarsest tile scale faces in [f/s₁, f/s₀)        in its own pixels: [f, f·s₁/s₀)
//   …                   …
//   finest tile scale   faces < f/s_{K−1}            (no lower bound)
//
// with a slack factor (25 %) at each bound so that neighbouring bands overlap. The
// tiles of a scale overlap by more than the largest face of its band plus two edge margins, so
// every face of the band lies wholly inside some tile; a detection that touches an inner tile
// edge (a face cut by the tile) is dropped, and so is one outside the band (a large face seen in
// pieces is the job of a coarser scale).
//
// Merging, in photo pixels: the tiles' candidates go through the same weighted NMS as the single
// pass, so a face seen by two tiles or two scales gives one box. The single pass's faces are kept
// as it found them (so a photo it already handled keeps its boxes), except that one smaller than
// its reliable size is kept only where a tile face confirms it (IoU > 0.5). A tile face is dropped
// where it overlaps a kept single-pass face or lies inside a larger face (an ear), and must pass a
// second look (`verify`): the network on two crops around it, where the face is several times
// larger than it was on its tile, must find it again.
//
// Tiles run in batches of `TilePlan.batch` through the network, the batches shared out between
// the threads (each batch on one thread), like several photos in `detect(in:)`.
//
// Decode at scale: `tileCandidates` builds each scale by area-averaging the decoded photo (the
// finest from the photo, each coarser one from the next finer). On photo files,
// `FaceRecognizer.overviewDetections(in:)` hands it a JPEG decoded at the libjpeg reduction that
// still holds the finest scale's pixels, with the minimum face size scaled to match.
import FaceKitImage
import FaceKitTensor

/// When the back detector also runs on tiles of the photo at finer scales.
public enum TilingMode: String, Sendable, Codable, CaseIterable {
    /// Tiles run when the single pass cannot see faces down to
    /// ``FaceDetector/Configuration/minimumFaceSize``, except on a close-up: when the single pass
    /// finds a face at least 1/10 of the photo's long side, the photo is taken for a portrait
    /// and is not tiled (so a portrait costs what it did before tiling existed).
    case automatic
    /// Tiles run whenever the single pass cannot see faces down to
    /// ``FaceDetector/Configuration/minimumFaceSize``, close-up or not.
    case always
    /// The single pass only: the whole photo letterboxed into the network's input, as
    /// TensorFlow's BlazeFace graph runs it. Faces below about 1/16 of the long side are lost.
    case off
}

/// Which scales and tiles one photo needs; nil from `init` when the single pass suffices.
struct TilePlan {
    /// The smallest face (box side, network pixels) the back model finds reliably, measured by
    /// the size sweep in `TiledDetectionTests`.
    static let networkMinimumFace = 16.0
    /// Ratio between neighbouring tile scales.
    static let scaleStep = 2.0
    /// Factor by which a band extends past its nominal bounds, so that bands overlap.
    static let slack = 1.25
    /// A detection this close to an inner tile edge (network pixels) is taken as cut.
    static let edgeMargin = 2.0
    /// The finest scale never enlarges the photo more than this.
    static let largestScale = 2.0
    /// Close-up: a single-pass face at least this fraction of the long side (``TilingMode/automatic``).
    static let closeUpFraction = 0.1
    /// The most pixels the finest scale may have (it is held in memory, 3 bytes a pixel).
    static let largestLevelPixels = 128_000_000
    /// Tiles per network call.
    static let batch = 4
    /// IoU with a tile face above which a small single-pass face counts as confirmed.
    static let confirmingIoU = 0.5
    /// The verification crops' sides, in face sizes.
    static let verificationContexts = [2.0, 4.5]
    /// The score a face must reach in every verification crop (measured on the Solvay and ISS
    /// photos: faces scored ≥ 0.70 in both crops, the tiles' false detections on equipment
    /// below 0.65 in at least one; buttons on a dark suit pass, see README).
    static let verificationScore = 0.65

    struct Level {
        /// Size of the resampled photo.
        let width, height: Int
        /// Level pixels per photo pixel, per axis.
        let scaleX, scaleY: Double
        /// Band of face sizes (box side, level = network pixels) this level reports.
        let smallestFace: Double?, largestFace: Double
        /// Top-left corners of the tiles, level pixels.
        let tiles: [(x: Int, y: Int)]
    }

    /// Finest first.
    let levels: [Level]
    /// The single pass's band: candidates smaller than this (photo pixels) are dropped.
    let globalSmallestFace: Double

    var tileCount: Int { levels.reduce(0) { $0 + $1.tiles.count } }

    init?(width: Int, height: Int, minimumFaceSize: Double, inputSize n: Int) {
        let f = Self.networkMinimumFace
        let s0 = Double(n) / Double(max(width, height))
        guard f / s0 > minimumFaceSize * Self.slack else { return nil }   // the single pass sees them
        var scales: [Double] = []
        var s = min(f / minimumFaceSize, Self.largestScale)
        while s > s0 * Self.slack { scales.append(s); s /= Self.scaleStep }
        guard !scales.isEmpty else { return nil }
        var levels: [Level] = []
        for (i, s) in scales.enumerated() {
            let coarser = i + 1 < scales.count ? scales[i + 1] : s0
            let w = max(1, Int((Double(width) * s).rounded())), h = max(1, Int((Double(height) * s).rounded()))
            let largest = f * s / coarser * Self.slack
            let overlap = Int((largest + 2 * Self.edgeMargin).rounded(.up)) + 2
            let xs = Self.starts(length: w, tile: n, overlap: overlap), ys = Self.starts(length: h, tile: n, overlap: overlap)
            levels.append(Level(width: w, height: h, scaleX: Double(w) / Double(width), scaleY: Double(h) / Double(height),
                                smallestFace: i == 0 ? nil : f / Self.slack, largestFace: largest,
                                tiles: ys.flatMap { y in xs.map { (x: $0, y: y) } }))
        }
        self.levels = levels
        globalSmallestFace = f / s0 / Self.slack
    }

    /// Evenly spread tile starts covering `length` with at least `overlap` between neighbours.
    static func starts(length: Int, tile n: Int, overlap: Int) -> [Int] {
        guard length > n else { return [0] }
        let count = Int((Double(length - overlap) / Double(n - overlap)).rounded(.up))
        guard count > 1 else { return [0] }
        return (0..<count).map { Int((Double($0) * Double(length - n) / Double(count - 1)).rounded()) }
    }
}

extension Candidate {
    /// Whether `other` is a smaller box whose centre lies inside this one.
    func encloses(_ other: Candidate) -> Bool {
        let cx = (other.xmin + other.xmax) / 2, cy = (other.ymin + other.ymax) / 2
        return other.area < area * 0.5 && cx > xmin && cx < xmax && cy > ymin && cy < ymax
    }
}

extension RGBImage {
    /// The image shrunk to `ow`×`oh` by area averaging (each output pixel the mean of the
    /// photo area it covers), or enlarged bilinearly when it grows. Antialiased, unlike the
    /// letterbox resize, which samples 2×2 pixels whatever the ratio.
    func areaResized(width ow: Int, height oh: Int) throws -> RGBImage {
        if ow >= width || oh >= height { return try resized(width: ow, height: oh) }
        let xTaps = Self.areaTaps(source: width, output: ow), yTaps = Self.areaTaps(source: height, output: oh)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        var row = [Double](repeating: 0, count: ow * 3), acc = [Double](repeating: 0, count: ow * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                row.withUnsafeMutableBufferPointer { row in
                    acc.withUnsafeMutableBufferPointer { acc in
                        for oy in 0..<oh {
                            for i in 0..<(ow * 3) { acc[i] = 0 }
                            for (sy, wy) in yTaps[oy] {
                                let line = src.baseAddress! + sy * width * 3
                                for ox in 0..<ow {
                                    var r = 0.0, g = 0.0, b = 0.0
                                    for (sx, wx) in xTaps[ox] {
                                        r += wx * Double(line[sx * 3]); g += wx * Double(line[sx * 3 + 1]); b += wx * Double(line[sx * 3 + 2])
                                    }
                                    row[ox * 3] = r; row[ox * 3 + 1] = g; row[ox * 3 + 2] = b
                                }
                                for i in 0..<(ow * 3) { acc[i] += wy * row[i] }
                            }
                            for i in 0..<(ow * 3) { dst[oy * ow * 3 + i] = UInt8(max(0, min(255, acc[i].rounded()))) }
                        }
                    }
                }
            }
        }
        return try RGBImage(width: ow, height: oh, pixels: out)
    }

    /// For each of `m` outputs, the source samples of `n` it covers and their weights (sum 1).
    static func areaTaps(source n: Int, output m: Int) -> [[(Int, Double)]] {
        let r = Double(n) / Double(m)
        return (0..<m).map { o in
            let a = Double(o) * r, b = min(Double(n), Double(o + 1) * r)
            var taps: [(Int, Double)] = []
            var i = Int(a.rounded(.down))
            while Double(i) < b, i < n {
                let w = min(b, Double(i + 1)) - max(a, Double(i))
                if w > 0 { taps.append((i, w / r)) }
                i += 1
            }
            return taps
        }
    }

    /// Writes the `n`×`n` window at (`x0`, `y0`) as BlazeFace input (value / 127.5 − 1), −1
    /// where the window leaves the image (the letterbox's padding value).
    func writeTile(x0: Int, y0: Int, size n: Int, into output: UnsafeMutablePointer<Float>) {
        pixels.withUnsafeBufferPointer { p in
            for r in 0..<n {
                let o = output + r * n * 3
                let y = y0 + r
                let inside = y < height ? max(0, min(n, width - x0)) : 0
                if inside > 0 {
                    let line = p.baseAddress! + (y * width + x0) * 3
                    for i in 0..<(inside * 3) { o[i] = Float(line[i]) / 127.5 - 1 }
                }
                for i in (inside * 3)..<(n * 3) { o[i] = -1 }
            }
        }
    }
}

extension FaceDetector {
    /// How the tiled detection of a `width`×`height` photo would run with this detector's
    /// configuration: the number of tiles at each scale, finest first (empty when the single
    /// pass suffices or tiling is off). ``TilingMode/automatic`` may still skip them on a close-up.
    public func tileCounts(width: Int, height: Int) -> [Int] {
        guard configuration.tiling != .off, configuration.variant == .back,
              let plan = TilePlan(width: width, height: height, minimumFaceSize: configuration.minimumFaceSize,
                                  inputSize: configuration.variant.inputSize) else { return [] }
        return plan.levels.map(\.tiles.count)
    }

    /// The faces of `image`: the single pass, then, when the plan asks for it, the tiles.
    func detectTiled(_ image: RGBImage, threads: ThreadCount) throws -> [DetectedFace] {
        let n = configuration.variant.inputSize
        let plan = TilePlan(width: image.width, height: image.height, minimumFaceSize: configuration.minimumFaceSize, inputSize: n)
        if let finest = plan?.levels.first, finest.width * finest.height > TilePlan.largestLevelPixels {
            throw FaceKitError.invalidArgument(
                "a minimum face size of \(configuration.minimumFaceSize) px needs this \(image.width)x\(image.height) photo resampled to \(finest.width)x\(finest.height), over the limit of \(TilePlan.largestLevelPixels / 1_000_000) megapixels; choose a larger minimum face size (--min-face) or turn tiling off")
        }
        let (global, letterbox) = try singlePassCandidates(image, threads: threads)
        let single = { DetectionDecoder.weightedNMS(global, iouThreshold: self.configuration.iouThreshold, maximumFaces: self.configuration.maximumFaces)
            .map { DetectionDecoder.face($0, letterbox: letterbox, variant: self.configuration.variant) } }
        guard let plan else { return single() }
        if configuration.tiling == .automatic {
            let faces = single()
            let longSide = Double(max(image.width, image.height))
            if faces.contains(where: { max($0.box.width, $0.box.height) >= TilePlan.closeUpFraction * longSide }) { return faces }
        }
        // The single pass's faces, in photo pixels.
        let side = Double(letterbox.side), padLeft = Double(letterbox.padLeft), padTop = Double(letterbox.padTop)
        var globalFaces = DetectionDecoder.weightedNMS(global, iouThreshold: configuration.iouThreshold, maximumFaces: nil).map { c in
            var p = c
            p.xmin = c.xmin * side - padLeft; p.xmax = c.xmax * side - padLeft
            p.ymin = c.ymin * side - padTop; p.ymax = c.ymax * side - padTop
            for i in 0..<6 { p.keypoints[2 * i] = c.keypoints[2 * i] * side - padLeft; p.keypoints[2 * i + 1] = c.keypoints[2 * i + 1] * side - padTop }
            return p
        }
        // The tiles' faces, merged across tiles and scales, minus those the single pass has
        // (IoU above the NMS threshold) and those inside a larger face (an ear, an eye).
        let tiles = try tileCandidates(image, plan: plan, threads: threads)
        var tileFaces = DetectionDecoder.weightedNMS(tiles, iouThreshold: configuration.iouThreshold, maximumFaces: nil)
        // A single-pass face below its reliable size is kept (with the single pass's box) only
        // when a tile face confirms it; otherwise the tiles' faces replace it.
        globalFaces = globalFaces.filter { g in
            max(g.xmax - g.xmin, g.ymax - g.ymin) >= plan.globalSmallestFace
                || tileFaces.contains { $0.iou(g) > TilePlan.confirmingIoU }
        }
        tileFaces = tileFaces.filter { t in
            globalFaces.allSatisfy { $0.iou(t) <= configuration.iouThreshold && !$0.encloses(t) }
        }
        tileFaces = tileFaces.filter { t in !tileFaces.contains { $0.encloses(t) } }
        let verified = try verify(tileFaces, in: image, threads: threads)
        let kept = (globalFaces + zip(tileFaces, verified).filter { $0.1 }.map { $0.0 }).sorted { $0.score > $1.score }
        return kept.prefix(configuration.maximumFaces ?? kept.count).map { c in
            DetectedFace(score: c.score, box: BoundingBox(x: c.xmin, y: c.ymin, width: c.xmax - c.xmin, height: c.ymax - c.ymin),
                         keypoints: FaceKeypoints((0..<6).map { PixelPoint(x: c.keypoints[2 * $0], y: c.keypoints[2 * $0 + 1]) }),
                         variant: configuration.variant)
        }
    }

    /// Whether each face found on tiles is confirmed by a second look: the network run on crops
    /// around the face whose side is each of `TilePlan.verificationContexts` times the face's
    /// size (so the face fills 1/2 and 1/4.5 of the input: several times the size it had on its
    /// tile, the range the network finds faces best in). The face is confirmed when every crop
    /// shows a face near its centre, of about the expected size, scoring at least
    /// `TilePlan.verificationScore`. Texture that looked like a small face on one tile
    /// (switches, screws, shoes) rarely passes both; faces do.
    private func verify(_ faces: [Candidate], in image: RGBImage, threads: ThreadCount) throws -> [Bool] {
        guard !faces.isEmpty else { return [] }
        let n = configuration.variant.inputSize, size = Double(n)
        let contexts = TilePlan.verificationContexts
        let jobs = faces.indices.flatMap { f in contexts.indices.map { (face: f, context: $0) } }
        let batch = TilePlan.batch
        let chunks = (jobs.count + batch - 1) / batch
        let results = ResultList<[Bool]>(count: chunks)
        parallelFor(chunks, threads: threads, tasksPerThread: 2) { c0, c1 in
            for c in c0..<c1 {
                let part = Array(jobs[(c * batch)..<min(jobs.count, (c + 1) * batch)])
                results.set(c, Result {
                    try self.runBatch(count: part.count, fill: { b, input in
                        let f = faces[part[b].face]
                        let side = contexts[part[b].context] * max(f.xmax - f.xmin, f.ymax - f.ymin)
                        let k = side / size
                        let x0 = (f.xmin + f.xmax) / 2 - side / 2, y0 = (f.ymin + f.ymax) / 2 - side / 2
                        // Crop pixel (u, v) samples the photo at continuous (x0 + (u + 0.5)k, y0 + (v + 0.5)k).
                        let cropToImage = AffineMatrix(k, 0, x0 + 0.5 * k - 0.5, 0, k, y0 + 0.5 * k - 0.5)
                        guard let imageToCrop = cropToImage.inverted() else { throw FaceKitError.invalidArgument("degenerate face box") }
                        try image.warpAffine(imageToCrop, width: n, height: n, scale: 1 / 127.5, offset: -1, into: input)
                    }, handle: { b, candidates in
                        let expected = size / contexts[part[b].context]
                        return candidates.contains { c in
                            let cx = (c.xmin + c.xmax) / 2 * size - size / 2, cy = (c.ymin + c.ymax) / 2 * size - size / 2
                            let side = max(c.xmax - c.xmin, c.ymax - c.ymin) * size
                            return c.score >= TilePlan.verificationScore && (cx * cx + cy * cy).squareRoot() < 0.25 * expected
                                && side > expected / 2 && side < expected * 2
                        }
                    })
                })
            }
        }
        var confirmed = [Bool](repeating: true, count: faces.count)
        for (job, ok) in zip(jobs, try results.values().flatMap { $0 }) where !ok { confirmed[job.face] = false }
        return confirmed
    }

    /// Runs `count` (at most `TilePlan.batch`) inputs, written by `fill`, through the network as
    /// one batch on this thread; `handle` gets each input's candidates (unit square of the input).
    private func runBatch<T>(count: Int, fill: (Int, UnsafeMutablePointer<Float>) throws -> Void,
                             handle: (Int, [Candidate]) -> T) throws -> [T] {
        let n = configuration.variant.inputSize, batch = TilePlan.batch
        return try pool.with(fits: { $0.batch == batch }, make: { try BlazeFaceNetwork.Workspace(network: network, batch: batch) }) { ws in
            for b in 0..<count { try fill(b, ws.input.data + b * n * n * 3) }
            try network.forward(ws, batch: count, threads: .single)
            var scores = [Float](repeating: 0, count: BlazeFaceOutputs.anchors)
            var regressors = [Float](repeating: 0, count: BlazeFaceOutputs.anchors * 16)
            return (0..<count).map { b in
                let found = scores.withUnsafeMutableBufferPointer { s in
                    regressors.withUnsafeMutableBufferPointer { r in
                        network.collect(ws, image: b, scores: s.baseAddress!, regressors: r.baseAddress!)
                        return DetectionDecoder.candidates(scores: s.baseAddress!, regressors: r.baseAddress!, inputSize: n,
                                                           minimumScore: configuration.minimumScore)
                    }
                }
                return handle(b, found)
            }
        }
    }

    /// Every tile's candidates in its level's band, in photo pixels.
    private func tileCandidates(_ image: RGBImage, plan: TilePlan, threads: ThreadCount) throws -> [Candidate] {
        let n = configuration.variant.inputSize
        // Each level resampled once, finest from the photo, coarser ones from the next finer.
        var images: [RGBImage] = []
        for level in plan.levels {
            let source = images.last ?? image
            images.append(level.width == image.width && level.height == image.height
                          ? image : try source.areaResized(width: level.width, height: level.height))
        }
        let jobs = plan.levels.indices.flatMap { l in plan.levels[l].tiles.indices.map { (level: l, tile: $0) } }
        let batch = TilePlan.batch
        let chunks = (jobs.count + batch - 1) / batch
        let results = ResultList<[Candidate]>(count: chunks)
        let levelImages = images
        parallelFor(chunks, threads: threads, tasksPerThread: 2) { c0, c1 in
            for c in c0..<c1 {
                let part = Array(jobs[(c * batch)..<min(jobs.count, (c + 1) * batch)])
                results.set(c, Result { try self.runTiles(part, levels: plan.levels, images: levelImages, inputSize: n) })
            }
        }
        return try results.values().flatMap { $0 }
    }

    /// One batch of tiles through the network on one thread: the candidates in each tile's
    /// band and clear of its inner edges, in photo pixels.
    private func runTiles(_ part: [(level: Int, tile: Int)], levels: [TilePlan.Level], images: [RGBImage], inputSize n: Int) throws -> [Candidate] {
        try runBatch(count: part.count, fill: { b, input in
            let t = levels[part[b].level].tiles[part[b].tile]
            images[part[b].level].writeTile(x0: t.x, y0: t.y, size: n, into: input)
        }, handle: { b, found -> [Candidate] in
            let level = levels[part[b].level], t = level.tiles[part[b].tile]
            let size = Double(n), m = TilePlan.edgeMargin
            let innerLeft = t.x > 0, innerTop = t.y > 0
            let innerRight = t.x + n < level.width, innerBottom = t.y + n < level.height
            var out: [Candidate] = []
            for c in found {
                // Tile pixels.
                let x0 = c.xmin * size, x1 = c.xmax * size, y0 = c.ymin * size, y1 = c.ymax * size
                let face = max(x1 - x0, y1 - y0)
                if face > level.largestFace { continue }
                if let smallest = level.smallestFace, face < smallest { continue }
                if (innerLeft && x0 < m) || (innerTop && y0 < m) || (innerRight && x1 > size - m) || (innerBottom && y1 > size - m) { continue }
                var p = c
                let ox = Double(t.x), oy = Double(t.y)
                p.xmin = (x0 + ox) / level.scaleX; p.xmax = (x1 + ox) / level.scaleX
                p.ymin = (y0 + oy) / level.scaleY; p.ymax = (y1 + oy) / level.scaleY
                for i in 0..<6 {
                    p.keypoints[2 * i] = (c.keypoints[2 * i] * size + ox) / level.scaleX
                    p.keypoints[2 * i + 1] = (c.keypoints[2 * i + 1] * size + oy) / level.scaleY
                }
                out.append(p)
            }
            return out
        }).flatMap { $0 }
    }
}
