import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

/// The reference faces of embeddings.json.
struct ReferenceEmbeddingFace {
    let id, photo: String
    let faceIndex: Int
    let person: String?
    let matrices: [String: [[Double]]]
    let embeddings: [String: [Float]]

    static func all() throws -> [ReferenceEmbeddingFace] {
        try (Shared.referenceJSON("embeddings.json")["faces"] as! [[String: Any]]).map { f in
            var matrices: [String: [[Double]]] = [:], embeddings: [String: [Float]] = [:]
            for method in ["arcface4", "seed"] {
                let m = f[method] as! [String: Any]
                matrices[method] = m["matrix"] as? [[Double]]
                embeddings[method] = (m["embedding"] as! [Double]).map(Float.init)
            }
            return ReferenceEmbeddingFace(id: f["id"] as! String, photo: f["photo"] as! String, faceIndex: f["faceIndex"] as! Int,
                                          person: f["person"] as? String, matrices: matrices, embeddings: embeddings)
        }
    }
}

func maxMatrixError(_ t: AffineMatrix, _ m: [[Double]]) -> Double {
    let ours = t.matrix.flatMap { $0 }, theirs = m.flatMap { $0 }
    guard ours.count == theirs.count else { return .nan }
    return largest(zip(ours, theirs).map { abs($0 - $1) / max(1, abs($1)) })
}

@Suite struct EmbedderGoldenTests {
    // Tolerances: the worst value measured on the 9 reference inputs / 12 faces (the
    // plain x86-64 release build, AMD EPYC), then a margin for other CPUs, the FMA/AVX-512 kernels
    // and other summation orders. README.md quotes these.
    /// Network on the reference input tensors: 1 − cosine of the raw embeddings (measured ≤ 3e-12).
    static let networkCosineGap = 1e-8
    /// Network: max |ours − TF| as a fraction of max |TF| (measured ≤ 2.1e-6).
    static let networkRelativeError: Float = 2e-5
    /// Front detector → alignment → embedding on the photos vs embeddings.json: 1 − cosine (measured ≤ 1.2e-9).
    static let pipelineCosineGap = 1e-6

    /// The embedder inputs of tensors/index.json; one failing case when it is missing (never zero cases).
    static let inputs: [String] = GoldenCases.list("tensors/index.json") {
        let index: [[String: Any]] = try GoldenCases.cast(Shared.referenceJSON("tensors/index.json")["files"], "tensors/index.json files")
        return index.filter { ($0["model"] as? String) == "arcface-se-mobilefacenet" && ($0["role"] as? String) == "input" }
            .compactMap { $0["file"] as? String }.sorted()
    }

    @Test("the embedder network matches TensorFlow on every reference input", arguments: inputs)
    func network(file: String) async throws {
        try GoldenCases.require(file)
        let embedder = try await TestModels.shared.embedder()
        let input = try Shared.tensorFile(file)
        let reference = try Shared.tensorFile(file.replacingOccurrences(of: ".input.f32", with: ".embedding.f32"))
        let ours = try embedder.rawEmbeddings(input: input)
        let cosine = cosineInDouble(ours, reference)
        let scale = largestMagnitude(reference)
        let error = worstDifference(ours, reference)
        print("embedder \(file): 1 − cosine \(1 - cosine), max |diff| \(error) = \(error.value / scale) × max|ref|")
        #expect(1 - cosine <= Self.networkCosineGap, "1 − cosine \(1 - cosine)")
        #expect(error.isWithin(Self.networkRelativeError * scale), "\(error)")
    }

    @Test("a batch of crops embeds like single crops, on one thread and on two (images shared out between the threads)", arguments: [1, 2])
    func batch(threads: Int) async throws {
        let weights = try await TestModels.shared.weights(.arcfaceSEMobileFaceNet)
        let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads)), weights: weights)
        let crops = try Self.inputs.prefix(5).map { try Shared.tensorFile($0) }
        let batch = try embedder.rawEmbeddings(input: crops.flatMap { $0 }, batch: crops.count)
        let singles = try crops.flatMap { try embedder.rawEmbeddings(input: $0) }
        let d = worstDifference(batch, singles)
        #expect(d.isWithin(1e-5), "\(d)")
        // Batches from several tasks at once (one gets the worker pool, the others run inline).
        let input = crops.flatMap { $0 }, count = crops.count
        let concurrent = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { try embedder.rawEmbeddings(input: input, batch: count) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in concurrent { #expect(worstDifference(result, singles).isWithin(1e-5)) }
    }

    @Test("both aligners reproduce the reference matrices, and the pipeline the reference embeddings")
    func pipeline() async throws {
        let detector = try await TestModels.shared.detector(.front)
        let embedder = try await TestModels.shared.embedder()
        var worst: [String: Double] = ["arcface4": 0, "seed": 0]   // 1 − cosine
        var worstMatrix: [String: Double] = ["arcface4": 0, "seed": 0]
        var images: [String: RGBImage] = [:]
        for ref in try ReferenceEmbeddingFace.all() {
            if images[ref.photo] == nil {
                images[ref.photo] = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(ref.photo).path)
            }
            let image = images[ref.photo]!
            let faces = try detector.detect(in: image)
            try #require(faces.indices.contains(ref.faceIndex), "\(ref.id): \(faces.count) faces")
            let face = faces[ref.faceIndex]
            for (method, aligner) in [("arcface4", TemplateAligner() as any FaceAligner), ("seed", EyeLevelAligner())] {
                let aligned = try aligner.align(face, in: image)
                worstMatrix[method] = largest([worstMatrix[method]!, maxMatrixError(aligned.transform, ref.matrices[method]!)])
                let embedding = try embedder.embedding(of: aligned)
                let gap = 1 - cosineInDouble(embedding.vector, ref.embeddings[method]!)
                worst[method] = largest([worst[method]!, gap])
                #expect(gap <= Self.pipelineCosineGap, "\(ref.id) \(method): 1 − cosine \(gap)")
            }
        }
        print("pipeline: worst 1 − cosine template \(worst["arcface4"]!), eye-level \(worst["seed"]!); worst matrix error template \(worstMatrix["arcface4"]!), eye-level \(worstMatrix["seed"]!)")
        #expect(worstMatrix["arcface4"]! < 1e-4 && worstMatrix["seed"]! < 1e-4)
    }
}
