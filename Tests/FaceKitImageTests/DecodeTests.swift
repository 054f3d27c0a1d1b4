import FaceKitImage
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct DecodeTests {
    static let photos: [String] = GoldenCases.list("detections.json") {
        (try GoldenCases.cast(Shared.referenceJSON("detections.json")["photos"], "detections.json photos") as [String: Any]).keys.sorted()
    }

    @Test("reference data is present")
    func referencePresent() {
        #expect(Self.photos.count == 14, "../shared/reference/detections.json must list the 14 sample photos")
    }

    @Test("every sample photo decodes to exactly the reference RGB bytes", arguments: photos)
    func goldenDecode(photo: String) throws {
        try GoldenCases.require(photo)
        let info = try #require((try Shared.referenceJSON("detections.json")["photos"] as? [String: Any])?[photo] as? [String: Any])
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(photo).path)
        #expect(image.width == info["width"] as? Int)
        #expect(image.height == info["height"] as? Int)
        let expected = (info["decodedRGB"] as? [String: Any])?["sha256"] as? String
        #expect(Shared.sha256Hex(image.pixels) == expected, "decoded RGB of \(photo) differs from the reference decoder")
    }

    @Test("the lossless decoded/ copies equal the JPEG decodes")
    func decodedCopies() throws {
        for (png, jpeg) in [("group__obama_biden_oval_office.png", "group/obama_biden_oval_office.jpg"),
                            ("nick_hague__nasa_portrait.png", "nick_hague/nasa_portrait.jpg")] {
            let a = try ImageDecoder().decode(contentsOfFile: Shared.reference.appendingPathComponent("decoded/\(png)").path)
            let b = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(jpeg).path)
            #expect(a == b, "\(png) vs \(jpeg)")
        }
    }

    @Test("PNG colour types and bit depths decode to RGB", arguments: [
        "gray8", "gray16", "grayAlpha8", "palette", "paletteTRNS", "rgb8", "rgb16", "rgba8", "rgba16", "gray1",
    ])
    func pngVariants(kind: String) throws {
        // A 3x2 image whose expected RGB is known exactly; 16-bit samples are b·257 so that
        // any correct 16→8 reduction gives b.
        let w = 3, h = 2
        let colors: [(UInt8, UInt8, UInt8)] = [(10, 20, 30), (200, 100, 0), (255, 255, 255), (0, 0, 0), (7, 77, 177), (128, 64, 32)]
        let grays: [UInt8] = [0, 17, 99, 128, 200, 255]
        var rows: [[UInt8]] = [], expected: [UInt8] = []
        var depth = 8, type = 0
        var palette: [UInt8]? = nil, trns: [UInt8]? = nil
        for y in 0..<h {
            var row: [UInt8] = []
            for x in 0..<w {
                let i = y * w + x, c = colors[i], g = grays[i]
                switch kind {
                case "gray8": row += [g]; expected += [g, g, g]
                case "gray16": row += [g, g]; expected += [g, g, g]; depth = 16
                case "grayAlpha8": row += [g, 90]; expected += [g, g, g]; type = 4
                case "palette", "paletteTRNS": row += [UInt8(i)]; expected += [c.0, c.1, c.2]; type = 3
                case "rgb8": row += [c.0, c.1, c.2]; expected += [c.0, c.1, c.2]; type = 2
                case "rgb16": row += [c.0, c.0, c.1, c.1, c.2, c.2]; expected += [c.0, c.1, c.2]; type = 2; depth = 16
                case "rgba8": row += [c.0, c.1, c.2, 255]; expected += [c.0, c.1, c.2]; type = 6
                case "rgba16": row += [c.0, c.0, c.1, c.1, c.2, c.2, 255, 255]; expected += [c.0, c.1, c.2]; type = 6; depth = 16
                case "gray1": expected += (x + y) % 2 == 0 ? [255, 255, 255] : [0, 0, 0]; depth = 1
                default: Issue.record("unknown kind")
                }
            }
            if kind == "gray1" { row = [y == 0 ? 0b1010_0000 : 0b0100_0000] }
            rows.append(row)
        }
        if type == 3 {
            palette = colors.flatMap { [$0.0, $0.1, $0.2] }
            if kind == "paletteTRNS" { trns = [255, 255, 255, 255, 255, 255] }
        }
        let png = TestPNG.encode(width: w, height: h, bitDepth: depth, colorType: type, rows: rows, palette: palette, transparency: trns)
        let image = try ImageDecoder().decode(png, source: kind)
        #expect(image.width == w && image.height == h)
        #expect(image.pixels == expected, "\(kind)")
    }

    /// Pillow (the reference decoder) keeps the stored values whatever the colour-space chunks
    /// say; libpng's simplified API would gamma-convert a file whose gAMA is far from sRGB.
    @Test("colour-space chunks (gAMA, cHRM, sRGB, iCCP) do not change the decoded values", arguments: [
        "gAMA 1.0", "gAMA 1/2.2", "gAMA 1/1.8 + cHRM", "sRGB", "iCCP",
    ])
    func colourSpaceChunks(_ label: String) throws {
        let w = 16, h = 3
        var rows: [[UInt8]] = [], expected: [UInt8] = []
        for y in 0..<h {
            var row: [UInt8] = []
            for x in 0..<w {
                let v = UInt8((x * 16 + y * 5) & 0xFF), pixel = [v, 255 - v, UInt8((v &* 3) & 0xFF)]
                row += pixel; expected += pixel
            }
            rows.append(row)
        }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let chunks: [[UInt8]]
        switch label {
        case "gAMA 1.0": chunks = [TestPNG.chunk("gAMA", be32(100_000))]
        case "gAMA 1/2.2": chunks = [TestPNG.chunk("gAMA", be32(45_455))]
        case "gAMA 1/1.8 + cHRM":
            chunks = [TestPNG.chunk("gAMA", be32(55_556)),
                      TestPNG.chunk("cHRM", [31_270, 32_900, 64_000, 33_000, 30_000, 60_000, 15_000, 6_000].flatMap { be32($0) })]
        case "sRGB": chunks = [TestPNG.chunk("sRGB", [0])]
        default:
            // An (uncompressed-stored) zlib stream holding a few bytes: libpng does not apply ICC profiles, but must accept the chunk.
            let profile: [UInt8] = Array(repeating: 0, count: 8)
            var z: [UInt8] = [0x78, 0x01, 1, UInt8(profile.count), 0, UInt8(~profile.count & 0xFF), 0xFF] + profile
            var a: UInt32 = 1, b: UInt32 = 0
            for x in profile { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
            z += be32(b << 16 | a)
            chunks = [TestPNG.chunk("iCCP", Array("test".utf8) + [0, 0] + z)]
        }
        let png = TestPNG.encode(width: w, height: h, bitDepth: 8, colorType: 2, rows: rows, ancillary: chunks)
        let image = try ImageDecoder().decode(png, source: label)
        #expect(image.pixels == expected, "\(label)")
    }

    @Test("PNG encoding round-trips")
    func pngRoundTrip() throws {
        var pixels = [UInt8](repeating: 0, count: 17 * 9 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37) & 0xFF) }
        let image = try RGBImage(width: 17, height: 9, pixels: pixels)
        let back = try ImageDecoder().decode(try image.pngData())
        #expect(back == image)
    }

    @Test("WebP decodes, whatever the file is called")
    func webp() throws {
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("eileen_collins/skimage_astronaut.png").path)
        let webp = try TestImages.webpLossless(image)
        let dir = try Shared.temporaryDirectory()
        let path = dir.appendingPathComponent("photo.jpg").path   // a WebP under a .jpg name
        try Data(webp).write(to: URL(fileURLWithPath: path))
        let back = try ImageDecoder().decode(contentsOfFile: path)
        #expect(back == image)
    }
}
