// Reading a TensorFlow.js graph model: model.json (topology + weights manifest) and its
// binary shards, decoded entry by entry.
//
// Each weight group's shards are read in order as one byte stream; entries follow each
// other in manifest order. Sizes must add up exactly.
import Foundation

/// One node of the graph (a GraphDef NodeDef written as JSON).
package struct GraphNode: Sendable, Codable, Equatable {
    package let name: String
    package let op: String
    package let input: [String]?
    package let attr: [String: JSONValue]?

    /// The node's inputs (empty when it has none).
    package var inputs: [String] { input ?? [] }

    /// An integer list attribute (`strides`, `dilations`…).
    package func ints(_ key: String) -> [Int]? {
        attr?[key]?["list"]?["i"]?.arrayValue?.compactMap(\.intValue)
    }
}

/// The quantization of a manifest entry.
package struct WeightQuantization: Sendable, Codable, Equatable {
    package let dtype: String
    package let min: Double?
    package let scale: Double?
    /// The dtype before quantization (`original_dtype` in model.json).
    package let originalDType: String?

    private enum CodingKeys: String, CodingKey {
        case dtype, min, scale
        case originalDType = "original_dtype"
    }
}

/// One entry of a weights manifest group.
package struct WeightEntry: Sendable, Codable, Equatable {
    package let name: String
    package let shape: [Int]
    package let dtype: String
    package let quantization: WeightQuantization?
}

/// A group of entries stored across `paths`, in order.
package struct WeightGroup: Sendable, Codable, Equatable {
    package let paths: [String]
    package let weights: [WeightEntry]
}

/// A decoded weight: float32 values (or int32 for integer constants), with its shape.
package struct WeightTensor: Sendable, Equatable {
    package enum Values: Sendable, Equatable {
        case float32([Float])
        case int32([Int32])
    }
    package let name: String
    package let shape: [Int]
    package let values: Values

    package init(name: String, shape: [Int], values: Values) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// The number of elements.
    package var count: Int { shape.reduce(1, *) }

    /// The float values (nil for integer constants).
    package var floats: [Float]? { if case let .float32(v) = values { return v }; return nil }
    /// The integer values (nil for float constants).
    package var ints: [Int32]? { if case let .int32(v) = values { return v }; return nil }
}

