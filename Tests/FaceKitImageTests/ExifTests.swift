import FaceKitImage
import FaceKitTestSupport
import Testing

@Suite struct ExifTests {
    /// An APP1 Exif segment holding only IFD0 with tag 0x0112 = `orientation`.
    static func app1(orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? [0, 0] + u16(v) : u16(v) + [0, 0] }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        tiff += u16(2)                                                   // two entries
        tiff += u16(0x010F) + u16(2) + u32(4) + Array("ACME".utf8)       // Make, inline ASCII
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0]
        tiff += u32(0)
        let body = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// Inserts `segment` right after SOI.
    static func tagged(_ jpeg: [UInt8], _ segment: [UInt8]) -> [UInt8] {
        Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
    }

    /// Where the stored pixel (row r, column c) of a W×H image appears, from the EXIF
    /// definition "the 0th row is at visual <side>, the 0th column at visual <side>".
    static func visualPosition(_ o: Int, r: Int, c: Int, w: Int, h: Int) -> (x: Int, y: Int) {
        let table: [Int: (row: String, col: String)] = [
            1: ("top", "left"), 2: ("top", "right"), 3: ("bottom", "right"), 4: ("bottom", "left"),
            5: ("left", "top"), 6: ("right", "top"), 7: ("right", "bottom"), 8: ("left", "bottom"),
        ]
        let t = table[o]!
        if t.row == "top" || t.row == "bottom" {
            return (t.col == "left" ? c : w - 1 - c, t.row == "top" ? r : h - 1 - r)
        }
        // 0th row along the left or right edge: stored rows become visual columns.
        return (t.row == "left" ? r : h - 1 - r, t.col == "top" ? c : w - 1 - c)
    }

    @Test("all eight EXIF orientations give the upright image", arguments: 1...8, [false, true])
    func orientations(orientation: Int, bigEndian: Bool) throws {
        let jpeg = try TestImages.bytes(TestImages.smallJPEG)
        let stored = try ImageDecoder().decode(jpeg)
        let upright = try ImageDecoder().decode(Self.tagged(jpeg, Self.app1(orientation: orientation, bigEndian: bigEndian)))
        let swaps = orientation >= 5
        #expect(upright.width == (swaps ? stored.height : stored.width))
        #expect(upright.height == (swaps ? stored.width : stored.height))
        var mismatches = 0
        for r in stride(from: 0, to: stored.height, by: 7) {
            for c in stride(from: 0, to: stored.width, by: 5) {
                let v = Self.visualPosition(orientation, r: r, c: c, w: stored.width, h: stored.height)
                if upright[v.x, v.y] != stored[c, r] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "orientation \(orientation): \(mismatches) pixels misplaced")
    }

    @Test("a damaged EXIF block is ignored, not fatal")
    func damagedExif() throws {
        let jpeg = try TestImages.bytes(TestImages.smallJPEG)
        var seg = Self.app1(orientation: 6, bigEndian: false)
        seg[14] = 0x99   // break the TIFF magic
        let image = try ImageDecoder().decode(Self.tagged(jpeg, seg))
        let stored = try ImageDecoder().decode(jpeg)
        #expect(image == stored)
        let ignored = try ImageDecoder(appliesExifOrientation: false)
            .decode(Self.tagged(jpeg, Self.app1(orientation: 6, bigEndian: false)))
        #expect(ignored == stored)
    }
}
