// Decoding JPEG, PNG and WebP into upright 8-bit RGB.
//
// The format comes from the content. The pixel budget is checked from the header
// before any pixel buffer is allocated. The C libraries are used only through APIs
// that return errors (libjpeg through CFaceKitCodecs, whose setjmp/longjmp stay in C;
// libpng's png_image_*; libwebp's WebPDecode*, loaded at run time), so no error path can
// reach exit(), abort() or a longjmp across Swift frames.
import CPNG
import Foundation

/// Reads images from files or bytes into ``RGBImage``.
public struct ImageDecoder: Sendable {
    /// The largest image, in pixels, that will be decoded (default 64 megapixels).
    public var pixelBudget: Int
    /// The largest file, in bytes, that will be read (default 256 MiB).
    public var maximumFileSize: Int
    /// Whether a JPEG's EXIF orientation is applied (default true).
    public var appliesExifOrientation: Bool
    /// The libwebp names to load instead of the default ones (tests of a missing library).
    package var webPLibraryNames: [String]? = nil

    /// Creates a decoder.
    public init(pixelBudget: Int = 64_000_000, maximumFileSize: Int = 256 << 20, appliesExifOrientation: Bool = true) {
        self.pixelBudget = pixelBudget
        self.maximumFileSize = maximumFileSize
        self.appliesExifOrientation = appliesExifOrientation
    }

    /// Decodes the image file at `path`.
    public func decode(contentsOfFile path: String) throws -> RGBImage {
        try decode(try readFile(path), source: path)
    }

    /// Decodes image bytes; `source` names them in errors.
    public func decode(_ data: Data, source: String = "<memory>") throws -> RGBImage {
        guard !data.isEmpty else { throw ImageError.empty(source: source) }
        guard data.count <= maximumFileSize else {
            throw ImageError.fileTooLarge(source: source, bytes: data.count, limit: maximumFileSize)
        }
        return try data.withUnsafeBytes { bytes in
            let format = ImageFormat.detect(bytes)
            switch format {
            case .jpeg:
                let image = try decodeJPEG(bytes, source: source).image
                return appliesExifOrientation ? image.applying(ExifOrientation.read(jpeg: bytes)) : image
            case .png: return try decodePNG(bytes, source: source)
            case .webp: return try decodeWebP(bytes, source: source)
            default: throw ImageError.unsupportedFormat(source: source, detected: format.displayName)
            }
        }
    }

    /// Decodes image bytes given as an array.
    public func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> RGBImage {
        try decode(Data(bytes), source: source)
    }

    func checkBudget(_ w: Int, _ h: Int, _ source: String) throws {
        guard w > 0, h > 0 else { throw ImageError.corrupt(source: source, detail: "header gives size \(w)x\(h)") }
        guard w * h <= pixelBudget else {
            throw ImageError.tooLarge(source: source, width: w, height: h, budget: pixelBudget)
        }
    }

    // MARK: PNG (libpng simplified API)

    func decodePNG(_ bytes: UnsafeRawBufferPointer, source: String) throws -> RGBImage {
        if let stripped = Self.pngWithoutGamma(bytes) {
            return try stripped.withUnsafeBytes { try decodePNGStream($0, source: source) }
        }
        return try decodePNGStream(bytes, source: source)
    }

    /// The file without its gAMA chunks, or nil when it has none (or its chunk list cannot be
    /// walked, which libpng then reports). The simplified API converts a file whose gAMA is far
    /// from sRGB's into sRGB; Pillow, the reference decoder, keeps the stored values.
    static func pngWithoutGamma(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var offset = 8, spans: [Range<Int>] = []
        while offset + 12 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
            let end = offset + 12 + length
            guard length < 0x8000_0000, end <= bytes.count else { return nil }
            let type = (bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7])
            if type == (0x67, 0x41, 0x4D, 0x41) { spans.append(offset..<end) }   // "gAMA"
            if type == (0x49, 0x45, 0x4E, 0x44) { break }                         // "IEND"
            offset = end
        }
        guard !spans.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        for span in spans {
            out.append(contentsOf: bytes[start..<span.lowerBound])
            start = span.upperBound
        }
        out.append(contentsOf: bytes[start...])
        return out
    }

    private func decodePNGStream(_ bytes: UnsafeRawBufferPointer, source: String) throws -> RGBImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw pngError(image, source, bytes.count)
        }
        // 16-bit files without gAMA/sRGB are read as sRGB-encoded (scaled, not gamma-converted);
        // begin_read resets the flags, so this must come after it.
        image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let w = Int(image.width), h = Int(image.height)
        try checkBudget(w, h, source)
        // RGBA output keeps alpha out of the colour values; it is then dropped (as Pillow's convert("RGB")).
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        var rgba = [UInt8](repeating: 0, count: w * h * 4)
        let ok = rgba.withUnsafeMutableBytes { out in
            png_image_finish_read(&image, nil, out.baseAddress, png_int_32(w * 4), nil)
        }
        guard ok != 0 else { throw pngError(image, source, bytes.count) }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(w * h) {
                    dst[3 * i] = src[4 * i]; dst[3 * i + 1] = src[4 * i + 1]; dst[3 * i + 2] = src[4 * i + 2]
                }
            }
        }
        return RGBImage(uncheckedWidth: w, height: h, pixels: rgb)
    }

    func pngError(_ image: png_image, _ source: String, _ size: Int) -> ImageError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let lower = text.lowercased()
        if lower.contains("end of") || lower.contains("not enough") || lower.contains("truncat") || lower.contains("eof") {
            return .truncated(source: source, detail: "PNG: \(text)")
        }
        return .corrupt(source: source, detail: "PNG: \(text.isEmpty ? "unknown libpng error" : text)")
    }
}
