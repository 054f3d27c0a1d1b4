// libFuzzer target: the EXIF orientation reader alone (FaceKit's own Swift parser).
//
// An input whose first byte is even is read as a whole JPEG (marker walk, APP1, TIFF); an odd
// first byte wraps the rest as the TIFF block of an APP1 "Exif" segment, so the fuzzer spends its
// time in the IFD walk rather than rediscovering the JPEG framing. The orientation found is then
// applied to a small image, whose size must come out right.
import FuzzDriver
import FaceKitImage

enum Fuzz { static let probe = RGBImage(uncheckedWidth: 3, height: 2, pixels: (0..<18).map(UInt8.init)) }

func fuzzEXIF(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var bytes: [UInt8]
    if input[0] & 1 == 0 {
        bytes = Array(input.dropFirst())
    } else {
        let tiff = input.dropFirst().prefix(0xFFFF - 8)
        let length = tiff.count + 8
        bytes = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + Array("Exif".utf8) + [0, 0]
        bytes += tiff
        bytes += [0xFF, 0xD9]
    }
    let orientation = bytes.withUnsafeBytes { ExifOrientation.read(jpeg: $0) }
    let upright = Fuzz.probe.applying(orientation)
    let expected = orientation.swapsDimensions ? (2, 3) : (3, 2)
    guard (upright.width, upright.height) == expected, upright.pixels.sorted() == Fuzz.probe.pixels else {
        fatalError("orientation \(orientation) gave a \(upright.width)x\(upright.height) image")
    }
    return 0
}

runFuzzer(fuzzEXIF)
