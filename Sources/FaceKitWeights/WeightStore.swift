// Finding, verifying, downloading and converting model weights.
//
// A model's files are looked for, in order, in:
//   1. a directory passed in code            <dir>/<model>/<file>
//   2. $FACEKIT_WEIGHTS                       $FACEKIT_WEIGHTS/<model>/<file>
//   3. the user cache                         $XDG_CACHE_HOME/facekit/<model>/<file>
//                                             (or ~/.cache/facekit; ~/Library/Caches/facekit on Apple platforms)
//   4. the pinned upstream address, downloaded into the cache (temporary file, verified, renamed).
// Every file is checked against its pinned size and SHA-256 before use, wherever it came from,
// on every `load` (also when a conversion exists: hashing the 0.5–1.3 MB files costs 0.5–1.6 ms
// per model, measured with `bench weights`). Converted weights (safetensors) live in
// <cache>/converted/<model>.safetensors and record the source digests and their own data
// digest (also checked on every load), so stale or damaged conversions are redone.
import FaceKitSupport
import Foundation

/// Where a model's files were found.
public enum WeightsSource: String, Sendable, Codable {
    /// The directory given in code (``WeightStore/directory``, `--weights DIR`).
    case directory
    /// `$FACEKIT_WEIGHTS`.
    case environment
    /// The user cache, already there.
    case cache
    /// Downloaded into the user cache just now.
    case downloaded
}

/// A model whose files were found and verified.
public struct ResolvedModel: Sendable {
    /// The model.
    public let model: ModelID
    /// The directory holding the model's files.
    public let directory: URL
    /// Which search location held them.
    public let source: WeightsSource
}

/// The decoded weights of one model, ready to build a detector or embedder from.
///
/// Load them with ``WeightStore/load(_:)``; their tensors are FaceKit's own business.
public struct ModelWeights: Sendable {
    /// The model these weights belong to.
    public let model: ModelID
    /// The tensors by TF.js constant name.
    package let tensors: [String: WeightTensor]

    package init(model: ModelID, tensors: [String: WeightTensor]) {
        self.model = model
        self.tensors = tensors
    }

    /// The float values of weight `name`, checking the element count when given.
    package func floats(_ name: String, count: Int? = nil) throws -> [Float] {
        guard let t = tensors[name], let v = t.floats else { throw WeightsError.missingWeight(model: model.rawValue, weight: name) }
        if let count, v.count != count {
            throw WeightsError.invalidWeight(file: model.rawValue, weight: name, reason: "has \(v.count) values, the network needs \(count)")
        }
        return v
    }

    /// The shape of weight `name`.
    package func shape(_ name: String) throws -> [Int] {
        guard let t = tensors[name] else { throw WeightsError.missingWeight(model: model.rawValue, weight: name) }
        return t.shape
    }
}

/// The state of one file, for `facekit weights list` and `verify`.
public struct FileStatus: Sendable {
    /// Whether the file is there and matches the manifest.
    public enum State: Sendable, Equatable {
        /// Present with the pinned size and SHA-256.
        case verified
        /// Not present in this location.
        case missing
        /// Present but different from the manifest (the reason).
        case mismatch(String)
    }
    /// The model the file belongs to.
    public let model: ModelID
    /// The file's name in the model directory.
    public let file: String
    /// The search location looked at.
    public let source: WeightsSource
    /// The file's full path in that location.
    public let path: String
    /// What was found there.
    public let state: State
}

/// Finds, verifies, downloads and converts model weights.
public struct WeightStore: Sendable {
    /// A directory given in code, searched first.
    public var directory: URL?
    /// `$FACEKIT_WEIGHTS`, searched second.
    public var environmentDirectory: URL?
    /// The user cache, searched third; downloads and conversions go here.
    public var cacheDirectory: URL
    /// Whether missing files may be downloaded.
    public var allowsDownload: Bool
    /// Download from `<mirror>/<model>/<file>` instead of the pinned upstream address.
    public var mirror: URL?
    /// Seconds before a stalled download fails.
    public var downloadTimeout: TimeInterval = 60
    /// Called when a model is not where ``directory`` says and is taken from a later location
    /// (default: nil, nothing is reported). The command line tool prints these on stderr.
    public var warningHandler: (@Sendable (WeightsWarning) -> Void)?

