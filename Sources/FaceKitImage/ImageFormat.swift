// Recognising an image format from its first bytes, never from its file name.

/// Image container formats FaceKit recognises.
public enum ImageFormat: String, Sendable {
    case jpeg, png, webp
    case gif, bmp, tiff, heif, unknown

    /// Sniffs the format from the leading bytes.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat {
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + sig.count else { return false }
            for (i, b) in sig.enumerated() where bytes[offset + i] != b { return false }
            return true
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("GIF8".utf8)) { return .gif }
        if starts(Array("BM".utf8)) { return .bmp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("ftyp".utf8), at: 4) { return .heif }
        return .unknown
    }

    var isSupported: Bool { self == .jpeg || self == .png || self == .webp }

    var displayName: String {
        switch self {
        case .jpeg: return "JPEG"
        case .png: return "PNG"
        case .webp: return "WebP"
        case .gif: return "GIF"
        case .bmp: return "BMP"
        case .tiff: return "TIFF"
        case .heif: return "HEIF/AVIF"
        case .unknown: return "not a recognised image"
        }
    }
}
