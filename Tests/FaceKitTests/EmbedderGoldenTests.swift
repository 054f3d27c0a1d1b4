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
    zip(t.matrix.flatMap { $0 }, m.flatMap { $0 }).map { abs($0 - $1) / max(1, abs($1)) }.max()!
}

@Suite struct EmbedderGoldenTests {
    static let inputs: [String] = {
        guard let index = try? Shared.referenceJSON("tensors/index.json")["files"] as? [[String: Any]] else { return [] }
        return index.filter { ($0["model"] as? String) == "arcface-se-mobilefacenet" && ($0["role"] as? String) == "input" }
            .compactMap { $0["file"] as? String }.sorted()
    }()

    @Test("the embedder network matches TensorFlow on every reference input", arguments: inputs)
    func network(file: String) async throws {
        let embedder = try await TestModels.shared.embedder()
        let input = try Shared.tensorFile(file)
        let reference = try Shared.tensorFile(file.replacingOccurrences(of: ".input.f32", with: ".embedding.f32"))
        let ours = try embedder.rawEmbeddings(input: input)
        let cosine = try cosineSimilarity(ours, reference)
        let scale = reference.map { abs($0) }.max()!
        let error = maxError(ours, reference)
        print("embedder \(file): cosine \(cosine), max |diff| \(error) = \(error / scale) × max|ref|")
        #expect(cosine >= 0.9999)
        #expect(error <= 1e-3 * scale)
    }

    @Test("a batch of crops embeds like single crops, on one thread and on two (images shared out between the threads)", arguments: [1, 2])
    func batch(threads: Int) async throws {
        let weights = try await TestModels.shared.weights(.arcfaceSEMobileFaceNet)
        let embedder = try FaceEmbedder(configuration: .init(threads: ThreadCount(threads)), weights: weights)
        let crops = try Self.inputs.prefix(5).map { try Shared.tensorFile($0) }
        let batch = try embedder.rawEmbeddings(input: crops.flatMap { $0 }, batch: crops.count)
        let singles = try crops.flatMap { try embedder.rawEmbeddings(input: $0) }
        #expect(maxError(batch, singles) <= 1e-5)
        // Batches from several tasks at once (one gets the worker pool, the others run inline).
        let input = crops.flatMap { $0 }, count = crops.count
        let concurrent = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { try embedder.rawEmbeddings(input: input, batch: count) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in concurrent { #expect(maxError(result, singles) <= 1e-5) }
    }

    @Test("both aligners reproduce the reference matrices, and the pipeline the reference embeddings")
    func pipeline() async throws {
        let detector = try await TestModels.shared.detector(.front)
        let embedder = try await TestModels.shared.embedder()
        var worst: [String: Float] = ["arcface4": 1, "seed": 1]
        var worstMatrix: [String: Double] = ["arcface4": 0, "seed": 0]
        var images: [String: RGBImage] = [:]
        for ref in try ReferenceEmbeddingFace.all() {
            if images[ref.photo] == nil {
                images[ref.photo] = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(ref.photo).path)
            }
            let image = images[ref.photo]!
            let faces = try detector.detect(in: image)
            let face = faces[ref.faceIndex]
            for (method, aligner) in [("arcface4", TemplateAligner() as any FaceAligner), ("seed", EyeLevelAligner())] {
                let aligned = try aligner.align(face, in: image)
                worstMatrix[method] = max(worstMatrix[method]!, maxMatrixError(aligned.transform, ref.matrices[method]!))
                let embedding = try embedder.embedding(of: aligned)
                let cosine = try cosineSimilarity(embedding.vector, ref.embeddings[method]!)
                worst[method] = min(worst[method]!, cosine)
                #expect(cosine >= 0.99, "\(ref.id) \(method): cosine \(cosine)")
            }
        }
        print("pipeline: worst cosine template \(worst["arcface4"]!), eye-level \(worst["seed"]!); worst matrix error template \(worstMatrix["arcface4"]!), eye-level \(worstMatrix["seed"]!)")
        #expect(worstMatrix["arcface4"]! < 1e-4 && worstMatrix["seed"]! < 1e-4)
    }
}
