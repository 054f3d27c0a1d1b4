// libFuzzer target: the gallery file reader. Errors must be `GalleryError`s; a gallery that
// loads must encode again to a file that loads to the same gallery.
//
// The file's SHA-256 would stop the fuzzer at the checksum, so when the input's first byte is
// odd the rest gets a correct checksum first (when it is long enough to have a header), which
// lets it reach the JSON index and the embeddings; an even first byte leaves it as it is.
import FuzzDriver
import FaceKit
import FaceKitSupport
import Foundation

func fuzzGallery(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    guard size > 0 else { return 0 }
    var bytes = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 1, bytes.count >= 92 {
        bytes.replaceSubrange(60..<92, with: Digest.sha256Bytes(Data(bytes[92...])))
    }
    do {
        let snapshot = try GalleryFile.decode(Data(bytes), name: "fuzz.fkg")
        let again = try GalleryFile.decode(try GalleryFile.encode(snapshot), name: "again")
        guard again.people.map(\.identifier) == snapshot.people.map(\.identifier),
              again.people.map(\.embeddings.count) == snapshot.people.map(\.embeddings.count)
        else { fatalError("gallery round trip changed the gallery") }
    } catch is GalleryError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

runFuzzer(fuzzGallery)
