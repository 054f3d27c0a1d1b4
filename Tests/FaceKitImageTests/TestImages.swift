import CWebP
import FaceKitImage
import FaceKitTestSupport
import Foundation

enum TestImages {
    /// Lossless WebP bytes of `image`, made with libwebp's encoder.
    static func webpLossless(_ image: RGBImage) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let size = image.pixels.withUnsafeBufferPointer {
            WebPEncodeLosslessRGB($0.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), &out)
        }
        guard size > 0, let out else { throw ImageError.writeFailed(destination: "webp", reason: "encoder failed") }
        defer { WebPFree(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// The bytes of a sample photo.
    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Shared.images.appendingPathComponent(relative)))
    }

    static let smallJPEG = "nick_hague/nasa_portrait.jpg"
}
