import ArgumentParser
import FaceKit
import Foundation

struct WeightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "List, verify, fetch and convert the model files.",
        discussion: """
        Model files are looked for in --weights DIR, then $FACEKIT_WEIGHTS, then the user cache \
        ($XDG_CACHE_HOME/facekit or ~/.cache/facekit), and downloaded from their pinned upstream \
        addresses into the cache when missing. Every file is checked against its pinned SHA-256.
        """,
        subcommands: [List.self, Verify.self, Fetch.self, Convert.self, Manifest.self])

    struct ModelSelection: ParsableArguments {
        @Argument(help: "Models (default: all): \(ModelID.allCases.map(\.rawValue).joined(separator: ", ")).")
        var models: [String] = []

        func selected() throws -> [ModelID] {
            if models.isEmpty { return ModelID.allCases }
            return try models.map { name in
                guard let id = ModelID(rawValue: name) else {
                    throw ValidationError("unknown model '\(name)'; choose from \(ModelID.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return id
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where each model file is and whether it verifies (never downloads).")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let store = weights.store()
            for model in try selection.selected() {
                let descriptor = WeightsManifest.descriptor(for: model)
                let converted = FileManager.default.fileExists(atPath: store.convertedURL(model).path)
                if json {
                    let files = store.status(model).map { s -> JSONObject in
                        ["file": s.file, "source": s.source.rawValue, "path": s.path, "state": Self.state(s.state)]
                    }
                    print(jsonLine(["model": model.rawValue, "license": descriptor.license, "files": files,
                                    "converted": converted ? store.convertedURL(model).path as Any : NSNull() as Any]))
                } else {
                    print("\(model.rawValue)  (\(descriptor.license))")
                    for s in store.status(model) where s.state != .missing {
                        print("  \(s.source.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(Self.state(s.state).padding(toLength: 9, withPad: " ", startingAt: 0)) \(s.path)")
                    }
                    if !store.status(model).contains(where: { $0.state != .missing }) { print("  not present (facekit weights fetch \(model.rawValue))") }
                    print("  converted:   \(converted ? store.convertedURL(model).path : "no")")
                }
            }
        }

        static func state(_ s: FileStatus.State) -> String {
            switch s {
            case .verified: return "verified"
            case .missing: return "missing"
            case .mismatch: return "MISMATCH"
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find each model (without downloading) and check every file's SHA-256; exits non-zero on any failure.")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per model.") var json = false

        func run() async throws {
            var store = weights.store()
            store.allowsDownload = false
            var failures = Failures()
            for model in try selection.selected() {
                do {
                    let resolved = try await store.resolve(model)
                    print(json ? jsonLine(["model": model.rawValue, "verified": true, "source": resolved.source.rawValue, "directory": resolved.directory.path])
                               : "\(model.rawValue): OK (\(resolved.source.rawValue): \(resolved.directory.path))")
                } catch {
                    if json { print(jsonLine(["model": model.rawValue, "verified": false, "error": "\(error)"])) }
                    failures.record(error)
                }
            }
            try failures.finish()
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download missing model files from their pinned addresses into the cache, verified.")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per model.") var json = false

        func run() async throws {
            let store = weights.store()
            for model in try selection.selected() {
                let resolved = try await store.resolve(model)
                print(json ? jsonLine(["model": model.rawValue, "source": resolved.source.rawValue, "directory": resolved.directory.path])
                           : "\(model.rawValue): \(resolved.source.rawValue) \(resolved.directory.path)")
            }
        }
    }

    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Convert the TF.js files into FaceKit's safetensors files in the cache.")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per model.") var json = false

        func run() async throws {
            let store = weights.store()
            for model in try selection.selected() {
                let url = try await store.convert(model)
                print(json ? jsonLine(["model": model.rawValue, "converted": url.path]) : "\(model.rawValue): \(url.path)")
            }
        }
    }

    struct Manifest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the pinned manifest (the content of Weights/manifest.json; always JSON).")
        func run() async throws { print(try WeightsManifest.json(), terminator: "") }
    }
}
