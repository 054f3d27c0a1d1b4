// Decoding at the size a consumer needs: a whole image reduced in the DCT domain (JPEG 1/2,
// 1/4, 1/8), or one region of it at a chosen reduction. Geometry is always given in the
// pixels of the full-size upright image (EXIF orientation applied), so callers never see how
// the file stores the photo.
import Foundation

/// An image file read into memory and recognised, not yet decoded: decode it whole, reduced,
/// or one region at a time without reading the file again.
public struct EncodedImage: Sendable {
    /// Names the image in errors (its path, or what the caller passed).
    public let source: String
    /// The format, from the content.
    public let format: ImageFormat
    let data: Data

    /// Wraps image bytes; `source` names them in errors.
    ///
    /// - Throws: ``ImageError/empty(source:)``, ``ImageError/fileTooLarge(source:bytes:limit:)``
    ///   or ``ImageError/unsupportedFormat(source:detected:)``.
    public init(_ data: Data, source: String = "<memory>", maximumFileSize: Int = 256 << 20) throws {
        guard !data.isEmpty else { throw ImageError.empty(source: source) }
        guard data.count <= maximumFileSize else {
            throw ImageError.fileTooLarge(source: source, bytes: data.count, limit: maximumFileSize)
        }
        let format = data.withUnsafeBytes { ImageFormat.detect($0) }
        guard format.isSupported else { throw ImageError.unsupportedFormat(source: source, detected: format.displayName) }
        self.source = source
        self.format = format
        self.data = data
    }
}

/// A decoded image, or part of one, at a reduced scale, with where it lies in the full-size image.
///
/// A point at continuous coordinates (x, y) of ``image`` (0 at the left/top edge) lies at
/// (``originX`` + x · ``scale``, ``originY`` + y · ``scale``) in the full-size upright image.
public struct ScaledImage: Sendable {
    /// The decoded pixels, upright.
    public let image: RGBImage
    /// Full-size pixels per pixel of ``image``: 1, 2, 4 or 8.
    public let scale: Int
    /// Where the left edge of ``image`` lies in the full-size upright image (may be slightly
    /// negative: a reduced JPEG's last column covers a partial block).
    public let originX: Double
    /// Where the top edge of ``image`` lies in the full-size upright image.
    public let originY: Double
    /// The full-size upright image's width.
    public let fullWidth: Int
    /// The full-size upright image's height.
    public let fullHeight: Int

    /// Maps continuous coordinates of ``image`` to the full-size upright image.
    public func fullSize(x: Double, y: Double) -> (x: Double, y: Double) {
        (originX + x * Double(scale), originY + y * Double(scale))
    }

    /// Maps continuous coordinates of the full-size upright image to ``image``.
    public func scaled(x: Double, y: Double) -> (x: Double, y: Double) {
        ((x - originX) / Double(scale), (y - originY) / Double(scale))
    }
}

extension ImageDecoder {
    /// Reads the image file at `path` into memory without decoding it.
    public func encodedImage(contentsOfFile path: String) throws -> EncodedImage {
        try EncodedImage(try readFile(path), source: path, maximumFileSize: maximumFileSize)
    }

    /// The scale reductions available for `encoded`, largest first: 8, 4, 2, 1 for JPEG (libjpeg
    /// scales in the DCT domain), 1 for the other formats.
    public func reductions(for encoded: EncodedImage) -> [Int] { encoded.format == .jpeg ? [8, 4, 2, 1] : [1] }

    /// Decodes `encoded` whole, as reduced as possible while its longer side keeps at least
    /// `minimumLongerSide` pixels (or at full size when that is not possible).
    ///
    /// A reduced JPEG decode costs a fraction of a full one. Its pixels are 8×8-block DCT
    /// reductions, so they differ slightly from a full decode resized; ``decode(_:)-(EncodedImage)``
    /// is the exact path. The pixel budget applies to what the decode holds (see
    /// ``pixelBudget``).
    public func decode(_ encoded: EncodedImage, minimumLongerSide: Int) throws -> ScaledImage {
        try decode(encoded, region: nil, reduction: try reduction(for: encoded, minimumLongerSide: minimumLongerSide))
    }

