// libFuzzer target: the safetensors reader (the converted-weights cache). Errors must be
// `WeightsError`s; what decodes must encode again and decode to the same tensors.
import FuzzDriver
import FaceKitWeights
import Foundation

func fuzzSafeTensors(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    do {
        let (tensors, metadata) = try SafeTensors.decode(bytes, name: "fuzz.safetensors")
        for t in tensors.values where t.count != (t.floats?.count ?? t.ints?.count) {
            fatalError("tensor \(t.name) has shape \(t.shape) but other values")
        }
        let again = try SafeTensors.decode(try SafeTensors.encode(Array(tensors.values), metadata: metadata), name: "again")
        guard again.metadata == metadata, again.tensors.count == tensors.count,
              tensors.allSatisfy({ name, t in
                  guard let u = again.tensors[name], u.shape == t.shape else { return false }
                  // Compare bit patterns: NaN payloads must survive too.
                  if let a = t.floats, let b = u.floats { return a.map(\.bitPattern) == b.map(\.bitPattern) }
                  return t.ints == u.ints
              })
        else { fatalError("safetensors round trip changed the tensors") }
    } catch is WeightsError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

runFuzzer(fuzzSafeTensors)
