import FaceKitTestSupport
import FaceKitWeights
import Foundation
import Testing

/// Values computed independently with Python/numpy from the same shard bytes
/// (float64 sum of every float entry's float32 values; quantized entries as
/// float32(min + scale·q) in float64), recorded here.
struct ModelFacts: Sendable, CustomTestStringConvertible {
    let model: ModelID
    let floatEntries, intEntries: Int
    let floatSum: Double
    let intSum: Int
    let firstName: String
    let firstValues: [Float]
    var testDescription: String { model.rawValue }
}

let facts: [ModelFacts] = [
    ModelFacts(model: .blazefaceFront, floatEntries: 58, intEntries: 15, floatSum: -727.425816, intSum: 1902,
               firstName: "unknown_71", firstValues: [0.066162109375, 0.0322265625, -0.1715087890625, 0.10552978515625]),
    ModelFacts(model: .blazefaceBack, floatEntries: 106, intEntries: 6, floatSum: -3509.37584, intSum: 1902,
               firstName: "unknown_135", firstValues: [-0.04168701171875, -0.039947509765625, 0.006450653076171875, -0.01375579833984375]),
    ModelFacts(model: .arcfaceSEMobileFaceNet, floatEntries: 210, intEntries: 16, floatSum: 4215.38142, intSum: 300,
               firstName: "StatefulPartitionedCall/se_mobilefacenet/model/pw_prelu/Neg",
               firstValues: [-0.07602635025978088, 0.9123162031173706, 1.0453622341156006, -1.0833754539489746]),
]