    /// A store configured from `environment` (FACEKIT_WEIGHTS, XDG_CACHE_HOME, HOME, FACEKIT_OFFLINE=1).
    public init(
        directory: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        cacheDirectory: URL? = nil, allowsDownload: Bool? = nil, mirror: URL? = nil
    ) {
        self.directory = directory
        if let env = environment["FACEKIT_WEIGHTS"], !env.isEmpty {
            environmentDirectory = URL(fileURLWithPath: env)
        }
        self.cacheDirectory = cacheDirectory ?? Self.defaultCacheDirectory(environment: environment)
        self.allowsDownload = allowsDownload ?? (environment["FACEKIT_OFFLINE"] != "1")
        self.mirror = mirror
    }

    /// `$XDG_CACHE_HOME/facekit`, else `~/.cache/facekit` (`~/Library/Caches/facekit` on Apple platforms).
    public static func defaultCacheDirectory(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("facekit")
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        #if canImport(Darwin)
        return home.appendingPathComponent("Library/Caches/facekit")
        #else
        return home.appendingPathComponent(".cache/facekit")
        #endif
    }

    /// The locations searched, in order, that are configured.
    public var searchLocations: [(WeightsSource, URL)] {
        var out: [(WeightsSource, URL)] = []
        if let directory { out.append((.directory, directory)) }
        if let environmentDirectory { out.append((.environment, environmentDirectory)) }
        out.append((.cache, cacheDirectory))
        return out
    }

    /// Checks one file's size and SHA-256.
    static func verify(_ url: URL, _ file: ModelFile) throws {
        let (digest, size) = try FileSystem.sha256(of: url)
        guard size == file.size else { throw WeightsError.sizeMismatch(file: url.path, expected: file.size, actual: size) }
        guard digest == file.sha256 else {
            throw WeightsError.checksumMismatch(file: url.path, expected: file.sha256, actual: digest)
        }
    }

