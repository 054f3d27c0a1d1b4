// Everything that can go wrong between a pinned upstream file and loaded weights.

/// A model file is missing, damaged, tampered with or malformed.
public enum WeightsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file could not be read.
    case unreadable(file: String, reason: String)
    /// A file's SHA-256 is not the pinned one.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// A file's size is not the pinned one.
    case sizeMismatch(file: String, expected: Int, actual: Int)
    /// model.json is not a TF.js graph model FaceKit can read.
    case malformedModel(file: String, reason: String)
    /// A weight entry is inconsistent (unknown dtype, shape/bytes mismatch, duplicate, NaN…).
    case invalidWeight(file: String, weight: String, reason: String)
    /// The shards hold fewer or more bytes than the manifest describes.
    case shardSizeMismatch(file: String, expected: Int, actual: Int)
    /// A converted (safetensors) file is malformed.
    case malformedConverted(file: String, reason: String)
    /// A weight the network needs is absent.
    case missingWeight(model: String, weight: String)
    /// The model is not in FaceKit's manifest.
    case unknownModel(String)
    /// No location holds the model and downloading failed or was not allowed.
    case notFound(model: String, searched: [String], downloadError: String?)
    /// A download failed.
    case downloadFailed(url: String, reason: String)
    /// A file could not be written.
    case writeFailed(file: String, reason: String)
    /// The directory given in code (``WeightStore/directory``, `--weights DIR`) cannot be
    /// searched: it does not exist or is not a directory.
    case invalidDirectory(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read (\(r))"
        case let .checksumMismatch(f, e, a):
            return "\(f): SHA-256 mismatch (expected \(e), got \(a)); the file is damaged or not the pinned version — delete it and run `facekit weights fetch`"
        case let .sizeMismatch(f, e, a): return "\(f): expected \(e) bytes, found \(a)"
        case let .malformedModel(f, r): return "\(f): not a readable TF.js graph model (\(r))"
        case let .invalidWeight(f, w, r): return "\(f): weight '\(w)': \(r)"
        case let .shardSizeMismatch(f, e, a): return "\(f): the weight shards hold \(a) bytes but the manifest describes \(e)"
        case let .malformedConverted(f, r): return "\(f): converted weights are malformed (\(r)); delete the file to convert again"
        case let .missingWeight(m, w): return "\(m): weight '\(w)' is missing from the model"
        case let .unknownModel(m): return "unknown model '\(m)'"
        case let .notFound(m, searched, err):
            var s = "\(m): model files not found (looked in: \(searched.joined(separator: ", ")))"
            if let err { s += "; download failed: \(err)" }
            return s + ". Set FACEKIT_WEIGHTS to a directory holding \(m)/, or run `facekit weights fetch` with network access"
        case let .downloadFailed(u, r): return "download of \(u) failed: \(r)"
        case let .writeFailed(f, r): return "\(f): cannot write (\(r))"
        case let .invalidDirectory(p, r):
            return "weights directory \(p) \(r); it should hold <model>/model.json and its shards for each model"
        }
    }
}

/// Something the store worked around while finding a model, reported through
/// ``WeightStore/warningHandler`` so that a caller can tell its user.
public enum WeightsWarning: Sendable, Equatable, CustomStringConvertible {
    /// The directory given in code does not hold the model (no `<model>/model.json`), so the
    /// model was taken from a later location: `usedInstead`, found in `source`.
    case modelNotInDirectory(model: String, directory: String, usedInstead: String, source: WeightsSource)

    public var description: String {
        switch self {
        case let .modelNotInDirectory(m, d, used, source):
            let place: String
            switch source {
            case .directory: place = "the given directory"
            case .environment: place = "$FACEKIT_WEIGHTS"
            case .cache: place = "the cache"
            case .downloaded: place = "downloaded into the cache"
            }
            return "weights directory \(d) holds no \(m)/model.json; using \(used) (\(place)) instead"
        }
    }
}
