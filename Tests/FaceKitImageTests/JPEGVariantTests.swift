import CTurboJPEG
import FaceKitImage
import FaceKitTestSupport
import Testing

/// JPEGs the test makes itself with TurboJPEG's compressor.
func makeJPEG(width: Int, height: Int, pixels: [UInt8], format: TJPF, subsampling: TJSAMP, flags: Int32) throws -> [UInt8] {
    let handle = try #require(tjInitCompress())
    defer { tjDestroy(handle) }
    var out: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let status = pixels.withUnsafeBufferPointer {
        tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &out, &size,
                    Int32(subsampling.rawValue), 95, flags)
    }
    try #require(status == 0, "tjCompress2: \(String(cString: tjGetErrorStr2(handle)))")
    defer { tjFree(out) }
    return Array(UnsafeBufferPointer(start: out, count: Int(size)))
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
        let baseline = try makeJPEG(width: Self.width, height: Self.height, pixels: Self.rgb, format: TJPF_RGB, subsampling: TJSAMP_444, flags: 0)
        let progressive = try makeJPEG(width: Self.width, height: Self.height, pixels: Self.rgb, format: TJPF_RGB, subsampling: TJSAMP_444,
                                       flags: Int32(TJFLAG_PROGRESSIVE))
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
        let jpeg = try makeJPEG(width: Self.width, height: Self.height, pixels: gray, format: TJPF_GRAY, subsampling: TJSAMP_GRAY, flags: 0)
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
        let jpeg = try makeJPEG(width: Self.width, height: Self.height, pixels: cmyk, format: TJPF_CMYK, subsampling: TJSAMP_444, flags: 0)
        #expect(throws: ImageError.unsupportedColorSpace(source: "print.jpg", colorSpace: "CMYK JPEG")) {
            try ImageDecoder().decode(jpeg, source: "print.jpg")
        }
    }
}
