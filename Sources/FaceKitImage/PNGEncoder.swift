// Encoding RGB images as PNG (annotated photos, face crops) with libpng's simplified API.
import CPNG
import FaceKitSupport
import Foundation

extension RGBImage {
    /// The image as PNG bytes.
    public func pngData() throws -> Data {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        var size = 0
        let ok1 = pixels.withUnsafeBytes { p in
            png_image_write_to_memory(&image, nil, &size, 0, p.baseAddress, png_int_32(width * 3), nil)
        }
        guard ok1 != 0, size > 0 else { throw ImageError.writeFailed(destination: "<memory>", reason: "libpng could not size the PNG") }
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = out.withUnsafeMutableBytes { o in
            pixels.withUnsafeBytes { p in
                png_image_write_to_memory(&image, o.baseAddress, &size, 0, p.baseAddress, png_int_32(width * 3), nil)
            }
        }
        guard ok2 != 0 else { throw ImageError.writeFailed(destination: "<memory>", reason: "libpng failed to encode") }
        return Data(out.prefix(size))
    }

    /// Writes the image as a PNG file, atomically: a reader (or a crash) sees the old file or
    /// the whole new one.
    ///
    /// - Throws: ``ImageError/writeFailed(destination:reason:)`` when encoding or writing fails.
    public func writePNG(to path: String) throws {
        let data = try pngData()
        do { try AtomicFile.write(data, to: URL(fileURLWithPath: path)) } catch {
            throw ImageError.writeFailed(destination: path, reason: error.reason)
        }
    }
}
