// Inputs the fuzz targets (Fuzz/) found to crash a parser, each kept with the typed error it
// must now give. The files live in Tests/Fixtures/fuzz/TARGET/.
import FaceKitTestSupport
import FaceKitWeights
import Foundation
import Testing

func fuzzFixture(_ target: String, _ name: String) throws -> Data {
    try Data(contentsOf: Shared.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz/\(target)/\(name)"))
}

@Suite struct WeightsFuzzRegressionTests {
    @Test("safetensors: a shape whose product wraps to 0 (2^32 x 2^32) is refused, not trapped on")
    func shapeProductOverflow() throws {
        let data = try fuzzFixture("safetensors", "shape-product-wraps-to-zero.bin")
        let error = #expect(throws: WeightsError.self) { _ = try SafeTensors.decode(data, name: "wraps.safetensors") }
        guard case let .malformedConverted(file, reason)? = error else {
            Issue.record("expected malformedConverted, got \(String(describing: error))")
            return
        }
        #expect(file == "wraps.safetensors" && reason.contains("invalid shape [4294967296, 4294967296]"), "\(reason)")
    }
}
