// The safetensors format: 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}),
// then the tensor bytes. FaceKit writes F32 and I32 tensors, little-endian, in name order.
import Foundation

/// Reading and writing safetensors files.
package enum SafeTensors {
    /// The largest header FaceKit accepts (the format's own limit is 100 MB).
    static let maximumHeader = 100_000_000

    /// Encodes `tensors` with `metadata`.
    package static func encode(_ tensors: [WeightTensor], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        let sorted = tensors.sorted { $0.name < $1.name }
        for t in sorted {
            let bytes = t.count * 4
            header[t.name] = ["dtype": t.floats != nil ? "F32" : "I32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }   // pad so the data starts 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in sorted {
            switch t.values {
            case let .float32(v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            case let .int32(v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Decodes a safetensors file's bytes; `name` labels errors.
    package static func decode(_ data: Data, name: String) throws -> (tensors: [String: WeightTensor], metadata: [String: String]) {
        func fail(_ reason: String) -> WeightsError { .malformedConverted(file: name, reason: reason) }
        guard data.count >= 8 else { throw fail("shorter than its 8-byte header length") }
        let n = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(maximumHeader), 8 + Int(n) <= data.count else { throw fail("header length \(n) exceeds the file") }
        let headerData = data.subdata(in: 8..<(8 + Int(n)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let base = 8 + Int(n)
        let body = data.count - base
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let m = m as? [String: String] else { throw fail("__metadata__ is not a string map") }
            metadata = m
        }
        var spans: [(Int, Int, String)] = []
        var tensors: [String: WeightTensor] = [:]
        for (key, value) in header where key != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("entry '\(key)' lacks dtype, shape or data_offsets") }
            guard dtype == "F32" || dtype == "I32" else { throw fail("entry '\(key)' has unsupported dtype \(dtype)") }
            // The element count, refusing a product that overflows (dimensions of 2^32 and 2^32
            // multiply to 0 in wrapping arithmetic) or exceeds 2^28.
            let count = shape.allSatisfy({ $0 >= 0 }) ? shape.reduce(Optional(1)) { product, d in
                product.flatMap { p in
                    let (next, overflow) = p.multipliedReportingOverflow(by: d)
                    return overflow || next > 1 << 28 ? nil : next
                }
            } : nil
            guard let count else { throw fail("entry '\(key)' has an invalid shape \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= body, end - begin == count * 4 else {
                throw fail("entry '\(key)' has offsets \(offsets) that do not fit its shape \(shape) or the file")
            }
            spans.append((begin, end, key))
            let values: WeightTensor.Values = data.withUnsafeBytes { raw in
                let p = raw.baseAddress! + base + begin
                if dtype == "F32" {
                    return .float32((0..<count).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
                }
                return .int32((0..<count).map { Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            }
            tensors[key] = WeightTensor(name: key, shape: shape, values: values)
        }
        // The data section must be covered exactly, without overlaps or holes.
        spans.sort { $0.0 < $1.0 }
        var cursor = 0
        for (begin, end, key) in spans {
            guard begin == cursor else { throw fail("entry '\(key)' overlaps another or leaves a gap") }
            cursor = end
        }
        guard cursor == body else { throw fail("\(body - cursor) bytes after the last tensor") }
        return (tensors, metadata)
    }
}
