// The recognizer on photo files, decoding each photo only at the sizes the networks need: the
// detector's view at least twice its input side (tiles: the finest tile scale's pixels), then a
// full-size region around the faces (or the whole photo when that is cheaper), on which each
// face is re-detected as the full decode's single pass finds it and cropped. A photo small
// enough that its detector view would be its full size is decoded once, exactly.
import FaceKitImage

/// A photo ready for ``FaceRecognizer``: its bytes and the decode the detector runs on.
///
/// Make one with ``FaceRecognizer/prepare(_:decoder:)``; that is the decoding half of the work,
/// which can run ahead on another task while the networks run on the previous photo.
public struct PreparedPhoto: Sendable {
    /// The photo's bytes.
    public let encoded: EncodedImage
    /// The detector's view of the photo.
    public let overview: ScaledImage
    /// The decoder the further decodes use.
    public let decoder: ImageDecoder
}

extension FaceRecognizer {
    /// Decodes the detector's view of `encoded`: reduced (JPEG) so that its longer side keeps
    /// at least twice the detector's input side when that reduces it 4× or more; otherwise at
    /// full size, exactly as ``ImageDecoder/decode(contentsOfFile:)`` (a 2× reduction would
    /// save little, and the faces of such a photo need the full size anyway).
    ///
    /// A photo the detector tiles (see ``FaceDetector/tileCounts(width:height:)``) is decoded
    /// at the reduction that still holds its finest tile scale's pixels: tiles look for faces
    /// down to ``FaceDetector/Configuration/minimumFaceSize`` full-size pixels at a scale of
    /// 16 / that size (at most 2), so at the default 20 px (scale 0.8) the full size, at 40 px
    /// 1/2, at 80 px 1/4, from 128 px 1/8.
    public func prepare(_ encoded: EncodedImage, decoder: ImageDecoder = ImageDecoder()) throws -> PreparedPhoto {
        var reduction = try decoder.reduction(for: encoded, minimumLongerSide: 2 * detector.configuration.variant.inputSize)
        if reduction < 4 { reduction = 1 }
        let configuration = detector.configuration
        if reduction > 1, configuration.variant == .back, configuration.tiling != .off,
           let size = try decoder.jpegUprightSize(of: encoded),
           let finest = TilePlan(width: size.width, height: size.height, minimumFaceSize: configuration.minimumFaceSize,
                                 inputSize: configuration.variant.inputSize)?.levels.first {
            let scale = max(finest.scaleX, finest.scaleY)
            reduction = min(reduction, decoder.reductions(for: encoded).first { 1 / Double($0) >= scale } ?? 1)
        }
        return PreparedPhoto(encoded: encoded, overview: try decoder.decode(encoded, region: nil, reduction: reduction), decoder: decoder)
    }

    /// Reads and prepares the photo file at `path` (see ``prepare(_:decoder:)``).
    public func prepare(contentsOfFile path: String, decoder: ImageDecoder = ImageDecoder()) throws -> PreparedPhoto {
        try prepare(try decoder.encodedImage(contentsOfFile: path), decoder: decoder)
    }

    /// Every face of `photo`, best detection score first, in full-size upright coordinates.
    public func faces(in photo: PreparedPhoto) throws -> [RecognizedFace] {
        let (found, view) = try overviewDetections(in: photo)
        return try recognize(found, in: photo, base: view, redetecting: true)
    }

    /// The detector's faces on `photo` in full-size upright coordinates (before the
    /// re-detection of `faces(in:)`), and the decode they were found on (the overview; the
    /// minimum face size is scaled to its pixels, so tiles plan as on the full decode).
    package func overviewDetections(in photo: PreparedPhoto) throws -> (faces: [DetectedFace], view: ScaledImage) {
        let view = photo.overview
        var configuration = detector.configuration
        configuration.minimumFaceSize = max(1, configuration.minimumFaceSize / Double(view.scale))
        return (try detector.reconfigured(configuration).detect(in: view.image).map { $0.mapped(from: view) }, view)
    }

    /// The face of `photo` that `choice` picks, as ``face(in:choosing:source:)`` does for a decoded image.
    public func face(in photo: PreparedPhoto, choosing choice: FaceChoice = .only) throws -> RecognizedFace {
        let (found, view) = try overviewDetections(in: photo)
        return try recognize([found[try choice.position(among: found, source: photo.encoded.source)]], in: photo, base: view,
                             redetecting: true)[0]
    }

    /// The main face (highest detection score) of `photo`.
    public func mainFace(in photo: PreparedPhoto) throws -> RecognizedFace {
        let (found, view) = try overviewDetections(in: photo)
        guard let best = found.first else { throw FaceKitError.noFace(source: photo.encoded.source) }
        return try recognize([best], in: photo, base: view, redetecting: true)[0]
    }