/// A parsed TF.js graph model: its nodes and decoded weights.
package struct TFJSGraphModel: Sendable {
    /// The graph nodes in file order.
    package let nodes: [GraphNode]
    /// Every weight, by name.
    package let weights: [String: WeightTensor]
    /// Weight names in manifest order.
    package let weightOrder: [String]
    /// `format` of model.json (should be "graph-model").
    package let format: String?

    private struct ModelJSON: Decodable {
        struct Topology: Decodable { let node: [GraphNode] }
        let format: String?
        let modelTopology: Topology?
        let weightsManifest: [WeightGroup]?
    }

    /// Reads `model.json` in `directory` and its shards (named by the manifest's paths).
    package init(directory: URL, modelFile: String = "model.json") throws {
        let modelURL = directory.appendingPathComponent(modelFile)
        let json: Data
        do { json = try Data(contentsOf: modelURL) } catch {
            throw WeightsError.unreadable(file: modelURL.path, reason: "\(error.localizedDescription)")
        }
        try self.init(modelJSON: json, name: modelURL.path) { path in
            let url = directory.appendingPathComponent(path)
            do { return try Data(contentsOf: url) } catch {
                throw WeightsError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
            }
        }
    }

    /// Parses model.json bytes; `shard` returns the bytes of a manifest path.
    package init(modelJSON: Data, name: String, shard: (String) throws -> Data) throws {
        let parsed: ModelJSON
        do { parsed = try JSONDecoder().decode(ModelJSON.self, from: modelJSON) } catch {
            throw WeightsError.malformedModel(file: name, reason: "invalid JSON: \(Self.describe(error))")
        }
        guard let topology = parsed.modelTopology else {
            throw WeightsError.malformedModel(file: name, reason: "no modelTopology")
        }
        guard let manifest = parsed.weightsManifest else {
            throw WeightsError.malformedModel(file: name, reason: "no weightsManifest")
        }
        if let format = parsed.format, format != "graph-model" {
            throw WeightsError.malformedModel(file: name, reason: "format is '\(format)', expected 'graph-model'")
        }
        var weights: [String: WeightTensor] = [:]
        var order: [String] = []
        for group in manifest {
            guard !group.paths.isEmpty else {
                throw WeightsError.malformedModel(file: name, reason: "a weight group lists no shard paths")
            }
            var stream = Data()
            for path in group.paths {
                guard !path.contains(".."), !path.hasPrefix("/") else {
                    throw WeightsError.malformedModel(file: name, reason: "shard path '\(path)' leaves the model directory")
                }
                stream.append(try shard(path))
            }
            let shardName = group.paths.joined(separator: "+")
            var offset = 0
            for entry in group.weights {
                guard weights[entry.name] == nil else {
                    throw WeightsError.invalidWeight(file: name, weight: entry.name, reason: "duplicate name")
                }
                let tensor = try Self.decode(entry, stream, &offset, file: shardName)
                weights[entry.name] = tensor
                order.append(entry.name)
            }
            guard offset == stream.count else {
                throw WeightsError.shardSizeMismatch(file: shardName, expected: offset, actual: stream.count)
            }
        }
        nodes = topology.node
        self.weights = weights
        weightOrder = order
        format = parsed.format
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(c): return c.debugDescription
        case let DecodingError.keyNotFound(k, c): return "missing '\(k.stringValue)' at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case let DecodingError.typeMismatch(_, c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case let DecodingError.valueNotFound(_, c): return "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }

    /// Decodes one entry at `offset` of the group's byte stream.
    static func decode(_ e: WeightEntry, _ stream: Data, _ offset: inout Int, file: String) throws -> WeightTensor {
        guard e.shape.allSatisfy({ $0 >= 0 }) else {
            throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "negative dimension in shape \(e.shape)")
        }
        let (count, overflow) = e.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o || p > 1 << 28)
        }
        guard !overflow else {
            throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "shape \(e.shape) is too large")
        }
        let storage = e.quantization?.dtype ?? e.dtype
        let width: Int
        switch storage {
        case "float32", "int32": width = 4
        case "float16", "uint16", "int16": width = 2
        case "uint8": width = 1
        default:
            throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "unknown dtype '\(storage)'")
        }
        guard e.dtype == "float32" || e.dtype == "int32" || e.dtype == "float16" else {
            throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "unknown dtype '\(e.dtype)'")
        }
        let bytes = count * width
        guard offset + bytes <= stream.count else {
            throw WeightsError.invalidWeight(
                file: file, weight: e.name,
                reason: "needs \(bytes) bytes at offset \(offset) but the shards end at \(stream.count)")
        }
        defer { offset += bytes }
        let start = offset
        return try stream.withUnsafeBytes { raw -> WeightTensor in
            let p = raw.baseAddress! + start
            func u16(_ i: Int) -> UInt16 { UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            func u32(_ i: Int) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            if e.dtype == "int32" {
                guard storage == "int32" else {
                    throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "int32 weight stored as \(storage)")
                }
                return WeightTensor(name: e.name, shape: e.shape, values: .int32((0..<count).map { Int32(bitPattern: u32($0)) }))
            }
            var values = [Float](repeating: 0, count: count)
            switch storage {
            case "float32": for i in 0..<count { values[i] = Float(bitPattern: u32(i)) }
            case "float16": for i in 0..<count { values[i] = halfToFloat(u16(i)) }
            case "uint8", "uint16":
                guard let q = e.quantization, let min = q.min, let scale = q.scale, min.isFinite, scale.isFinite else {
                    throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "\(storage) quantization without finite min and scale")
                }
                // value = min + scale · q, computed in Double, stored as Float (as TF.js does).
                if storage == "uint8" {
                    for i in 0..<count { values[i] = Float(min + scale * Double(p.load(fromByteOffset: i, as: UInt8.self))) }
                } else {
                    for i in 0..<count { values[i] = Float(min + scale * Double(u16(i))) }
                }
            default:
                throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "float weight stored as \(storage)")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw WeightsError.invalidWeight(file: file, weight: e.name, reason: "non-finite value \(values[bad]) at index \(bad)")
            }
            return WeightTensor(name: e.name, shape: e.shape, values: .float32(values))
        }
    }
}

/// IEEE 754 half → single, without relying on the platform's Float16.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
}
