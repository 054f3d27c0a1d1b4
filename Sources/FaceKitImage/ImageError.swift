// Every way reading or writing an image can fail, each with a message a user can act on.

/// An image could not be read, decoded or written.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(source: String, reason: String)
    /// The file or buffer holds no bytes.
    case empty(source: String)
    /// The bytes are not a JPEG, PNG or WebP (`detected` names what they look like).
    case unsupportedFormat(source: String, detected: String)
    /// The data ends before the image does.
    case truncated(source: String, detail: String)
    /// The data is damaged (bad entropy data, checksum, marker, chunk…).
    case corrupt(source: String, detail: String)
    /// The image is larger than the pixel budget allows; checked from the header, before decoding.
    case tooLarge(source: String, width: Int, height: Int, budget: Int)
    /// The file is larger than the byte budget allows.
    case fileTooLarge(source: String, bytes: Int, limit: Int)
    /// The colour space is one FaceKit does not convert (for example CMYK JPEG).
    case unsupportedColorSpace(source: String, colorSpace: String)
    /// Width or height is zero, negative or does not match the pixel count.
    case invalidDimensions(width: Int, height: Int)
    /// Encoding or writing an image failed.
    case writeFailed(destination: String, reason: String)
    /// The format is supported, but the library that decodes it is not installed (WebP needs
    /// libwebp's runtime library, loaded when the first WebP file is read).
    case decoderUnavailable(source: String, format: String, detail: String)

    public var description: String {
        switch self {
        case let .unreadable(s, r): return "\(s): cannot read the file (\(r))"
        case let .empty(s): return "\(s): the file is empty (0 bytes)"
        case let .unsupportedFormat(s, d):
            return "\(s): unsupported image format (\(d)); FaceKit reads JPEG, PNG and WebP"
        case let .truncated(s, d): return "\(s): the image data is truncated (\(d)); the file is incomplete"
        case let .corrupt(s, d): return "\(s): the image data is corrupt (\(d))"
        case let .tooLarge(s, w, h, b):
            return "\(s): \(w)x\(h) pixels exceeds the pixel budget of \(b) pixels; raise ImageDecoder.pixelBudget to read it"
        case let .fileTooLarge(s, n, l): return "\(s): \(n) bytes exceeds the file size limit of \(l) bytes"
        case let .unsupportedColorSpace(s, c):
            return "\(s): \(c) images are not supported; convert the image to RGB first"
        case let .invalidDimensions(w, h): return "invalid image dimensions \(w)x\(h)"
        case let .writeFailed(d, r): return "\(d): cannot write the image (\(r))"
        case let .decoderUnavailable(s, f, d):
            return "\(s): reading \(f) needs the \(f) runtime library, which could not be loaded (\(d)); "
                + WebPLibrary.installAdvice
        }
    }
}