    /// Checks that ``directory``, when set, is an existing directory: a directory named
    /// explicitly is never skipped silently.
    ///
    /// - Throws: ``WeightsError/invalidDirectory(path:reason:)`` when it does not exist or is not
    ///   a directory.
    public func checkDirectory() throws {
        guard let directory else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw WeightsError.invalidDirectory(path: directory.path, reason: "does not exist")
        }
        guard isDirectory.boolValue else { throw WeightsError.invalidDirectory(path: directory.path, reason: "is not a directory") }
    }

    /// Finds the model's files, downloading into the cache if allowed, and verifies every one
    /// (size and full SHA-256).
    ///
    /// A ``directory`` given in code must exist. When it exists but does not hold the model,
    /// the later locations are searched and ``warningHandler`` is told which one was used
    /// (``WeightsWarning/modelNotInDirectory(model:directory:usedInstead:source:)``).
    ///
    /// - Throws: ``WeightsError/invalidDirectory(path:reason:)`` when ``directory`` does not
    ///   exist or is not a directory, and ``WeightsError`` when the files are missing and cannot
    ///   be downloaded, or a file does not match the manifest (also in ``directory``).
    public func resolve(_ model: ModelID) async throws -> ResolvedModel {
        try checkDirectory()
        let resolved = try await find(model)
        if let directory, resolved.source != .directory {
            warningHandler?(.modelNotInDirectory(model: model.rawValue, directory: directory.path,
                                                 usedInstead: resolved.directory.path, source: resolved.source))
        }
        return resolved
    }

    /// ``resolve(_:)`` without the checks and warnings about ``directory``.
    func find(_ model: ModelID) async throws -> ResolvedModel {
        let descriptor = WeightsManifest.descriptor(for: model)
        for (source, root) in searchLocations {
            let dir = root.appendingPathComponent(model.rawValue)
            guard FileSystem.exists(dir.appendingPathComponent(descriptor.modelFile)) else { continue }
            if source == .cache {
                try await repairCache(descriptor, dir)
            } else {
                for file in descriptor.files {
                    let url = dir.appendingPathComponent(file.name)
                    guard FileSystem.exists(url) else {
                        throw WeightsError.unreadable(file: url.path, reason: "missing; \(model) needs \(descriptor.files.map(\.name).joined(separator: " and "))")
                    }
                    try Self.verify(url, file)
                }
            }
            return ResolvedModel(model: model, directory: dir, source: source)
        }
        let searched = searchLocations.map { $0.1.appendingPathComponent(model.rawValue).path }
        guard allowsDownload else { throw WeightsError.notFound(model: model.rawValue, searched: searched, downloadError: "downloads are disabled") }
        let dir = cacheDirectory.appendingPathComponent(model.rawValue)
        do {
            try await repairCache(descriptor, dir)
        } catch let error as WeightsError {
            throw WeightsError.notFound(model: model.rawValue, searched: searched, downloadError: error.description)
        }
        return ResolvedModel(model: model, directory: dir, source: .downloaded)
    }

    /// Makes the cache hold verified copies of every file, downloading what is missing or damaged.
    func repairCache(_ descriptor: ModelDescriptor, _ dir: URL) async throws {
        // Shards first, model.json last: model.json's presence marks a complete model.
        for file in descriptor.files.sorted(by: { a, _ in a.name != descriptor.modelFile }) {
            let url = dir.appendingPathComponent(file.name)
            if FileSystem.exists(url) {
                do { try Self.verify(url, file); continue } catch {
                    guard allowsDownload else { throw error }   // a damaged cached file is replaced when we can
                }
            }
            try await download(file, model: descriptor.id, to: url)
        }
    }

    /// Downloads one file to a temporary name, verifies it and renames it into place.
    func download(_ file: ModelFile, model: ModelID, to url: URL) async throws {
        guard allowsDownload else {
            throw WeightsError.unreadable(file: url.path, reason: "missing and downloads are disabled")
        }
        let source: URL
        if let mirror {
            source = mirror.appendingPathComponent(model.rawValue).appendingPathComponent(file.name)
        } else {
            guard let pinned = URL(string: file.url) else { throw WeightsError.downloadFailed(url: file.url, reason: "invalid address") }
            source = pinned
        }
        let data = try await Downloader(timeout: downloadTimeout).fetch(source, expectedSize: file.size)
        guard data.count == file.size else {
            throw WeightsError.downloadFailed(url: source.absoluteString, reason: "received \(data.count) bytes, expected \(file.size)")
        }
        let digest = Digest.sha256(data)
        guard digest == file.sha256 else {
            throw WeightsError.checksumMismatch(file: source.absoluteString, expected: file.sha256, actual: digest)
        }
        try FileSystem.writeAtomically(data, to: url)
    }

    /// Reads the verified TF.js model.
    package func loadSource(_ model: ModelID) async throws -> TFJSGraphModel {
        let resolved = try await resolve(model)
        return try TFJSGraphModel(directory: resolved.directory, modelFile: WeightsManifest.descriptor(for: model).modelFile)
    }

    /// Where the converted weights of `model` are kept.
    public func convertedURL(_ model: ModelID) -> URL {
        cacheDirectory.appendingPathComponent("converted").appendingPathComponent("\(model.rawValue).safetensors")
    }

    static let convertedFormat = "facekit-converted-1"

    /// Metadata a current conversion of `model` must carry.
    static func sourceMetadata(_ model: ModelID) -> [String: String] {
        var m = ["facekit.format": convertedFormat, "facekit.model": model.rawValue]
        for file in WeightsManifest.descriptor(for: model).files { m["source.sha256.\(file.name)"] = file.sha256 }
        return m
    }

    /// Loads the converted weights, converting first when they are missing, stale or damaged.
    ///
    /// Every call first finds and verifies the model's pinned files as ``resolve(_:)`` does
    /// (size and full SHA-256 of each; downloading when allowed and needed), then checks the
    /// converted file's recorded source digests and the SHA-256 of its tensor data.
    ///
    /// - Throws: ``WeightsError`` when the pinned files are missing, do not verify or cannot be
    ///   converted.
    public func load(_ model: ModelID) async throws -> ModelWeights {
        let resolved = try await resolve(model)
        if let weights = try? loadConverted(model) { return weights }
        let (weights, data) = try await convertInMemory(model, from: resolved)
        try? FileSystem.writeAtomically(data, to: convertedURL(model))   // a read-only cache only costs speed
        return weights
    }

    /// Reads and checks the converted file; throws if missing, stale or damaged.
    public func loadConverted(_ model: ModelID) throws -> ModelWeights {
        let url = convertedURL(model)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WeightsError.unreadable(file: url.path, reason: "not converted yet")
        }
        let (tensors, metadata) = try SafeTensors.decode(data, name: url.path)
        for (key, value) in Self.sourceMetadata(model) where metadata[key] != value {
            throw WeightsError.malformedConverted(file: url.path, reason: "stale: \(key) is \(metadata[key] ?? "absent"), expected \(value)")
        }
        let dataDigest = Digest.sha256(Self.dataSection(tensors))
        guard metadata["facekit.data.sha256"] == dataDigest else {
            throw WeightsError.malformedConverted(file: url.path, reason: "tensor data does not match its recorded SHA-256")
        }
        return ModelWeights(model: model, tensors: tensors)
    }

    /// Converts the TF.js files into `<cache>/converted/<model>.safetensors` and returns its path.
    @discardableResult
    public func convert(_ model: ModelID) async throws -> URL {
        let (_, data) = try await convertInMemory(model)
        let url = convertedURL(model)
        try FileSystem.writeAtomically(data, to: url)
        return url
    }

    func convertInMemory(_ model: ModelID, from resolved: ResolvedModel? = nil) async throws -> (ModelWeights, Data) {
        let source: TFJSGraphModel
        if let resolved {
            source = try TFJSGraphModel(directory: resolved.directory, modelFile: WeightsManifest.descriptor(for: model).modelFile)
        } else {
            source = try await loadSource(model)
        }
        var metadata = Self.sourceMetadata(model)
        metadata["facekit.data.sha256"] = Digest.sha256(Self.dataSection(source.weights))
        let data = try SafeTensors.encode(Array(source.weights.values), metadata: metadata)
        return (ModelWeights(model: model, tensors: source.weights), data)
    }

    /// The tensors' bytes in name order: what the data digest covers.
    static func dataSection(_ tensors: [String: WeightTensor]) -> Data {
        var out = Data()
        for name in tensors.keys.sorted() {
            out.append(contentsOf: Array(name.utf8))
            switch tensors[name]!.values {
            case let .float32(v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            case let .int32(v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// What each search location holds for `model`, without downloading anything.
    public func status(_ model: ModelID) -> [FileStatus] {
        let descriptor = WeightsManifest.descriptor(for: model)
        var out: [FileStatus] = []
        for (source, root) in searchLocations {
            let dir = root.appendingPathComponent(model.rawValue)
            for file in descriptor.files {
                let url = dir.appendingPathComponent(file.name)
                let state: FileStatus.State
                if !FileSystem.exists(url) { state = .missing } else {
                    do { try Self.verify(url, file); state = .verified } catch { state = .mismatch("\(error)") }
                }
                out.append(FileStatus(model: model, file: file.name, source: source, path: url.path, state: state))
            }
        }
        return out
    }
}
