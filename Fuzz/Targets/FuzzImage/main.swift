// libFuzzer target: image decoding through content sniffing (JPEG with its EXIF orientation,
// PNG, WebP, anything else), by the public entry point, so it follows whatever decoder
// FaceKitImage uses. A crash, a sanitizer report or an error that is not an `ImageError`
// is a finding; so is a decoded image whose pixel count disagrees with its size.
import FuzzDriver
import FaceKitImage

/// A 4-megapixel budget keeps each run short; the budget check itself is exercised.
enum Fuzz { static let decoder = ImageDecoder(pixelBudget: 4_000_000) }

func fuzzImage(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try Fuzz.decoder.decode(bytes, source: "fuzz")
        guard image.width > 0, image.height > 0, image.width * image.height <= Fuzz.decoder.pixelBudget,
              image.pixels.count == image.width * image.height * 3 else {
            fatalError("decoded an inconsistent image: \(image.width)x\(image.height), \(image.pixels.count) bytes")
        }
    } catch is ImageError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

runFuzzer(fuzzImage)
