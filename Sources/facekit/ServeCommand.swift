import ArgumentParser
import FaceKit
import FaceKitServer
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve detection, embedding, comparison and identification over HTTP (routes: GET /openapi.json).",
        discussion: """
        Listens on 127.0.0.1:8080 unless told otherwise. The write routes (enrol, rename, delete) \
        need the bearer token from $FACEKIT_API_TOKEN or --token-file; without one they are refused \
        unless --allow-open-writes. SIGTERM or SIGINT stops accepting connections, finishes the \
        requests in flight and closes the index. The detector options below (--min-score, \
        --max-faces, --min-face, --tiling) and --threshold are the defaults a request may change \
        (query parameters or form fields of the same names, and top and face); --model, \
        --alignment, --flip and --threads hold for every request.
        """)

    @Option(help: "The address to bind (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one, printed at start).") var port = 8080
    @Option(help: "The index: a gallery file path (created if missing) or a postgres:// URL.") var index = "people.fkg"
    @Option(help: "A file holding the bearer token of the write routes (else $FACEKIT_API_TOKEN).") var tokenFile: String?
    @Flag(help: "Allow the write routes without a token (only on a trusted network).") var allowOpenWrites = false
    @Option(help: "The largest request body, in bytes.") var maxBodyBytes = 16 << 20
    @Option(help: "The largest image a request may decode, in pixels.") var pixelBudget = 40_000_000
    @Option(help: "Seconds an inference request may take from its body read to its networks starting (the wait for a worker and the image decoding) before a 503; networks that have started run to the end.") var deadline = 30.0
    @Option(help: "Seconds a request body may take to arrive in full; a slower body gets 408 and its connection is closed.") var bodyTimeout = 60.0
    @Option(help: "Seconds a connection may send nothing (between requests, or mid-upload) before it is closed.") var idleTimeout = 30.0
    @Option(help: "Inference requests running or waiting at once; more get 503 with Retry-After.") var concurrency = 4
    @Option(help: "Inference worker threads (default: the processor count, at most --concurrency).") var workers: Int?
    @OptionGroup var pipeline: PipelineOptions

    /// The largest values of the options that size threads and memory: past them a value is a
    /// mistake (or an attack on a deployment script), refused before anything is allocated.
    static let maximumWorkers = 256
    static let maximumConcurrency = 10_000
    static let maximumBodyBytes = 1 << 30
    static let maximumPixelBudget = 250_000_000

    func validate() throws {
        // One line on stderr and exit status 1 (CLIError), as for every other bad value.
        guard (0...65535).contains(port) else { throw CLIError("--port must lie in 0...65535") }
        guard (1...Self.maximumBodyBytes).contains(maxBodyBytes) else {
            throw CLIError("--max-body-bytes must lie in 1...\(Self.maximumBodyBytes) (1 GiB); got \(maxBodyBytes)")
        }
        guard (1...Self.maximumPixelBudget).contains(pixelBudget) else {
            throw CLIError("--pixel-budget must lie in 1...\(Self.maximumPixelBudget) pixels; got \(pixelBudget)")
        }
        for (name, value) in [("--deadline", deadline), ("--idle-timeout", idleTimeout), ("--body-timeout", bodyTimeout)] {
            guard value.isFinite, value >= 0.001, value <= 86_400 else {
                throw CLIError("\(name) must be a number of seconds in 0.001...86400; got \(value)")
            }
        }
        guard (1...Self.maximumConcurrency).contains(concurrency) else {
            throw CLIError("--concurrency must lie in 1...\(Self.maximumConcurrency); got \(concurrency)")
        }
        if let workers, !(1...Self.maximumWorkers).contains(workers) {
            throw CLIError("--workers must lie in 1...\(Self.maximumWorkers) threads; got \(workers)")
        }
        if let threads = pipeline.detector.threads, !(1...Self.maximumWorkers).contains(threads) {
            throw CLIError("--threads must lie in 1...\(Self.maximumWorkers); got \(threads)")
        }
    }

    func run() async throws {
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.maximumBodySize = maxBodyBytes
        config.pixelBudget = pixelBudget
        config.requestDeadline = .milliseconds(Int64(deadline * 1000))
        config.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        config.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
        config.concurrencyLimit = concurrency
        config.inferenceWorkers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        config.allowsOpenWrites = allowOpenWrites
        if let tokenFile {
            let text: String
            do { text = try String(contentsOfFile: tokenFile, encoding: .utf8) } catch {
                throw CLIError("cannot read --token-file \(tokenFile): \(error.localizedDescription)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw CLIError("--token-file \(tokenFile) is empty") }
            config.writeToken = token
        } else if let token = ProcessInfo.processInfo.environment["FACEKIT_API_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !token.isEmpty {
            config.writeToken = token
        }

        // Each worker runs one inference on one thread unless --threads says otherwise: the
        // workers, not the inferences, share the processors.
        var recognizerConfiguration = try pipeline.configuration()
        if pipeline.detector.threads == nil {
            recognizerConfiguration.detector.threads = ThreadCount(1)
            recognizerConfiguration.embedder.threads = ThreadCount(1)
        }
        let recognizer = try await FaceRecognizer(configuration: recognizerConfiguration, store: pipeline.weights.store())

        // A gallery file path or a postgres:// URL, opened as every other command opens it
        // (IndexOptions.swift); messages and logs never show a URL's password.
        let faceIndex: any FaceIndex
        do { faceIndex = try await openIndex(index, writable: true) } catch let error as CLIError { throw error } catch {
            throw CLIError("\(error)")
        }
        config.indexDescription = displayIndexName(index)

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return handler
        }
        let writes = config.writeToken != nil ? "bearer token" : (allowOpenWrites ? "OPEN (no token)" : "refused (no token)")
        let server = FaceKitServer(configuration: config, recognizer: recognizer, index: faceIndex)
        try await server.run { port in
            // Unbuffered, so that a script waiting for this line sees it at once.
            FileHandle.standardOutput.write(Data("facekit serve: listening on http://\(host):\(port) (index \(displayIndexName(index)), writes \(writes))\n".utf8))
        }
    }
}
