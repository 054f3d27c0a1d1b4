import FaceKitImage
import FaceKitTestSupport
import Foundation

enum TestImages {
    /// Lossless WebP bytes of `image`, made with libwebp's encoder (loaded at run time).
    static func webpLossless(_ image: RGBImage) throws -> [UInt8] {
        let library = try WebPLibrary.shared.get()
        guard let data = library.losslessData(image) else { throw ImageError.writeFailed(destination: "webp", reason: "encoder failed") }
        return data
    }

    /// The bytes of a sample photo.
    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Shared.images.appendingPathComponent(relative)))
    }

    static let smallJPEG = "nick_hague/nasa_portrait.jpg"
}