    /// The largest reduction of ``reductions(for:)`` that keeps the longer side of `encoded` at
    /// least `minimumLongerSide` pixels (1 when none does). Reads only the header.
    public func reduction(for encoded: EncodedImage, minimumLongerSide: Int) throws -> Int {
        guard encoded.format == .jpeg else { return 1 }
        // The header alone: the budget is checked by the decode, at the reduction chosen.
        let header = try encoded.data.withUnsafeBytes { try jpegHeader($0, source: encoded.source, checksBudget: false) }
        let longer = max(header.width, header.height)
        return reductions(for: encoded).first { (longer + $0 - 1) / $0 >= minimumLongerSide } ?? 1
    }

    /// The full-size upright width and height of a JPEG (EXIF orientation applied), from its
    /// header alone; nil for other formats.
    package func jpegUprightSize(of encoded: EncodedImage) throws -> (width: Int, height: Int)? {
        guard encoded.format == .jpeg else { return nil }
        return try encoded.data.withUnsafeBytes { bytes in
            let header = try jpegHeader(bytes, source: encoded.source, checksBudget: false)
            let orientation = appliesExifOrientation ? ExifOrientation.read(jpeg: bytes) : .up
            return orientation.swapsDimensions ? (header.height, header.width) : (header.width, header.height)
        }
    }

    /// Decodes `encoded` whole at full size: the same pixels as ``decode(_:source:)-(Data,_)``.
    public func decode(_ encoded: EncodedImage) throws -> RGBImage {
        try decode(encoded.data, source: encoded.source)
    }

    /// Decodes the part of `encoded` that covers `region` (full-size upright pixels, clamped to
    /// the image), reduced by `reduction` (1, 2, 4 or 8; formats other than JPEG always decode
    /// at 1 and whole). The result may extend a little beyond `region` (JPEG block columns).
    ///
    /// - Throws: ``ImageError`` for damaged data or a decode over the pixel budget, and
    ///   ``ImageError/invalidDimensions(width:height:)`` for a reduction other than 1, 2, 4, 8,
    ///   a region outside the image or one with a non-finite value.
    public func decode(_ encoded: EncodedImage, region: (x: Double, y: Double, width: Double, height: Double)?,
                       reduction: Int) throws -> ScaledImage {
        guard [1, 2, 4, 8].contains(reduction) else { throw ImageError.invalidDimensions(width: reduction, height: reduction) }
        guard encoded.format == .jpeg else {
            let image = try decode(encoded.data, source: encoded.source)
            return ScaledImage(image: image, scale: 1, originX: 0, originY: 0, fullWidth: image.width, fullHeight: image.height)
        }
        return try encoded.data.withUnsafeBytes { bytes in
            let orientation = appliesExifOrientation ? ExifOrientation.read(jpeg: bytes) : .up
            let header = try jpegHeader(bytes, source: encoded.source, denominator: reduction, checksBudget: false)   // decodeJPEG checks what it holds
            let (w, h) = (header.width, header.height)               // stored, full size
            let (sw, sh) = (Int(header.info.outWidth), Int(header.info.outHeight))   // stored, reduced
            let transposes = orientation.swapsDimensions
            // The reduced stored rectangle that covers the region.
            var columns = 0..<sw, rows = 0..<sh
            if let region {
                let stored = orientation.storedRect(x: region.x, y: region.y, width: region.width, height: region.height,
                                                    storedWidth: Double(w), storedHeight: Double(h))
                guard [region.x, region.y, region.width, region.height].allSatisfy(\.isFinite) else {
                    throw ImageError.invalidDimensions(width: 0, height: 0)
                }
                // Clamped in floating point before converting, so no value can overflow an Int.
                let r = Double(reduction)
                func column(_ v: Double, _ rounding: FloatingPointRoundingRule) -> Int { Int(min(max((v / r).rounded(rounding), 0), Double(sw))) }
                func row(_ v: Double, _ rounding: FloatingPointRoundingRule) -> Int { Int(min(max((v / r).rounded(rounding), 0), Double(sh))) }
                let c0 = column(stored.x, .down), c1 = column(stored.x + stored.width, .up)
                let r0 = row(stored.y, .down), r1 = row(stored.y + stored.height, .up)
                guard c0 < c1, r0 < r1 else { throw ImageError.invalidDimensions(width: c1 - c0, height: r1 - r0) }
                columns = c0..<c1; rows = r0..<r1
            }
            let part = try decodeJPEG(bytes, source: encoded.source, denominator: reduction, columns: columns, rows: rows)
            // Full-size stored rectangle of the part (a reduced pixel covers `reduction` pixels).
            let r = Double(reduction)
            let sx0 = Double(part.x) * r, sx1 = Double(part.x + part.image.width) * r
            let sy0 = Double(part.y) * r, sy1 = Double(part.y + part.image.height) * r
            let upright = orientation.uprightRect(x0: sx0, y0: sy0, x1: sx1, y1: sy1, storedWidth: Double(w), storedHeight: Double(h))
            return ScaledImage(image: part.image.applying(orientation), scale: reduction, originX: upright.x, originY: upright.y,
                               fullWidth: transposes ? h : w, fullHeight: transposes ? w : h)
        }
    }

