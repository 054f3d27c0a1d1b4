// An aligned 112×112 face crop and where it came from.
import FaceKitImage

/// How a face was aligned.
public enum AlignmentMethod: String, Sendable, Codable, CaseIterable {
    /// Similarity transform of four keypoints onto the ArcFace template (the embedder's training alignment).
    case template
    /// Classic eye-level rotation of a square around the face box.
    case eyes
    /// An input that already was an aligned crop (only resized).
    case none
}

/// A 112×112 RGB face crop ready for the embedder.
public struct AlignedFace: Sendable {
    /// The crop side in pixels.
    public static let size = 112
    /// 112·112·3 RGB values in [0, 255], row-major, not rounded (bilinear samples).
    public let pixels: [Float]
    /// Maps source-image pixel-index coordinates (pixel centres at integers) to crop pixel-index coordinates.
    public let transform: AffineMatrix
    /// How the crop was made.
    public let method: AlignmentMethod

    init(pixels: [Float], transform: AffineMatrix, method: AlignmentMethod) {
        self.pixels = pixels
        self.transform = transform
        self.method = method
    }

    /// Warps `image` by `transform` into a crop.
    init(warping image: RGBImage, by transform: AffineMatrix, method: AlignmentMethod) throws {
        var pixels = [Float](repeating: 0, count: Self.size * Self.size * 3)
        try pixels.withUnsafeMutableBufferPointer {
            try image.warpAffine(transform, width: Self.size, height: Self.size, into: $0.baseAddress!)
        }
        self.init(pixels: pixels, transform: transform, method: method)
    }

    /// Treats an image as an already aligned face, resizing it to 112×112 if needed.
    public init(alignedImage image: RGBImage) throws {
        let crop = image.width == Self.size && image.height == Self.size ? image : try image.resized(width: Self.size, height: Self.size)
        let sx = Double(Self.size) / Double(image.width), sy = Double(Self.size) / Double(image.height)
        self.init(pixels: crop.pixels.map(Float.init),
                  transform: AffineMatrix(sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5), method: .none)
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
        return AlignedFace(pixels: out, transform: flip.concatenating(transform), method: method)
    }
}

/// Turns a detected face into an aligned crop.
public protocol FaceAligner: Sendable {
    /// The crop of `face` in `image` (the image the face was detected in).
    func align(_ face: DetectedFace, in image: RGBImage) throws -> AlignedFace
}
