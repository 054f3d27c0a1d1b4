// libFuzzer target: the TF.js graph-model reader (model.json, its weight manifest and a shard).
//
// The input is model.json, a zero byte, then the shard: every path the manifest names reads
// those bytes, except paths containing "missing", which fail as an unreadable file would.
// Errors must be `WeightsError`s; a model that loads must hold exactly its manifest's entries.
import FuzzDriver
import FaceKitWeights
import Foundation

func fuzzTFJS(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // An empty input may come as a null pointer: any non-null address serves for zero bytes.
    guard let data = pointer ?? (size == 0 ? UnsafePointer(bitPattern: 1) : nil) else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let split = input.firstIndex(of: 0) ?? size
    let json = Data(input[..<split])
    let shard = split < size ? Data(input[(split + 1)...]) : Data()
    do {
        let model = try TFJSGraphModel(modelJSON: json, name: "fuzz/model.json") { path in
            if path.contains("missing") { throw WeightsError.unreadable(file: path, reason: "no such file") }
            return shard
        }
        guard model.weights.count == model.weightOrder.count,
              model.weightOrder.allSatisfy({ model.weights[$0].map { $0.count == ($0.floats?.count ?? $0.ints?.count) } == true })
        else { fatalError("a loaded model's weights disagree with their shapes") }
    } catch is WeightsError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

runFuzzer(fuzzTFJS)
