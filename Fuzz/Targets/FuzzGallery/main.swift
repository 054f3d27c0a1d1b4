// libFuzzer target: the gallery file reader. Errors must be `GalleryError`s; a gallery that
// loads must encode again to a file that loads to the same gallery.
//
// The file's SHA-256s would stop the fuzzer at the checksums, so when the input's first byte is
// odd the rest gets correct checksums first (when it is long enough to have a header): the
// snapshot's (over the extent its header gives, or to the end of a format-1 file) and every
// log record's that is framed inside the file, which lets it reach the JSON index, the
// embeddings and the log's changes; an even first byte leaves it as it is.
import FuzzDriver
import FaceKit
import FaceKitSupport
import Foundation

func fuzzGallery(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    guard size > 0 else { return 0 }
    var bytes = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 1, bytes.count >= 92 { fixChecksums(&bytes) }
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

/// Puts the right SHA-256 in the snapshot header and in each framed log record.
func fixChecksums(_ bytes: inout [UInt8]) {
    func u32(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24 }
    let version = u32(8), dimension = u32(12), count = u32(16)
    var json = 0
    for i in 0..<8 { json |= Int(bytes[52 + i] & (i == 7 ? 0x7f : 0xff)) << (8 * i) }
    // The header's fields are fuzzed: any product or sum may overflow.
    let (vectors, o1) = (4 * dimension).multipliedReportingOverflow(by: count)
    let (body, o2) = json.addingReportingOverflow(vectors)
    let (extent, o3) = body.addingReportingOverflow(92)
    let end = version == 1 || o1 || o2 || o3 || extent < 92 ? bytes.count : min(bytes.count, extent)
    bytes.replaceSubrange(60..<92, with: Digest.sha256Bytes(Data(bytes[92..<end])))
    var position = end
    while position + 40 <= bytes.count {
        let length = u32(position + 4)
        guard length <= bytes.count - position - 40 else { break }
        bytes.replaceSubrange((position + 8)..<(position + 40), with: Digest.sha256Bytes(Data(bytes[(position + 40)..<(position + 40 + length)])))
        position += 40 + length
    }
}

runFuzzer(fuzzGallery)
