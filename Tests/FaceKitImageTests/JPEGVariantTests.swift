import CFaceKitCodecs
import FaceKitImage
import FaceKitTestSupport
import Testing

enum JPEGPixels: Int32 { case rgb = 0, gray = 1, cmyk = 2 }

/// JPEGs the test makes itself with libjpeg's compressor (quality 95).
func makeJPEG(width: Int, height: Int, pixels: [UInt8], format: JPEGPixels, subsampled: Bool = false, progressive: Bool = false,
              quality: Int = 95) throws -> [UInt8] {
    var size = 0
    var message = [CChar](repeating: 0, count: Int(FK_MESSAGE_CAPACITY))
    let out = pixels.withUnsafeBufferPointer {
        fk_jpeg_encode($0.baseAddress, Int32(width), Int32(height), format.rawValue, Int32(quality), subsampled ? 1 : 0,
                       progressive ? 1 : 0, &size, &message)
    }
    let buffer = try #require(out, "fk_jpeg_encode: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    defer { fk_free(buffer) }
    return Array(UnsafeBufferPointer(start: buffer, count: size))
}

@Suite struct JPEGVariantTests {
    static let width = 48, height = 32
    static var rgb: [UInt8] {
        var out: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { out += [UInt8(x * 5), UInt8(y * 7), UInt8(128 + x - y)] }
        }
        return out
    }

    @Test("baseline and progressive JPEGs decode to the same picture")
    func progressive() throws {
        let baseline = try makeJPEG(width: Self.width, height: Self.height, pixels: Self.rgb, format: .rgb)
        let progressive = try makeJPEG(width: Self.width, height: Self.height, pixels: Self.rgb, format: .rgb, progressive: true)
        #expect(progressive != baseline)
        let a = try ImageDecoder().decode(baseline), b = try ImageDecoder().decode(progressive)
        #expect(a.width == Self.width && b.height == Self.height)
        let worst = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max()!
        let vsSource = zip(a.pixels, Self.rgb).map { abs(Int($0) - Int($1)) }.max()!
        #expect(worst <= 2 && vsSource <= 12, "progressive vs baseline \(worst), baseline vs source \(vsSource)")
    }

    @Test("a grayscale JPEG decodes to RGB with equal channels")
    func grayscale() throws {
        let gray = (0..<(Self.width * Self.height)).map { UInt8(($0 * 3) % 256) }
        let jpeg = try makeJPEG(width: Self.width, height: Self.height, pixels: gray, format: .gray)
        let image = try ImageDecoder().decode(jpeg)
        #expect(image.pixels.count == Self.width * Self.height * 3)
        var equal = true
        for i in stride(from: 0, to: image.pixels.count, by: 3) where image.pixels[i] != image.pixels[i + 1] || image.pixels[i] != image.pixels[i + 2] {
            equal = false
        }
        #expect(equal)
    }

    @Test("a CMYK JPEG is refused with a clear error")
    func cmyk() throws {
        var cmyk: [UInt8] = []
        for _ in 0..<(Self.width * Self.height) { cmyk += [10, 200, 30, 0] }
        let jpeg = try makeJPEG(width: Self.width, height: Self.height, pixels: cmyk, format: .cmyk)
        #expect(throws: ImageError.unsupportedColorSpace(source: "print.jpg", colorSpace: "CMYK JPEG")) {
            try ImageDecoder().decode(jpeg, source: "print.jpg")
        }
    }
}
