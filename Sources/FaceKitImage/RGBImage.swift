// The 8-bit RGB image every FaceKit step starts from.

/// An 8-bit RGB image, row-major, 3 bytes per pixel, no padding between rows.
///
/// Coordinates follow the reference convention: continuous pixel coordinates have 0 at
/// the left/top edge and `width` at the right edge; the centre of column `i` is `i + 0.5`.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel, rows top to bottom.
    ///
    /// Read-only from outside this file, so the count always matches the size (the resampling
    /// code reads it through unsafe pointers); change pixels with ``setPixel(x:y:_:)`` and the
    /// drawing methods, or make a new image with ``init(width:height:pixels:)``.
    public private(set) var pixels: [UInt8]

    /// Wraps existing pixel bytes; throws if the count does not match the size.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidDimensions(width: width, height: height)
        }
        guard pixels.count == width * height * 3 else {
            throw ImageError.invalidDimensions(width: width, height: height)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black (or `fill`-coloured) image.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) throws {
        guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20 else {
            throw ImageError.invalidDimensions(width: width, height: height)
        }
        var p = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in 0..<(width * height) { p[3 * i] = fill.0; p[3 * i + 1] = fill.1; p[3 * i + 2] = fill.2 }
        }
        self.width = width
        self.height = height
        self.pixels = p
    }

    /// Unchecked initialiser for decoders that already validated the size.
    package init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Sets the pixel at column `x`, row `y` to `color`; does nothing outside the image.
    public mutating func setPixel(x: Int, y: Int, _ color: RGBColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
