// The per-request options of the inference routes: the command line's per-image options
// (`facekit detect|embed|compare|identify|enroll`), as query parameters or multipart/form-data
// text fields. Options that need other models loaded, or that would change the embedding that
// the index's people were enrolled with, stay server-wide (see README).
import FaceKit
import Foundation
import Hummingbird

/// The options a request chose, over the server's defaults (its command line).
struct RequestOptions {
    /// The option names, as the CLI spells them without `--`.
    enum Key: String, CaseIterable {
        case minScore = "min-score", maxFaces = "max-faces", minFace = "min-face", tiling, threshold, top, face
    }

    /// The detection options every image route takes.
    static let detection: [Key] = [.minScore, .maxFaces, .minFace, .tiling]

    /// The detector settings of this request.
    var detector: FaceDetector.Configuration
    /// The match threshold of this request.
    var threshold: Float
    /// Matches per face (`identify`).
    var top = 3
    /// Which face of each photo to enrol.
    var face: FaceChoice = .only

    /// Reads and checks the options.
    ///
    /// - Parameters:
    ///   - query: The query parameters.
    ///   - fields: The text fields of a multipart body whose names are option names (empty otherwise).
    ///   - accepted: The options this route takes; any other query parameter is refused.
    ///   - defaults: The server's pipeline (its command line's options).
    /// - Throws: ``APIError`` 400 `unknown_option` for a name the route does not take,
    ///   `invalid_option` for a bad value or an option given twice.
    init(query: Parameters, fields: [(name: String, value: String)], accepted: [Key], defaults: FaceRecognizer.Configuration) throws {
        var values: [Key: String] = [:]
        let takes = accepted.map(\.rawValue).joined(separator: ", ")
        for (name, value) in query.map({ (String($0.key), String($0.value)) }) + fields.map({ ($0.name, $0.value) }) {
            guard let key = Key(rawValue: name), accepted.contains(key) else {
                throw APIError(.badRequest, "unknown_option",
                               "this route has no option \"\(name)\"; it takes \(takes.isEmpty ? "none" : takes)")
            }
            guard values[key] == nil else {
                throw APIError(.badRequest, "invalid_option", "\(name) is given more than once (query parameters and form fields count alike)")
            }
            values[key] = value.trimmingCharacters(in: .whitespaces)
        }
        func number<T: LosslessStringConvertible>(_ key: Key, _: T.Type) throws -> T? {
            guard let raw = values[key] else { return nil }
            guard let v = T(raw) else { throw APIError(.badRequest, "invalid_option", "\(key.rawValue) is not a number: \"\(raw)\"") }
            return v
        }
        detector = defaults.detector
        if let s = try number(.minScore, Double.self) {
            guard (0...1).contains(s) else { throw APIError(.badRequest, "invalid_option", "min-score must lie in [0, 1]; got \(s)") }
            detector.minimumScore = s
        }
        if let m = try number(.maxFaces, Int.self) {
            guard m >= 1 else { throw APIError(.badRequest, "invalid_option", "max-faces must be at least 1; got \(m)") }
            detector.maximumFaces = m
        }
        if let f = try number(.minFace, Double.self) {
            guard f.isFinite, f >= 1 else { throw APIError(.badRequest, "invalid_option", "min-face must be at least 1 (pixels); got \(f)") }
            detector.minimumFaceSize = f
        }
        if let raw = values[.tiling] {
            guard let mode = TilingMode(rawValue: raw) else {
                throw APIError(.badRequest, "invalid_option", "tiling must be automatic, always or off; got \"\(raw)\"")
            }
            detector.tiling = mode
        }
        threshold = try number(.threshold, Float.self) ?? defaults.threshold
        guard (-1...1).contains(threshold) else { throw APIError(.badRequest, "invalid_option", "threshold must lie in [-1, 1]; got \(threshold)") }
        top = try number(.top, Int.self) ?? 3
        guard (1...100).contains(top) else { throw APIError(.badRequest, "invalid_option", "top must lie in 1...100; got \(top)") }
        switch values[.face] {
        case nil, "only": face = .only
        case "largest": face = .largest
        case let raw?:
            guard let i = Int(raw), i >= 0 else {
                throw APIError(.badRequest, "invalid_option", "face must be only, largest or a face index (0 or more); got \"\(raw)\"")
            }
            face = .index(i)
        }
    }

    /// The server's recognizer with this request's detection settings and threshold; it shares
    /// the loaded models (nothing is loaded per request).
    func pipeline(_ recognizer: FaceRecognizer) throws -> FaceRecognizer {
        try recognizer.reconfigured(detector: detector, threshold: threshold)
    }
}
