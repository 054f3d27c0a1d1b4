import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct BlazeFaceGoldenTests {
    @Test("network outputs match TensorFlow on every reference input", arguments: ["synthetic", "astronaut", "obama_biden"], DetectorVariant.allCases)
    func network(caseName: String, variant: DetectorVariant) async throws {
        let detector = try await TestModels.shared.detector(variant)
        let model = variant.model.rawValue, n = variant.inputSize
        let input = caseName == "synthetic"
            ? Shared.syntheticInput(count: n * n * 3)
            : try Shared.tensorFile("\(caseName).\(model).input.f32")
        if caseName == "synthetic" {
            let file = try Shared.tensorFile("synthetic.\(model).input.f32")
            let d = worstDifference(input, file)
            #expect(d.isWithin(1.2e-7), "regenerated synthetic input differs from the file: \(d)")
        }
        let out = try detector.rawOutputs(input: input)
        let scores = try Shared.tensorFile("\(caseName).\(model).scores_16x16x2.f32") + Shared.tensorFile("\(caseName).\(model).scores_8x8x6.f32")
        let regressors = try Shared.tensorFile("\(caseName).\(model).regressors_16x16x2.f32") + Shared.tensorFile("\(caseName).\(model).regressors_8x8x6.f32")
        // Logits reach −10000 on background anchors, where one float32 ulp is ~1e-3; the decoder
        // clips them to ±100 before the sigmoid. So: absolute 1e-3 on the clipped logits (what
        // the detector uses; measured ≤ 6.5e-4, back model on obama_biden), and relative to
        // max(1, |ref|) on the raw logits (measured ≤ 4.7e-5; tolerance 2e-4) and the regressors
        // (values up to ~50 px; measured ≤ 1.6e-4; tolerance 5e-4).
        func clip(_ v: [Float]) -> [Float] { v.map { min(max($0, -100), 100) } }
        let clippedError = worstDifference(clip(out.scores), clip(scores))
        let scoreError = worstDifference(out.scores, scores, relative: true)
        let regressorError = worstDifference(out.regressors, regressors, relative: true)
        print("blazeface \(variant) \(caseName): max |clipped logit diff| \(clippedError), raw logit diff/max(1,|ref|) \(scoreError), regressor diff/max(1,|ref|) \(regressorError)")
        #expect(clippedError.isWithin(1e-3))
        #expect(scoreError.isWithin(2e-4))
        #expect(regressorError.isWithin(5e-4))
    }

    @Test("a batch of inputs gives the same outputs as single runs")
    func batch() async throws {
        let detector = try await TestModels.shared.detector(.front)
        let a = try Shared.tensorFile("astronaut.blazeface-front.input.f32"), b = try Shared.tensorFile("obama_biden.blazeface-front.input.f32")
        let both = try detector.rawOutputs(input: a + b, batch: 2)
        let one = try detector.rawOutputs(input: a), two = try detector.rawOutputs(input: b)
        #expect(both.scores == one.scores + two.scores)
        #expect(both.regressors == one.regressors + two.regressors)
    }
}