    /// Aligns and embeds faces found in `photo` (full-size coordinates): the crop half of the
    /// fast path, on its own for tests. With `redetecting`, each face found on a reduced
    /// overview is first re-detected as the full decode would find it (see
    /// `redetected(_:views:overview:)`).
    /// `base` is the decode the faces were found on (default: the overview). When the full-size
    /// region the re-detection needs is over the decoder's pixel budget, the faces are cropped
    /// from reduced region decodes without re-detection (as before it existed).
    package func recognize(_ faces: [DetectedFace], in photo: PreparedPhoto, base: ScaledImage? = nil,
                           redetecting: Bool = false) throws -> [RecognizedFace] {
        let base = base ?? photo.overview
        var views: CropViews, redetecting = redetecting
        do {
            views = try CropViews(faces, photo: photo, overview: base, cropSide: AlignedFace.size,
                                  detectorInput: redetecting ? detector.configuration.variant.inputSize : nil)
        } catch ImageError.tooLarge where redetecting {
            // The full-size region the re-detection needs is over the pixel budget: crop from
            // the reduced decodes that fit, with the overview's boxes.
            views = try CropViews(faces, photo: photo, overview: base, cropSide: AlignedFace.size)
            redetecting = false
        }
        let faces = redetecting ? try redetected(faces, views: views, overview: base) : faces
        var aligned: [AlignedFace] = []
        for (face, view) in zip(faces, views.views) {
            let local = face.mapped(to: view)
            let crop = try aligner.align(try refinedDetection(of: local, in: view.image), in: view.image)
            aligned.append(crop.expressed(in: view))
        }
        let embeddings = try embedder.embeddings(of: aligned)
        return faces.indices.map { RecognizedFace(detection: faces[$0], aligned: aligned[$0], embedding: embeddings[$0]) }
    }
}

extension FaceRecognizer {
    /// `faces`, found on the reduced `overview`, as the detector's single pass on the full
    /// decode finds them. The detector's box on a DCT-reduced overview differs from its box on
    /// the full decode by a few percent of the face (the full decode's letterbox point-samples
    /// the photo, the overview averages 8×8 blocks), and the keypoint refinement turns that into
    /// crops that embed differently (cosine 0.90–0.99). So the single pass runs once more on its
    /// full-decode input rebuilt from what is decoded: exact (the full decode's own samples)
    /// wherever a full-size region decode covers it, the overview elsewhere. Each face decoded
    /// finer than the overview takes the re-detected face nearest it (centre within a quarter of
    /// its side, size within 25 %); the others, and a face the second pass misses, stay as found.
    func redetected(_ faces: [DetectedFace], views: CropViews, overview: ScaledImage) throws -> [DetectedFace] {
        guard let fine = views.fine, overview.scale > 1, !faces.isEmpty else { return faces }
        let n = detector.configuration.variant.inputSize
        var input = [Float](repeating: -1, count: n * n * 3)
        var covered = [Bool](repeating: false, count: n * n)
        input.withUnsafeMutableBufferPointer { i in
            covered.withUnsafeMutableBufferPointer { c in
                overview.writeFullLetterboxSamples(size: n, scale: 1 / 127.5, offset: -1, into: i.baseAddress!, covered: c.baseAddress!, clamps: true)
                fine.writeFullLetterboxSamples(size: n, scale: 1 / 127.5, offset: -1, into: i.baseAddress!, covered: c.baseAddress!)
            }
        }
        let outputs = try detector.rawOutputs(input: input)
        let letterbox = Letterbox(width: overview.fullWidth, height: overview.fullHeight)
        let configuration = detector.configuration
        let candidates = DetectionDecoder.candidates(scores: outputs.scores, regressors: outputs.regressors, inputSize: n,
                                                     minimumScore: configuration.minimumScore)
        let found = DetectionDecoder.weightedNMS(candidates, iouThreshold: configuration.iouThreshold, maximumFaces: nil)
            .map { DetectionDecoder.face($0, letterbox: letterbox, variant: configuration.variant) }
        return faces.indices.map { i in
            let face = faces[i]
            guard views.views[i].scale < overview.scale else { return face }
            let side = max(face.box.width, face.box.height), c = face.box.center
            func distance(_ g: DetectedFace) -> Double {
                ((g.box.center.x - c.x) * (g.box.center.x - c.x) + (g.box.center.y - c.y) * (g.box.center.y - c.y)).squareRoot()
            }
            guard let g = found.min(by: { distance($0) < distance($1) }), distance(g) < 0.25 * side,
                  (0.8...1.25).contains(max(g.box.width, g.box.height) / side) else { return face }
            return g
        }
    }
}

