import FaceKitImage
import FaceKitTestSupport
import Foundation
import Testing

/// What kind of error a case must give.
enum Expected: String { case empty, unsupported, truncated, corrupt, tooLarge, unreadable }

func kind(of error: Error) -> Expected? {
    switch error as? ImageError {
    case .empty?: return .empty
    case .unsupportedFormat?: return .unsupported
    case .truncated?: return .truncated
    case .corrupt?: return .corrupt
    case .tooLarge?: return .tooLarge
    case .unreadable?: return .unreadable
    default: return nil
    }
}

func expectError(_ expected: Expected, _ bytes: [UInt8], _ context: String, decoder: ImageDecoder = ImageDecoder(),
                 sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let image = try decoder.decode(bytes, source: context)
        Issue.record("\(context): decoded a \(image.width)x\(image.height) image, expected \(expected)", sourceLocation: sourceLocation)
    } catch {
        #expect(kind(of: error) == expected, "\(context): got \(error)", sourceLocation: sourceLocation)
        #expect("\(error)".contains(context), "the message names the source", sourceLocation: sourceLocation)
    }
}

@Suite struct MalformedInputTests {
    @Test("zero-length data and files")
    func empty() throws {
        expectError(.empty, [], "empty.jpg")
        let dir = try Shared.temporaryDirectory()
        let path = dir.appendingPathComponent("empty.png").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: ImageError.empty(source: path)) { try ImageDecoder().decode(contentsOfFile: path) }
    }

    @Test("missing files and directories are unreadable")
    func missing() throws {
        let dir = try Shared.temporaryDirectory()
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOfFile: dir.appendingPathComponent("nope.jpg").path) }
        do { _ = try ImageDecoder().decode(contentsOfFile: dir.path); Issue.record("decoded a directory") } catch {
            #expect(kind(of: error) == .unreadable)
        }
    }

    @Test("GIF, BMP and garbage are refused by content, whatever the name")
    func unsupported() throws {
        let gif: [UInt8] = Array("GIF89a".utf8) + [1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B]
        let dir = try Shared.temporaryDirectory()
        let path = dir.appendingPathComponent("photo.jpg").path
        try Data(gif).write(to: URL(fileURLWithPath: path))
        do { _ = try ImageDecoder().decode(contentsOfFile: path); Issue.record("decoded a GIF") } catch {
            #expect(kind(of: error) == .unsupported)
            #expect("\(error)".contains("GIF") && "\(error)".contains("photo.jpg"))
        }
        expectError(.unsupported, Array("BM".utf8) + [UInt8](repeating: 0, count: 60), "image.bmp")
        expectError(.unsupported, Array("hello, world".utf8), "notes.png")
    }

    @Test("truncated JPEGs are errors at every cut point", arguments: [3, 20, 200, 2_000, 50_000, 150_000, -2])
    func truncatedJPEG(cut: Int) throws {
        let jpeg = try TestImages.bytes(TestImages.smallJPEG)
        let n = cut < 0 ? jpeg.count + cut : cut
        expectError(.truncated, Array(jpeg[0..<n]), "cut\(n).jpg")
    }

    @Test("corrupt JPEG entropy data is an error")
    func corruptJPEG() throws {
        var jpeg = try TestImages.bytes(TestImages.smallJPEG)
        var rng: UInt64 = 42
        for i in 100_000..<100_400 {   // well inside the scan
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            jpeg[i] = UInt8(truncatingIfNeeded: rng >> 33)
        }
        expectError(.corrupt, jpeg, "scrambled.jpg")
    }

    @Test("a JPEG header claiming 60000x60000 fails fast against the pixel budget")
    func hugeJPEG() throws {
        var jpeg = try TestImages.bytes(TestImages.smallJPEG)
        // Find SOF0/SOF2 and patch height and width.
        var p = 2
        while p + 9 < jpeg.count {
            let marker = jpeg[p + 1]
            if marker == 0xC0 || marker == 0xC2 {
                jpeg[p + 5] = 0xEA; jpeg[p + 6] = 0x60; jpeg[p + 7] = 0xEA; jpeg[p + 8] = 0x60   // 60000
                break
            }
            p += 2 + (Int(jpeg[p + 2]) << 8 | Int(jpeg[p + 3]))
        }
        expectError(.tooLarge, jpeg, "huge.jpg")
        // A smaller budget refuses an ordinary photo too.
        expectError(.tooLarge, try TestImages.bytes(TestImages.smallJPEG), "budget.jpg", decoder: ImageDecoder(pixelBudget: 100_000))
    }

    static func samplePNG() -> [UInt8] {
        var rows: [[UInt8]] = []
        for y in 0..<40 {
            var row: [UInt8] = []
            for x in 0..<50 { row += [UInt8(x * 5), UInt8(y * 6), UInt8((x ^ y) & 0xFF)] }
            rows.append(row)
        }
        return TestPNG.encode(width: 50, height: 40, bitDepth: 8, colorType: 2, rows: rows)
    }

    @Test("truncated PNGs are errors at every cut point", arguments: [9, 20, 40, 1_000, 3_000, -13])
    func truncatedPNG(cut: Int) throws {
        let png = Self.samplePNG()
        let n = cut < 0 ? png.count + cut : cut
        expectError(.truncated, Array(png[0..<n]), "cut\(n).png")
    }

    @Test("a flipped byte in PNG image data is a corrupt-data error")
    func flippedPNG() throws {
        var png = Self.samplePNG()
        png[png.count / 2] ^= 0x5A
        expectError(.corrupt, png, "flipped.png")
    }

    @Test("a PNG header claiming 60000x60000 fails fast against the pixel budget")
    func hugePNG() throws {
        var png = TestPNG.encode(width: 1, height: 1, bitDepth: 8, colorType: 2, rows: [[1, 2, 3]])
        let ihdr = TestPNG.chunk("IHDR", [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0])
        png.replaceSubrange(8..<(8 + 25), with: ihdr)
        expectError(.tooLarge, png, "huge.png")
    }

    @Test("truncated and corrupt WebP are errors", arguments: [12, 30, 100, -10])
    func truncatedWebP(cut: Int) throws {
        let image = try ImageDecoder().decode(Self.samplePNG())
        let webp = try TestImages.webpLossless(image)
        let n = cut < 0 ? webp.count + cut : cut
        expectError(.truncated, Array(webp[0..<n]), "cut\(n).webp")
    }
}