    func readFile(_ path: String) throws -> Data {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let type = attributes[.type] as? FileAttributeType, type == .typeDirectory {
                throw ImageError.unreadable(source: path, reason: "it is a directory")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError.unreadable(source: path, reason: FileManager.default.fileExists(atPath: path)
                                        ? "permission denied or not a regular file" : "no such file")
        }
        guard size <= maximumFileSize else {
            throw ImageError.fileTooLarge(source: path, bytes: size, limit: maximumFileSize)
        }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ImageError.unreadable(source: path, reason: "\(error.localizedDescription)")
        }
    }
}

extension ExifOrientation {
    /// The stored-image rectangle shown at the upright rectangle (continuous coordinates).
    func storedRect(x: Double, y: Double, width: Double, height: Double, storedWidth W: Double, storedHeight H: Double)
        -> (x: Double, y: Double, width: Double, height: Double) {
        let (x0, y0, x1, y1) = (x, y, x + width, y + height)
        let a: (Double, Double), b: (Double, Double)   // stored corners
        switch self {
        case .up: a = (x0, y0); b = (x1, y1)
        case .upMirrored: a = (W - x0, y0); b = (W - x1, y1)
        case .down: a = (W - x0, H - y0); b = (W - x1, H - y1)
        case .downMirrored: a = (x0, H - y0); b = (x1, H - y1)
        case .leftMirrored: a = (y0, x0); b = (y1, x1)
        case .right: a = (y0, H - x0); b = (y1, H - x1)
        case .rightMirrored: a = (W - y0, H - x0); b = (W - y1, H - x1)
        case .left: a = (W - y0, x0); b = (W - y1, x1)
        }
        let sx = min(a.0, b.0), sy = min(a.1, b.1)
        return (sx, sy, abs(a.0 - b.0), abs(a.1 - b.1))
    }

    /// The upright rectangle that shows the stored rectangle (continuous coordinates).
    func uprightRect(x0: Double, y0: Double, x1: Double, y1: Double, storedWidth W: Double, storedHeight H: Double)
        -> (x: Double, y: Double, width: Double, height: Double) {
        let a: (Double, Double), b: (Double, Double)
        switch self {
        case .up: a = (x0, y0); b = (x1, y1)
        case .upMirrored: a = (W - x0, y0); b = (W - x1, y1)
        case .down: a = (W - x0, H - y0); b = (W - x1, H - y1)
        case .downMirrored: a = (x0, H - y0); b = (x1, H - y1)
        case .leftMirrored: a = (y0, x0); b = (y1, x1)
        case .right: a = (H - y0, x0); b = (H - y1, x1)
        case .rightMirrored: a = (H - y0, W - x0); b = (H - y1, W - x1)
        case .left: a = (y0, W - x0); b = (y1, W - x1)
        }
        return (min(a.0, b.0), min(a.1, b.1), abs(a.0 - b.0), abs(a.1 - b.1))
    }
}

