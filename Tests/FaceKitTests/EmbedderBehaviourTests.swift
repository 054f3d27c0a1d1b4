import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// Aligned crops of real faces: the 30 back-model faces of the Solvay photo, template-aligned.
enum SampleCrops {
    static func solvay() async throws -> [AlignedFace] {
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("group/solvay1927_colorized.jpg").path)
        let faces = try await TestModels.shared.detector(.back).detect(in: image)
        try #require(faces.count >= 20, "\(faces.count) faces on the Solvay photo")
        return try faces.map { try TemplateAligner().align($0, in: image) }
    }

    /// The embedder's input for one crop: (v − 127.5)/128.
    static func input(_ face: AlignedFace) -> [Float] { face.pixels.map { ($0 - 127.5) / 128 } }
}

@Suite struct EmbedderBehaviourTests {
    @Test("mirrored(): pixels flipped left to right, the transform still describes the crop, twice is the identity")
    func mirrored() async throws {
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("eileen_collins/skimage_astronaut.png").path)
        let face = try #require(try await TestModels.shared.detector(.front).detect(in: image).first)
        let crop = try TemplateAligner().align(face, in: image)
        let m = crop.mirrored()
        let n = AlignedFace.size
        var mismatches = 0
        for y in 0..<n {
            for x in 0..<n {
                for c in 0..<3 where m.pixels[(y * n + x) * 3 + c] != crop.pixels[(y * n + n - 1 - x) * 3 + c] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(m.method == crop.method)
        #expect(m.pixels != crop.pixels, "a face crop is not exactly symmetric")
        // The mirrored transform maps the photo onto the mirrored crop: warping with it reproduces the pixels.
        var rewarped = [Float](repeating: .nan, count: n * n * 3)
        try rewarped.withUnsafeMutableBufferPointer { try image.warpAffine(m.transform, width: n, height: n, into: $0.baseAddress!) }
        let d = worstDifference(rewarped, m.pixels)
        #expect(d.isWithin(1e-3), "warp with the mirrored transform vs the mirrored pixels: \(d)")
        // A keypoint lands at the mirrored column.
        let eye = crop.transform.apply(face.keypoints.rightEye.x - 0.5, face.keypoints.rightEye.y - 0.5)
        let mirroredEye = m.transform.apply(face.keypoints.rightEye.x - 0.5, face.keypoints.rightEye.y - 0.5)
        #expect(abs(mirroredEye.x - (Double(n - 1) - eye.x)) < 1e-9 && abs(mirroredEye.y - eye.y) < 1e-9)
        let twice = m.mirrored()
        #expect(twice.pixels == crop.pixels)
        let t = worstDifference(twice.transform.matrix.flatMap { $0 }.map(Float.init), crop.transform.matrix.flatMap { $0 }.map(Float.init))
        #expect(t.isWithin(1e-9))
    }

    @Test("flip augmentation: the embedding of raw(crop) + raw(mirrored crop), the same for a crop and its mirror image")
    func flipAugmentation() async throws {
        let crops = Array(try await SampleCrops.solvay().prefix(3))
        let weights = try await TestModels.shared.weights(.arcfaceSEMobileFaceNet)
        let plain = try await TestModels.shared.embedder()
        let flip = try FaceEmbedder(configuration: .init(flipAugmentation: true), weights: weights)
        for (i, crop) in crops.enumerated() {
            let a = try plain.rawEmbeddings(input: SampleCrops.input(crop))
            let b = try plain.rawEmbeddings(input: SampleCrops.input(crop.mirrored()))
            let expected = FaceEmbedding(raw: zip(a, b).map { $0 + $1 })
            let got = try flip.embedding(of: crop)
            let d = worstDifference(got.vector, expected.vector)
            #expect(d.isWithin(1e-5), "face \(i): flip embedding vs raw sum: \(d)")
            #expect(abs(got.norm - expected.norm) <= 1e-4 * expected.norm, "face \(i): norm \(got.norm) vs \(expected.norm)")
            // Symmetric: flipping the mirrored crop sums the same two embeddings.
            let ofMirror = try flip.embedding(of: crop.mirrored())
            #expect(worstDifference(ofMirror.vector, got.vector).isWithin(1e-5), "face \(i): flip is not symmetric")
            // And it is not the plain embedding (the option does something).
            let gap = 1 - cosineInDouble(got.vector, try plain.embedding(of: crop).vector)
            #expect(gap > 1e-3, "face \(i): flip embedding equals the plain one (1 − cosine \(gap))")
        }
    }

    @Test("more crops than maximumBatch: every crop embeds as it does alone, with and without flip", arguments: [1, 3, 8], [false, true])
    func batches(maximumBatch: Int, flip: Bool) async throws {
        let crops = Array(try await SampleCrops.solvay().prefix(10))   // 10 = 3 + 3 + 3 + 1: a partial last batch
        let weights = try await TestModels.shared.weights(.arcfaceSEMobileFaceNet)
        let batched = try FaceEmbedder(configuration: .init(flipAugmentation: flip, maximumBatch: maximumBatch), weights: weights)
        let reference = try FaceEmbedder(configuration: .init(flipAugmentation: flip, maximumBatch: 1), weights: weights)
        #expect(batched.configuration.maximumBatch == maximumBatch)
        let all = try batched.embeddings(of: crops)
        try #require(all.count == crops.count)
        for (i, crop) in crops.enumerated() {
            let alone = try reference.embedding(of: crop)
            let d = worstDifference(all[i].vector, alone.vector)
            #expect(d.isWithin(1e-5), "crop \(i) of \(crops.count), batches of \(maximumBatch), flip \(flip): \(d)")
        }
        #expect(try batched.embeddings(of: []).isEmpty)
    }

    @Test("maximumBatch below 1 means 1")
    func batchClamp() {
        #expect(FaceEmbedder.Configuration(maximumBatch: 0).maximumBatch == 1)
        #expect(FaceEmbedder.Configuration(maximumBatch: -5).maximumBatch == 1)
    }
}