@Suite struct ReaderTests {
    @Test("every weight of the three models decodes to the independently computed values", arguments: facts)
    func decodesAll(f: ModelFacts) throws {
        let model = try TFJSGraphModel(directory: Shared.weights.appendingPathComponent(f.model.rawValue))
        let floats = model.weights.values.compactMap(\.floats)
        let ints = model.weights.values.compactMap(\.ints)
        #expect(floats.count == f.floatEntries && ints.count == f.intEntries)
        let sum = floats.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } }
        #expect(abs(sum - f.floatSum) < 1e-5 * max(1, abs(f.floatSum)), "float sum \(sum)")
        #expect(ints.reduce(0) { $0 + $1.reduce(0) { $0 + Int($1) } } == f.intSum)
        #expect(Array(model.weights[f.firstName]!.floats!.prefix(4)) == f.firstValues)
        #expect(model.weightOrder.first == f.firstName)
        #expect(model.nodes.count > 50)
    }

    @Test("a uint8-quantized entry decodes to exactly Float(min + scale·q) in Double")
    func quantized() throws {
        let dir = Shared.weights.appendingPathComponent("arcface-se-mobilefacenet")
        let model = try TFJSGraphModel(directory: dir)
        let shard = try Data(contentsOf: dir.appendingPathComponent("group1-shard1of1.bin"))
        // The first entry starts at byte 0: [1, 1, 512], min −3.2311197916666665, scale 0.01900658700980392.
        let (min, scale) = (-3.2311197916666665, 0.01900658700980392)
        let values = model.weights["StatefulPartitionedCall/se_mobilefacenet/model/pw_prelu/Neg"]!.floats!
        #expect(values.count == 512)
        #expect(Array(shard.prefix(3)) == [166, 218, 225])
        for i in 0..<512 { #expect(values[i] == Float(min + scale * Double(shard[i]))) }
    }

    /// A small model.json with a given manifest over `shard`.
    static func tinyModel(_ weights: String, shard: [UInt8], format: String = "graph-model") throws -> TFJSGraphModel {
        let json = """
        {"format": "\(format)", "modelTopology": {"node": [{"name": "x", "op": "Placeholder"}]},
         "weightsManifest": [{"paths": ["s.bin"], "weights": [\(weights)]}]}
        """
        return try TFJSGraphModel(modelJSON: Data(json.utf8), name: "tiny/model.json") { _ in Data(shard) }
    }

    static func f32(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } } }

    @Test("float32, int32, float16 and uint16-quantized entries decode")
    func dtypes() throws {
        let bytes = Self.f32([1.5, -2]) + [7, 0, 0, 0] + [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00] + [0x10, 0x00, 0xFF, 0xFF]
        let model = try Self.tinyModel("""
        {"name": "a", "shape": [2], "dtype": "float32"}, {"name": "b", "shape": [1], "dtype": "int32"},
        {"name": "c", "shape": [3], "dtype": "float16"},
        {"name": "d", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "min": -1.0, "scale": 0.001}}
        """, shard: bytes)
        #expect(model.weights["a"]!.floats == [1.5, -2])
        #expect(model.weights["b"]!.ints == [7])
        #expect(model.weights["c"]!.floats == [1, -2, Float(sign: .plus, exponent: -24, significand: 1)])
        #expect(model.weights["d"]!.floats == [Float(-1.0 + 0.001 * 16), Float(-1.0 + 0.001 * 65535)])
    }

    @Test("malformed manifests are typed errors naming the weight")
    func malformed() throws {
        func expectInvalid(_ weights: String, _ shard: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do { _ = try Self.tinyModel(weights, shard: shard); Issue.record("accepted: \(fragment)", sourceLocation: sourceLocation) } catch {
                #expect(error is WeightsError, sourceLocation: sourceLocation)
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        let two = Self.f32([1, 2])
        expectInvalid(#"{"name": "w", "shape": [3], "dtype": "float32"}"#, two, "'w'")                       // short shard
        expectInvalid(#"{"name": "w", "shape": [1], "dtype": "float32"}"#, two, "hold 8 bytes")               // long shard
        expectInvalid(#"{"name": "w", "shape": [2], "dtype": "complex64"}"#, two, "unknown dtype")
        expectInvalid(#"{"name": "w", "shape": [1], "dtype": "float32"}, {"name": "w", "shape": [1], "dtype": "float32"}"#, two, "duplicate")
        expectInvalid(#"{"name": "w", "shape": [2], "dtype": "float32"}"#, Self.f32([1, .nan]), "non-finite")
        expectInvalid(#"{"name": "w", "shape": [-1, 2], "dtype": "float32"}"#, two, "negative")
        expectInvalid(#"{"name": "w", "shape": [8], "dtype": "float32", "quantization": {"dtype": "uint8"}}"#, two, "min and scale")
        #expect(throws: WeightsError.self) { try Self.tinyModel(#"{"name": "w", "shape": [2], "dtype": "float32"}"#, shard: two, format: "layers-model") }
        #expect(throws: WeightsError.self) {
            try TFJSGraphModel(modelJSON: Data("{not json".utf8), name: "bad.json") { _ in Data() }
        }
        #expect(throws: WeightsError.self) {
            try TFJSGraphModel(modelJSON: Data(#"{"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": [{"paths": ["../../etc/passwd"], "weights": []}]}"#.utf8), name: "evil.json") { _ in Data() }
        }
    }

    @Test("half floats convert like IEEE 754, and non-finite ones are refused")
    func halves() throws {
        // 1, −2, 65504 (largest), smallest subnormal, −0, 0.333 (0x3555 = 0.33325195)
        let bytes: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x80, 0x55, 0x35]
        let model = try Self.tinyModel(#"{"name": "h", "shape": [6], "dtype": "float16"}"#, shard: bytes)
        let v = try #require(model.weights["h"]?.floats)
        #expect(v == [1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1), -0.0, 0.33325195])
        #expect(v[4].sign == .minus)
        for inf: [UInt8] in [[0x00, 0x7C], [0x00, 0x7E]] {   // +inf, NaN
            #expect(throws: WeightsError.self) { try Self.tinyModel(#"{"name": "h", "shape": [1], "dtype": "float16"}"#, shard: inf) }
        }
    }

    @Test("Weights/manifest.json is the built-in manifest written out, and matches ../shared/weights")
    func manifestFile() throws {
        let committed = try String(contentsOf: Shared.packageRoot.appendingPathComponent("Weights/manifest.json"), encoding: .utf8)
        #expect(committed == (try WeightsManifest.json()), "regenerate with: swift run facekit weights manifest > Weights/manifest.json")
        let readme = try String(contentsOf: Shared.weights.appendingPathComponent("README.md"), encoding: .utf8)
        for model in WeightsManifest.models {
            for file in model.files {
                let local = Shared.weights.appendingPathComponent(model.id.rawValue).appendingPathComponent(file.name)
                let attributes = try FileManager.default.attributesOfItem(atPath: local.path)
                #expect((attributes[.size] as? NSNumber)?.intValue == file.size, "\(local.path)")
                #expect(readme.contains("\(file.sha256)  \(model.id.rawValue)/\(file.name)"), "\(file.name) digest")
            }
        }
    }
}
