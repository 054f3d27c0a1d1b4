import ArgumentParser
import FaceKit
import FaceKitSupport
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

        /// Runs `body` on each selected model and prints one line per model: `{"model": …}`
        /// followed by the returned fields with `--json`, else "model: text". A failing model
        /// prints `{"model": …, failureFields…, "error": …}` with `--json`; the others still run,
        /// and the command then prints the errors on stderr and exits non-zero.
        func forEach(json: Bool, failureFields: JSONObject = [:],
                     _ body: (ModelID) async throws -> (fields: JSONObject, text: String)) async throws {
            var failures = Failures()
            for model in try selected() {
                do {
                    let (fields, text) = try await body(model)
                    print(json ? jsonLine(JSONObject([("model", model.rawValue)] + fields.pairs.map { ($0.key, $0.value) }))
                               : "\(model.rawValue): \(text)")
                } catch {
                    if json {
                        print(jsonLine(JSONObject([("model", model.rawValue)] + failureFields.pairs.map { ($0.key, $0.value) } + [("error", "\(error)")])))
                    }
                    failures.record(error, subject: model.rawValue)
                }
            }
            try failures.finish()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where each model file is and whether it verifies (never downloads).")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let store = weights.store()
            try store.checkDirectory()
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
            try store.checkDirectory()   // once, not once per model
            try await selection.forEach(json: json, failureFields: ["verified": false]) { model in
                let resolved = try await store.resolve(model)
                return (["verified": true, "source": resolved.source.rawValue, "directory": resolved.directory.path],
                        "OK (\(resolved.source.rawValue): \(resolved.directory.path))")
            }
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download missing model files from their pinned addresses into the cache, verified.")
        @OptionGroup var weights: WeightsOptions
        @OptionGroup var selection: ModelSelection
        @Flag(help: "One JSON object per model.") var json = false

        func run() async throws {
            let store = weights.store()
            try store.checkDirectory()   // once, not once per model
            try await selection.forEach(json: json) { model in
                let resolved = try await store.resolve(model)
                return (["source": resolved.source.rawValue, "directory": resolved.directory.path],
                        "\(resolved.source.rawValue) \(resolved.directory.path)")
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
            try store.checkDirectory()   // once, not once per model
            try await selection.forEach(json: json) { model in
                let url = try await store.convert(model)
                return (["converted": url.path], url.path)
            }
        }
    }

    struct Manifest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the pinned manifest (the content of Weights/manifest.json; always JSON).")
        func run() async throws { print(try WeightsManifest.json(), terminator: "") }
    }
}
