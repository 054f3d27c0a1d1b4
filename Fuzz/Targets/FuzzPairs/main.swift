// libFuzzer target: the pairs-file parser (CSV "path_a,path_b,same" and LFW pairs.txt). Errors
// must be `FaceKitError`s; parsed pairs must have both paths and no negative fold.
import FuzzDriver
import FaceKit

func fuzzPairs(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        // No disk access: an LFW image "exists" as .png when its path has an even length, else
        // the parser falls back to .jpg; both paths are exercised, deterministically.
        let pairs = try PairsFile.parse(text, root: "/fuzz-root", source: "fuzz.txt", fileExists: { $0.hasSuffix(".png") && $0.utf8.count % 2 == 0 })
        guard !pairs.isEmpty, pairs.allSatisfy({ !$0.first.isEmpty && !$0.second.isEmpty && ($0.fold ?? 0) >= 0 }) else {
            fatalError("parse returned \(pairs.count) pairs, some without paths or with a negative fold")
        }
    } catch is FaceKitError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

runFuzzer(fuzzPairs)
