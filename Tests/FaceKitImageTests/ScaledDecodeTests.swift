import FaceKitImage
import FaceKitTestSupport
import Foundation
import Testing

/// Reduced and region decodes: geometry under every EXIF orientation, the pixel budget, and
/// WebP without libwebp.
@Suite struct ScaledDecodeTests {
    /// An EXIF APP1 segment giving `orientation`, inserted right after SOI.
    static func withOrientation(_ jpeg: [UInt8], _ orientation: Int) -> [UInt8] {
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, UInt8(orientation), 0, 0, 0, 0, 0, 0, 0]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg[2...]
    }

    /// A 4:4:4 JPEG whose sizes are no multiple of 8 (partial blocks at the right and bottom).
    static let width = 70, height = 45
    static func texture() throws -> [UInt8] {
        var rgb: [UInt8] = []
        for y in 0..<height { for x in 0..<width { rgb += [UInt8((x * 37 + y * 11) & 0xFF), UInt8((x * y) & 0xFF), UInt8((x * 3 + y * 5) & 0xFF)] } }
        return try makeJPEG(width: width, height: height, pixels: rgb, format: .rgb, quality: 100)
    }

    @Test("a region decode equals the same pixels of the full decode, under every orientation", arguments: 1...8)
    func regionGeometry(orientation: Int) throws {
        let bytes = Self.withOrientation(try Self.texture(), orientation)
        let decoder = ImageDecoder()
        let full = try decoder.decode(bytes)
        let encoded = try EncodedImage(Data(bytes))
        for reduction in [1, 2] {
            let reference = try decoder.decode(encoded, region: nil, reduction: reduction)
            #expect(reference.fullWidth == full.width && reference.fullHeight == full.height)
            let part = try decoder.decode(encoded, region: (x: 13, y: 9, width: 20, height: 17), reduction: reduction)
            #expect(part.originX <= 13 && part.originY <= 9, "orientation \(orientation) reduction \(reduction)")
            #expect(part.originX + Double(part.image.width * reduction) >= 33 && part.originY + Double(part.image.height * reduction) >= 26)
            // Every pixel of the part is the pixel of the whole decode (at this reduction) at the same place.
            var mismatches = 0
            for v in 0..<part.image.height {
                for u in 0..<part.image.width {
                    let p = part.fullSize(x: Double(u) + 0.5, y: Double(v) + 0.5)
                    let q = reference.scaled(x: p.x, y: p.y)
                    let (x, y) = (Int(q.x), Int(q.y))
                    guard x >= 0, y >= 0, x < reference.image.width, y < reference.image.height else { mismatches += 1; continue }
                    if part.image[u, v] != reference.image[x, y] { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "orientation \(orientation) reduction \(reduction): \(mismatches) pixels differ")
            if reduction == 1 { #expect(reference.image == full) }
        }
    }

    @Test("a reduced decode maps back to the full-size upright image, under every orientation", arguments: 1...8)
    func reducedMapping(orientation: Int) throws {
        // A bright 16x16 square on black at stored (40, 24)…(56, 40) of a 130x90 image.
        let w = 130, h = 90
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for y in 24..<40 { for x in 40..<56 { rgb[(y * w + x) * 3] = 255; rgb[(y * w + x) * 3 + 1] = 255; rgb[(y * w + x) * 3 + 2] = 255 } }
        let bytes = Self.withOrientation(try makeJPEG(width: w, height: h, pixels: rgb, format: .rgb, quality: 100), orientation)
        let full = try ImageDecoder().decode(bytes)
        func centroid(_ image: RGBImage) -> (x: Double, y: Double) {
            var sx = 0.0, sy = 0.0, n = 0.0
            for y in 0..<image.height { for x in 0..<image.width where image[x, y].r > 128 { sx += Double(x) + 0.5; sy += Double(y) + 0.5; n += 1 } }
            return (sx / n, sy / n)
        }
        let expected = centroid(full)
        for reduction in [2, 4, 8] {
            let scaled = try ImageDecoder().decode(try EncodedImage(Data(bytes)), region: nil, reduction: reduction)
            let c = centroid(scaled.image), mapped = scaled.fullSize(x: c.x, y: c.y)
            #expect(abs(mapped.x - expected.x) <= 1 && abs(mapped.y - expected.y) <= 1,
                    "orientation \(orientation) 1/\(reduction): \(mapped) vs \(expected)")
        }
    }

    @Test("regions outside the image, non-finite or huge, and bad reductions are errors, not traps")
    func badRegions() throws {
        let encoded = try EncodedImage(Data(try Self.texture()))
        for region in [(x: 500.0, y: 0.0, width: 10.0, height: 10.0), (x: .nan, y: 0, width: 10, height: 10),
                       (x: 0, y: 0, width: .infinity, height: 10), (x: -1e300, y: -1e300, width: 1e300, height: 1e300)] {
            #expect(throws: ImageError.self) { try ImageDecoder().decode(encoded, region: region, reduction: 1) }
        }
        let huge = try ImageDecoder().decode(encoded, region: (x: -1e300, y: -1e300, width: 3e300, height: 3e300), reduction: 2)
        #expect(huge.image.width == 35 && huge.image.height == 23)
        #expect(throws: ImageError.self) { try ImageDecoder().decode(encoded, region: nil, reduction: 3) }
    }

    @Test("the pixel budget counts what a reduced decode holds")
    func budget() throws {
        let path = Shared.images.appendingPathComponent("group/iss_morgan_hague_flickr48708316717.jpg").path   // 5568x3712
        let decoder = ImageDecoder(pixelBudget: 5_000_000)
        let encoded = try decoder.encodedImage(contentsOfFile: path)
        expectError(.tooLarge, try TestImages.bytes("group/iss_morgan_hague_flickr48708316717.jpg"), "full.jpg", decoder: decoder)
        let overview = try decoder.decode(encoded, minimumLongerSide: 512)   // 1/8: 696x464 fits
        #expect(overview.scale == 8 && overview.image.width == 696)
        let face = try decoder.decode(encoded, region: (x: 2000, y: 1000, width: 1000, height: 1000), reduction: 1)
        #expect(face.image.height == 1000)
        #expect(throws: ImageError.tooLarge(source: path, width: 5568, height: 3712, budget: 5_000_000)) {
            try decoder.decode(encoded, region: nil, reduction: 2)   // 2784x1856 does not fit
        }
    }

    @Test("a reduced decode refuses what a full decode refuses as a bomb, and progressive files over the budget")
    func bombs() throws {
        // The 60000x60000 header of MalformedInputTests: far more blocks than its bytes can code.
        var jpeg = try TestImages.bytes(TestImages.smallJPEG)
        var p = 2
        while p + 9 < jpeg.count {
            if jpeg[p + 1] == 0xC0 || jpeg[p + 1] == 0xC2 {
                jpeg[p + 5] = 0xEA; jpeg[p + 6] = 0x60; jpeg[p + 7] = 0xEA; jpeg[p + 8] = 0x60
                break
            }
            p += 2 + (Int(jpeg[p + 2]) << 8 | Int(jpeg[p + 3]))
        }
        let bomb = try EncodedImage(Data(jpeg), source: "bomb.jpg")
        #expect(throws: ImageError.tooLarge(source: "bomb.jpg", width: 60000, height: 60000, budget: 64_000_000)) {
            try ImageDecoder().decode(bomb, minimumLongerSide: 512)
        }
        // 400x300 over a 100,000-pixel budget: baseline is read reduced, progressive is not
        // (libjpeg holds all its coefficients).
        var rgb: [UInt8] = []
        for y in 0..<300 { for x in 0..<400 { rgb += [UInt8(x & 0xFF), UInt8(y & 0xFF), 90] } }
        let decoder = ImageDecoder(pixelBudget: 100_000)
        let baseline = try EncodedImage(Data(try makeJPEG(width: 400, height: 300, pixels: rgb, format: .rgb)), source: "b.jpg")
        #expect(try decoder.decode(baseline, region: nil, reduction: 2).image.width == 200)
        let progressive = try EncodedImage(Data(try makeJPEG(width: 400, height: 300, pixels: rgb, format: .rgb, progressive: true)), source: "p.jpg")
        #expect(throws: ImageError.tooLarge(source: "p.jpg", width: 400, height: 300, budget: 100_000)) {
            try decoder.decode(progressive, region: nil, reduction: 8)
        }
    }

    @Test("without libwebp a WebP is a typed error naming what to install")
    func webpMissing() throws {
        let image = try ImageDecoder().decode(MalformedInputTests.samplePNG())
        let webp = try TestImages.webpLossless(image)
        var decoder = ImageDecoder()
        decoder.webPLibraryNames = ["libfacekit-no-such-webp.so.7"]
        do {
            _ = try decoder.decode(webp, source: "photo.webp")
            Issue.record("decoded a WebP without libwebp")
        } catch let error as ImageError {
            guard case .decoderUnavailable(let source, let format, _) = error else { Issue.record("got \(error)"); return }
            #expect(source == "photo.webp" && format == "WebP")
            #expect("\(error)".contains("libwebp7") || "\(error)".contains("brew install webp"), "\(error)")
        }
    }
}
