// An aligned 112×112 face crop and where it came from.
import FaceKitImage

/// The alignments ``FaceRecognizer`` can run.
///
/// A crop made another way (an image that already was an aligned crop, or a custom
/// ``FaceAligner``) has no method: its ``AlignedFace/method`` is nil.
public enum AlignmentMethod: String, Sendable, Codable, CaseIterable {
    /// Similarity transform of four keypoints onto the ArcFace template (the embedder's training alignment).
    case template
    /// Classic eye-level rotation of a square around the face box.
    case eyes

    /// The aligner that implements this method with its default settings.
    public var aligner: any FaceAligner {
        switch self {
        case .template: return TemplateAligner()
        case .eyes: return EyeLevelAligner()
        }
    }
}

/// A 112×112 RGB face crop ready for the embedder.
///
/// The built-in aligners make crops with ``AlignmentMethod/template`` or ``AlignmentMethod/eyes``;
/// a custom ``FaceAligner`` builds one with ``init(warping:by:)`` (warping the photo by its own
/// matrix) or ``init(pixels:transform:)`` (pixels it computed itself).
public struct AlignedFace: Sendable {
    /// The crop side in pixels: SE-MobileFaceNet's input size.
    public static let size = SEMobileFaceNet.inputSize
    /// The number of values in ``pixels``: `size · size · 3`.
    public static let valueCount = size * size * 3
    /// 112·112·3 RGB values in [0, 255], row-major, not rounded (bilinear samples).
    public let pixels: [Float]
    /// Maps source-image pixel-index coordinates (pixel centres at integers) to crop pixel-index coordinates.
    public let transform: AffineMatrix
    /// The built-in method that made the crop, or nil for an already aligned input image or a
    /// custom aligner.
    public let method: AlignmentMethod?

    init(uncheckedPixels pixels: [Float], transform: AffineMatrix, method: AlignmentMethod?) {
        self.pixels = pixels
        self.transform = transform
        self.method = method
    }

    /// Wraps a crop a custom aligner computed itself.
    ///
    /// - Parameters:
    ///   - pixels: ``valueCount`` RGB values in [0, 255], row-major.
    ///   - transform: The map from source-image pixel-index coordinates to crop pixel-index coordinates.
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the count is wrong or a value is not finite.
    public init(pixels: [Float], transform: AffineMatrix) throws {
        guard pixels.count == Self.valueCount else {
            throw FaceKitError.invalidArgument("an aligned face needs \(Self.valueCount) values (112x112 RGB), got \(pixels.count)")
        }
        guard pixels.allSatisfy(\.isFinite) else { throw FaceKitError.invalidArgument("an aligned face has non-finite pixel values") }
        self.init(uncheckedPixels: pixels, transform: transform, method: nil)
    }

    /// Warps `image` by `transform` into a 112×112 crop (bilinear sampling, black outside the image).
    ///
    /// This is how the built-in aligners make their crops; a custom ``FaceAligner`` computes its
    /// own `transform` and calls this, so the crop keeps the matrix it was made with.
    ///
    /// - Parameters:
    ///   - image: The photo the face was found in.
    ///   - transform: The map from `image` pixel-index coordinates to crop pixel-index coordinates.
    /// - Throws: `ImageError.invalidDimensions` when `transform` cannot be inverted.
    public init(warping image: RGBImage, by transform: AffineMatrix) throws {
        try self.init(warping: image, by: transform, method: nil)
    }

    /// Warps `image` by `transform` into a crop.
    init(warping image: RGBImage, by transform: AffineMatrix, method: AlignmentMethod?) throws {
        var pixels = [Float](repeating: 0, count: Self.valueCount)
        try pixels.withUnsafeMutableBufferPointer {
            try image.warpAffine(transform, width: Self.size, height: Self.size, into: $0.baseAddress!)
        }
        self.init(uncheckedPixels: pixels, transform: transform, method: method)
    }

    /// Treats an image as an already aligned face, resizing it to 112×112 if needed
    /// (``method`` is nil).
    public init(alignedImage image: RGBImage) throws {
        let crop = image.width == Self.size && image.height == Self.size ? image : try image.resized(width: Self.size, height: Self.size)
        let sx = Double(Self.size) / Double(image.width), sy = Double(Self.size) / Double(image.height)
        self.init(uncheckedPixels: crop.pixels.map(Float.init),
                  transform: AffineMatrix(sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5), method: nil)
    }

    /// The crop as an 8-bit image (rounded), for saving or drawing.
    public var image: RGBImage {
        // Every initialiser makes 112·112·3 pixels, so the checked initialiser could not fail.
        RGBImage(uncheckedWidth: Self.size, height: Self.size, pixels: pixels.map { UInt8(max(0, min(255, $0.rounded()))) })
    }

    /// The horizontally mirrored crop (for flip augmentation).
    public func mirrored() -> AlignedFace {
        var out = pixels
        let n = Self.size
        for y in 0..<n {
            for x in 0..<n {
                for c in 0..<3 { out[(y * n + x) * 3 + c] = pixels[(y * n + (n - 1 - x)) * 3 + c] }
            }
        }
        let flip = AffineMatrix(-1, 0, Double(n - 1), 0, 1, 0)
        return AlignedFace(uncheckedPixels: out, transform: flip.concatenating(transform), method: method)
    }
}

/// Turns a detected face into an aligned crop.
///
/// Conforming types build their crop with ``AlignedFace/init(warping:by:)`` or
/// ``AlignedFace/init(pixels:transform:)``.
public protocol FaceAligner: Sendable {
    /// The crop of `face` in `image` (the image the face was detected in).
    func align(_ face: DetectedFace, in image: RGBImage) throws -> AlignedFace
}