/// The decode each face is aligned from.
struct CropViews {
    /// Crop side as a multiple of the face box side: the refiner's close-up (3×) and a margin.
    static let context = 3.5
    /// Detector-input pixels of full-decode samples around a face that is re-detected.
    static let redetectionMargin = 40.0
    var views: [ScaledImage] = []
    /// The decode finer than the overview that the faces needing it share, if any.
    var fine: ScaledImage? = nil

    /// Each face needs its box side ≥ 2 × `cropSide` decoded pixels. The overview serves every
    /// face it is fine enough for; the others share one decode at the finest reduction any of
    /// them needs: of the region that covers them all when that is at most a quarter of the
    /// photo (libjpeg then skips the rows above it, stops after its last row and transforms
    /// only its columns), else of the whole photo.
    /// With `detectorInput` (the detector's input side; the faces are re-detected), every face
    /// is decoded at full size with at least `redetectionMargin` detector-input pixels around it
    /// in the single pass's letterbox, so that the re-detection sees the full decode's samples
    /// over most of what the network looks at for the face.
    init(_ faces: [DetectedFace], photo: PreparedPhoto, overview: ScaledImage, cropSide: Int, detectorInput: Int? = nil) throws {
        let reductions = photo.decoder.reductions(for: photo.encoded)
        func reduction(_ face: DetectedFace) -> Int {
            if detectorInput != nil { return 1 }
            let side = max(face.box.width, face.box.height)
            return reductions.first { side / Double($0) >= 2 * Double(cropSide) } ?? 1
        }
        let margin = detectorInput.map { Self.redetectionMargin * Double(max(overview.fullWidth, overview.fullHeight)) / Double($0) } ?? 0
        let needs = faces.map { min(overview.scale, reduction($0)) }
        let pending = faces.indices.filter { needs[$0] < overview.scale }
        if let finest = pending.map({ needs[$0] }).min() {
            var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
            for i in pending {
                let box = max(faces[i].box.width, faces[i].box.height)
                let side = max(Self.context * box, box + 2 * margin), c = faces[i].box.center
                x0 = min(x0, c.x - side / 2); y0 = min(y0, c.y - side / 2); x1 = max(x1, c.x + side / 2); y1 = max(y1, c.y + side / 2)
            }
            x0 = max(0, x0); y0 = max(0, y0)
            x1 = min(Double(overview.fullWidth), x1); y1 = min(Double(overview.fullHeight), y1)
            let small = x1 > x0 && y1 > y0 && (x1 - x0) * (y1 - y0) <= 0.25 * Double(overview.fullWidth * overview.fullHeight)
            fine = try photo.decoder.decode(photo.encoded, region: small ? (x0, y0, x1 - x0, y1 - y0) : nil, reduction: finest)
        }
        views = faces.indices.map { needs[$0] >= overview.scale ? overview : fine! }
    }
}

extension DetectedFace {
    /// The face in full-size coordinates, from coordinates of `view`.
    func mapped(from view: ScaledImage) -> DetectedFace {
        transformed(scale: Double(view.scale)) { view.fullSize(x: $0.x, y: $0.y) }
    }

    /// The face in coordinates of `view`, from full-size coordinates.
    func mapped(to view: ScaledImage) -> DetectedFace {
        transformed(scale: 1 / Double(view.scale)) { view.scaled(x: $0.x, y: $0.y) }
    }

    private func transformed(scale: Double, _ point: ((x: Double, y: Double)) -> (x: Double, y: Double)) -> DetectedFace {
        func p(_ q: PixelPoint) -> PixelPoint { let r = point((q.x, q.y)); return PixelPoint(x: r.x, y: r.y) }
        let origin = p(PixelPoint(x: box.x, y: box.y)), k = keypoints
        return DetectedFace(
            score: score, box: BoundingBox(x: origin.x, y: origin.y, width: box.width * scale, height: box.height * scale),
            keypoints: FaceKeypoints(rightEye: p(k.rightEye), leftEye: p(k.leftEye), noseTip: p(k.noseTip), mouthCenter: p(k.mouthCenter),
                                     rightEarTragion: p(k.rightEarTragion), leftEarTragion: p(k.leftEarTragion)),
            variant: variant)
    }
}

extension AlignedFace {
    /// The crop with its transform taking full-size pixel-index coordinates instead of `view`'s.
    func expressed(in view: ScaledImage) -> AlignedFace {
        // view index = (full index + 0.5 − origin) / scale − 0.5
        let s = 1 / Double(view.scale)
        let fullToView = AffineMatrix(s, 0, (0.5 - view.originX) * s - 0.5, 0, s, (0.5 - view.originY) * s - 0.5)
        return AlignedFace(uncheckedPixels: pixels, transform: transform.concatenating(fullToView), method: method)
    }
}
