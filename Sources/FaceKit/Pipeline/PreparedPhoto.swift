// The recognizer on photo files, decoding each photo only at the sizes the networks need: the
// detector's view at least twice its input side, then each face at least twice the aligned
// crop's side (a region around the face, or the whole photo when that is cheaper). A photo
// small enough that its detector view would be its full size is decoded once, exactly.
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
    /// A photo the detector tiles (see ``FaceDetector/tileCounts(width:height:)``) is decoded at
    /// full size: its tiles look for faces down to ``FaceDetector/Configuration/minimumFaceSize``
    /// full-size pixels, which a reduced view would shrink below what the network sees.
    public func prepare(_ encoded: EncodedImage, decoder: ImageDecoder = ImageDecoder()) throws -> PreparedPhoto {
        var reduction = try decoder.reduction(for: encoded, minimumLongerSide: 2 * detector.configuration.variant.inputSize)
        if reduction < 4 { reduction = 1 }
        var overview = try decoder.decode(encoded, region: nil, reduction: reduction)
        if reduction > 1 && !detector.tileCounts(width: overview.fullWidth, height: overview.fullHeight).isEmpty {
            overview = try decoder.decode(encoded, region: nil, reduction: 1)
        }
        return PreparedPhoto(encoded: encoded, overview: overview, decoder: decoder)
    }

    /// Reads and prepares the photo file at `path` (see ``prepare(_:decoder:)``).
    public func prepare(contentsOfFile path: String, decoder: ImageDecoder = ImageDecoder()) throws -> PreparedPhoto {
        try prepare(try decoder.encodedImage(contentsOfFile: path), decoder: decoder)
    }

    /// Every face of `photo`, best detection score first, in full-size upright coordinates.
    public func faces(in photo: PreparedPhoto) throws -> [RecognizedFace] {
        let found = try detector.detect(in: photo.overview.image).map { $0.mapped(from: photo.overview) }
        return try recognize(found, in: photo)
    }

    /// The face of `photo` that `choice` picks, as ``face(in:choosing:source:)`` does for a decoded image.
    public func face(in photo: PreparedPhoto, choosing choice: FaceChoice = .only) throws -> RecognizedFace {
        let found = try detector.detect(in: photo.overview.image).map { $0.mapped(from: photo.overview) }
        return try recognize([found[try choice.position(among: found, source: photo.encoded.source)]], in: photo)[0]
    }

    /// The main face (highest detection score) of `photo`.
    public func mainFace(in photo: PreparedPhoto) throws -> RecognizedFace {
        guard let best = try detector.detect(in: photo.overview.image).first else {
            throw FaceKitError.noFace(source: photo.encoded.source)
        }
        return try recognize([best.mapped(from: photo.overview)], in: photo)[0]
    }

    /// Aligns and embeds faces found in `photo` (full-size coordinates): the crop half of the
    /// fast path, on its own for tests.
    package func recognize(_ faces: [DetectedFace], in photo: PreparedPhoto) throws -> [RecognizedFace] {
        let views = try CropViews(faces, photo: photo, cropSide: AlignedFace.size)
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

/// The decode each face is aligned from.
struct CropViews {
    /// Crop side as a multiple of the face box side: the refiner's close-up (3×) and a margin.
    static let context = 3.5
    var views: [ScaledImage] = []

    /// Each face needs its box side ≥ 2 × `cropSide` decoded pixels. The overview serves every
    /// face it is fine enough for; the others share one decode at the finest reduction any of
    /// them needs: of the region that covers them all when that is at most a quarter of the
    /// photo (libjpeg then skips the rows above it, stops after its last row and transforms
    /// only its columns), else of the whole photo.
    init(_ faces: [DetectedFace], photo: PreparedPhoto, cropSide: Int) throws {
        let overview = photo.overview
        let reductions = photo.decoder.reductions(for: photo.encoded)
        func reduction(_ face: DetectedFace) -> Int {
            let side = max(face.box.width, face.box.height)
            return reductions.first { side / Double($0) >= 2 * Double(cropSide) } ?? 1
        }
        let needs = faces.map { min(overview.scale, reduction($0)) }
        let pending = faces.indices.filter { needs[$0] < overview.scale }
        var fine: ScaledImage? = nil
        if let finest = pending.map({ needs[$0] }).min() {
            var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
            for i in pending {
                let side = Self.context * max(faces[i].box.width, faces[i].box.height), c = faces[i].box.center
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