extension ScaledImage {
    /// Writes, for each pixel of the `size`×`size` letterbox input of the full-size image (the
    /// input ``RGBImage/letterboxResized(to:scale:offset:into:)`` makes from the full decode:
    /// bilinear, half-pixel centres, no antialiasing), the value this decode gives for it, but
    /// only where this decode covers all of the pixel's bilinear neighbours; `covered` (`size`²
    /// flags) marks the pixels written. At scale 1 the value is computed exactly as from the
    /// full decode; at a reduced scale each full-size neighbour is itself a bilinear sample of
    /// this decode (an approximation). The letterbox padding counts as covered (value 0). With
    /// `clamps`, neighbours beyond this decode's edge take its nearest pixel, so every pixel is
    /// written (for a whole-photo overview, whose last block row may be partial).
    ///
    /// Layering the writes of an overview and then of finer region decodes gives the detector's
    /// full-decode input, exact around the regions (see `FaceRecognizer.faces(in:)` for photo files).
    package func writeFullLetterboxSamples(size n: Int, scale: Double, offset: Double,
                                           into output: UnsafeMutablePointer<Float>, covered: UnsafeMutablePointer<Bool>,
                                           clamps: Bool = false) {
        let box = Letterbox(width: fullWidth, height: fullHeight)
        let r = Double(self.scale)
        // Per axis, per output index: the taps (index into this image, weight) or nil when not covered.
        func taps(count full: Int, pad: Int, origin: Double, length: Int) -> [[(Int, Double)]?] {
            RGBImage.axisTaps(source: box.side, output: n).map { t in
                var out: [(Int, Double)] = []
                for (i, w) in [(t.i0 - pad, 1 - t.f), (t.i1 - pad, t.f)] {
                    guard i >= 0, i < full else { continue }            // letterbox padding: 0
                    if self.scale == 1 {
                        var j = i - Int(origin.rounded())
                        if clamps { j = min(max(j, 0), length - 1) }
                        guard j >= 0, j < length else { return nil }
                        out.append((j, w))
                    } else {
                        // The full-size pixel centre i + 0.5 in this image's pixel-index coordinates.
                        let v = (Double(i) + 0.5 - origin) / r - 0.5
                        guard clamps || (v >= -0.5 && v <= Double(length) - 0.5) else { return nil }
                        let c = min(max(v, 0), Double(length - 1))
                        let j0 = Int(c.rounded(.down)), j1 = min(j0 + 1, length - 1), f = c - Double(j0)
                        out.append((j0, w * (1 - f))); out.append((j1, w * f))
                    }
                }
                return out
            }
        }
        let xs = taps(count: fullWidth, pad: box.padLeft, origin: originX, length: image.width)
        let ys = taps(count: fullHeight, pad: box.padTop, origin: originY, length: image.height)
        let width = image.width
        image.pixels.withUnsafeBufferPointer { p in
            for (oy, ty) in ys.enumerated() {
                guard let ty else { continue }
                for (ox, tx) in xs.enumerated() {
                    guard let tx else { continue }
                    let o = oy * n + ox
                    for ch in 0..<3 {
                        var acc = 0.0
                        for (y, wy) in ty {
                            var row = 0.0
                            for (x, wx) in tx { row += wx * Double(p[(y * width + x) * 3 + ch]) }
                            acc += wy * row
                        }
                        output[o * 3 + ch] = Float(acc * scale + offset)
                    }
                    covered[o] = true
                }
            }
        }
    }
}
