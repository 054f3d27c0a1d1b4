// FaceKit as an HTTP service (Hummingbird 2): detection, embedding, comparison and
// identification over an image body, and the people of any FaceIndex (gallery file or
// PostgreSQL). Inference runs on FaceService's own worker threads; past the concurrency limit a
// request gets 503 with Retry-After. Every error is JSON {"code", "message"}.
import FaceKit
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The service's settings: where it listens, its limits and who may write.
public struct ServerConfiguration: Sendable {
    /// The address to bind (default 127.0.0.1: this machine only).
    public var host: String = "127.0.0.1"
    /// The port (default 8080; 0 picks a free one).
    public var port: Int = 8080
    /// The largest request body in bytes (default 16 MiB); larger bodies get 413.
    public var maximumBodySize: Int = 16 << 20
    /// The largest image, in pixels, that a request may decode (default 40 megapixels); larger
    /// images, and files whose header claims more than their data can hold, get 413.
    public var pixelBudget: Int = 40_000_000
    /// How long an inference request may take from the moment its body has been read until
    /// its networks start (default 30 s): the wait for a worker and the decoding of the image.
    /// Past it the request gets 503 `deadline_exceeded`; networks that have started on an image
    /// run to the end (one inference).
    public var requestDeadline: Duration = .seconds(30)
    /// How long a request body may take to arrive in full, from the moment the route starts
    /// reading it (default 60 s): a client trickling its body gets 408 `body_timeout` and the
    /// connection is closed. (``idleTimeout`` bounds a body that stops altogether.)
    public var bodyTimeout: Duration = .seconds(60)
    /// How long a connection may send nothing, between requests or in the middle of a request
    /// (default 30 s), before the server closes it: an upload that stalls cannot hold a
    /// connection, or graceful shutdown, for ever (its request ends as 400 `incomplete_body`).
    public var idleTimeout: Duration = .seconds(30)
    /// Inference requests running or waiting at once (default 4); more get 503 with Retry-After.
    public var concurrencyLimit: Int = 4
    /// Inference worker threads (default: the processor count, at most ``concurrencyLimit``).
    public var inferenceWorkers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The bearer token the write routes require, or nil.
    public var writeToken: String?
    /// Allow the write routes without a token (only when ``writeToken`` is nil).
    public var allowsOpenWrites: Bool = false
    /// The index's name in logs and `/ready` (a path, or a URL without its password).
    public var indexDescription: String = "index"

    /// Creates the default configuration.
    public init() {}
}

/// Why the service cannot start.
public struct ServerSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The FaceKit HTTP service over a recognizer and an index.
///
/// ```swift
/// let server = FaceKitServer(configuration: config, recognizer: try await FaceRecognizer(),
///                            index: try FaceGallery(path: "people.fkg", writable: true))
/// try await server.run()   // until SIGTERM or SIGINT; then drains and closes the index
/// ```
public final class FaceKitServer: Sendable {
    /// The settings.
    public let configuration: ServerConfiguration
    /// The worker threads that run inference.
    public let service: FaceService
    /// The people the service identifies.
    public let index: any FaceIndex
    let logger: Logger
    let registry = PrometheusCollectorRegistry()
    let metrics: PrometheusMetricsFactory
    let departures = SharedCounter()

    /// Creates the service; it does not listen until ``run(onServerRunning:)``.
    public init(configuration: ServerConfiguration, recognizer: FaceRecognizer, index: any FaceIndex,
                logger: Logger = Logger(label: "facekit.serve")) {
        self.configuration = configuration
        let limit = max(1, configuration.concurrencyLimit)
        let workers = min(max(1, configuration.inferenceWorkers), limit)
        service = FaceService(recognizer: recognizer, maximumConcurrentInferences: workers, maximumQueueLength: limit - workers)
        self.index = index
        self.logger = logger
        metrics = PrometheusMetricsFactory(registry: registry)
    }

    /// The Hummingbird application: routes, limits, errors, metrics and request logs.
    ///
    /// - Parameter onServerRunning: Called with the bound port once the server listens.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = router()
        let departures = self.departures
        let idle = configuration.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientWatch(departures: departures)],
                                                idleTimeout: .nanoseconds(max(1, idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "facekit"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (or the task is cancelled), then stops accepting
    /// connections, finishes the requests in flight, stops the inference workers and closes the
    /// index.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = serviceGroup(onServerRunning: onServerRunning, signals: [.sigterm, .sigint])
        try await group.run()
    }

    /// The service group ``run(onServerRunning:)`` runs: the application, then the index closer
    /// (shut down after the application has drained). Call `triggerGracefulShutdown()` on it to stop.
    public func serviceGroup(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                             signals: [UnixSignal] = []) -> ServiceGroup {
        let app = application(onServerRunning: onServerRunning)
        let closer = IndexCloser(server: self)
        return ServiceGroup(configuration: .init(
            services: [.init(service: closer), .init(service: app)],
            gracefulShutdownSignals: signals, logger: logger))
    }

    /// The routes behind the service's middleware: what ``application(onServerRunning:)`` serves.
    func router() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: RequestMiddleware(server: self))
        addRoutes(to: router)
        return router
    }

    /// The application's middleware and routes without a server: a request handled in process,
    /// as a connection's request would be, but with no connection behind its context (so the
    /// body time limit and the client-gone check do not apply). A thrown error is an error the
    /// middleware did not turn into an answer. For the HTTP fuzz target (Fuzz/Targets/FuzzHTTP).
    package func inProcessResponder() -> @Sendable (Request) async throws -> Response {
        let responder = router().buildResponder()
        let logger = self.logger
        return { request in try await responder.respond(to: request, context: ServerRequestContext(logger: logger)) }
    }

    // MARK: Routes

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get("/health") { _, _ in try self.json(["status": "ok"]) }
        router.get("/ready") { _, _ in
            do {
                let people = try await self.index.enrolledPeople().count
                return try self.json(ReadyReport(status: "ready", index: self.configuration.indexDescription, people: people))
            } catch {
                throw APIError(.serviceUnavailable, "index_unavailable", "the index cannot be read: \(error)", retryAfter: true)
            }
        }
        router.get("/metrics") { _, _ in
            self.updateGauges()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
        router.get("/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try Self.openAPIDocument())))
        }
        router.post("/v1/detect") { request, context in
            let (images, options) = try await self.input(request, context: context, names: ["image"], count: 1, accepted: RequestOptions.detection)
            let pipeline = try options.pipeline(self.service.recognizer)
            let found = try await self.inference(context) { deadline, gone in
                try await self.service.detections(inEncoded: images[0], decoder: self.decoder, source: "image",
                                                  using: pipeline, deadline: deadline, isAbandoned: gone)
            }
            return try self.json(ImageReport(width: found.width, height: found.height, faces: found.faces.map { FaceReport($0) }))
        }
        router.post("/v1/embed") { request, context in
            let (images, options) = try await self.input(request, context: context, names: ["image"], count: 1, accepted: RequestOptions.detection)
            let pipeline = try options.pipeline(self.service.recognizer)
            let faces = try await self.inference(context) { deadline, gone in
                try await self.service.faces(inEncoded: images[0], decoder: self.decoder, source: "image",
                                             using: pipeline, deadline: deadline, isAbandoned: gone)
            }
            return try self.json(ImageReport(faces: faces.map { FaceReport($0, includesEmbedding: true) }))
        }
        router.post("/v1/compare") { request, context in
            let (images, options) = try await self.input(request, context: context, names: ["first", "second"], count: 2,
                                                         accepted: RequestOptions.detection + [.threshold])
            let pipeline = try options.pipeline(self.service.recognizer)
            let (fa, fb) = try await self.inference(context) { deadline, gone in
                async let a = self.service.mainFace(inEncoded: images[0], decoder: self.decoder, source: "first image", using: pipeline,
                                                    deadline: deadline, isAbandoned: gone)
                async let b = self.service.mainFace(inEncoded: images[1], decoder: self.decoder, source: "second image", using: pipeline,
                                                    deadline: deadline, isAbandoned: gone)
                return try await (a, b)
            }
            let verification = try pipeline.verify(fa.embedding, fb.embedding, threshold: options.threshold)
            return try self.json(ComparisonReport(verification))
        }
        router.post("/v1/identify") { request, context in
            let (images, options) = try await self.input(request, context: context, names: ["image"], count: 1,
                                                         accepted: RequestOptions.detection + [.threshold, .top])
            let pipeline = try options.pipeline(self.service.recognizer)
            let faces = try await self.inference(context) { deadline, gone in
                try await self.service.faces(inEncoded: images[0], decoder: self.decoder, source: "image",
                                             using: pipeline, deadline: deadline, isAbandoned: gone)
            }
            let results = try await self.index.search(faces.map(\.embedding), top: options.top)
            let reports = zip(faces, results).map { face, matches in
                let identity = matches.first.flatMap { $0.similarity >= options.threshold ? $0.identifier : nil }
                return FaceReport(face, identification: GalleryIdentification(identity: identity, matches: matches, threshold: options.threshold))
            }
            return try self.json(ImageReport(threshold: options.threshold, faces: reports))
        }
        router.get("/v1/people") { _, _ in
            try self.json(PeopleReport(people: try await self.index.enrolledPeople().map(PersonReport.init)))
        }
        router.post("/v1/people/{name}/faces") { request, context in
            try self.authorizeWrite(request)
            let name = try Self.personName(context)
            let embeddings: [FaceEmbedding], metadata: [[String: String]]
            if Self.mediaType(request) == "application/json" {
                // The photo options do not apply to embeddings, but a misspelt one is still refused.
                _ = try RequestOptions(query: request.uri.queryParameters, fields: [], accepted: RequestOptions.detection + [.face],
                                       defaults: self.service.recognizer.configuration)
                let body = try await self.body(of: request, context: context)
                let upload: EmbeddingUpload
                do { upload = try JSONDecoder().decode(EmbeddingUpload.self, from: Data(Array(buffer: body))) } catch {
                    throw APIError(.badRequest, "malformed_json", "the body is not the expected JSON ({\"embeddings\": [[numbers]]}): \(Self.decodingSummary(error))")
                }
                guard !upload.embeddings.isEmpty else { throw APIError(.badRequest, "invalid_argument", "\"embeddings\" is empty") }
                guard upload.embeddings.allSatisfy({ $0.count == self.index.dimension && $0.allSatisfy(\.isFinite) }) else {
                    throw APIError(.badRequest, "invalid_argument", "each embedding needs \(self.index.dimension) finite numbers")
                }
                embeddings = upload.embeddings.map { FaceEmbedding(raw: $0) }
                metadata = upload.embeddings.map { _ in ["source": "api"] }
            } else {
                let (photos, options) = try await self.input(request, context: context, names: nil, count: nil,
                                                             accepted: RequestOptions.detection + [.face])
                let pipeline = try options.pipeline(self.service.recognizer)
                let found = try await self.inference(context) { deadline, gone in
                    var found: [FaceEmbedding] = []
                    for (i, photo) in photos.enumerated() {
                        found.append(try await self.service.face(inEncoded: photo, choosing: options.face, decoder: self.decoder,
                                                                 source: photos.count == 1 ? "image" : "image \(i)", using: pipeline,
                                                                 deadline: deadline, isAbandoned: gone).embedding)
                    }
                    return found
                }
                embeddings = found
                metadata = found.map { _ in ["source": "api"] }
            }
            try await self.index.enroll(name, embeddings: embeddings, metadata: metadata, personMetadata: [:])
            let total = try await self.index.embeddings(of: name.trimmingCharacters(in: .whitespacesAndNewlines)).count
            return try self.json(EnrolmentReport(person: name, added: embeddings.count, embeddings: total), status: .created)
        }
        router.patch("/v1/people/{name}") { request, context in
            try self.authorizeWrite(request)
            let name = try Self.personName(context)
            guard Self.mediaType(request) == "application/json" else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the new name as application/json: {\"name\": \"new name\"}")
            }
            let body = try await self.body(of: request, context: context)
            let rename: RenameRequest
            do { rename = try JSONDecoder().decode(RenameRequest.self, from: Data(Array(buffer: body))) } catch {
                throw APIError(.badRequest, "malformed_json", "the body is not the expected JSON ({\"name\": \"new name\"}): \(Self.decodingSummary(error))")
            }
            try Self.validate(name: rename.name)
            try await self.index.rename(name, to: rename.name)
            return try self.json(RenameReport(renamed: name, to: rename.name))
        }
        router.delete("/v1/people/{name}") { request, context in
            try self.authorizeWrite(request)
            let name = try Self.personName(context)
            try await self.index.remove(name)
            return try self.json(RemovalReport(removed: name, people: try await self.index.enrolledPeople().count))
        }
    }

    // MARK: Helpers

    var decoder: ImageDecoder {
        ImageDecoder(pixelBudget: configuration.pixelBudget, maximumFileSize: max(configuration.maximumBodySize, 1))
    }

    func deadline() -> ContinuousClock.Instant { ContinuousClock.now + configuration.requestDeadline }

    func updateGauges() {
        Gauge(label: "facekit_inference_queue_depth", factory: metrics).record(service.queued)
        Gauge(label: "facekit_inferences_in_flight", factory: metrics).record(service.inFlight)
    }

    static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try Self.jsonEncoder.encode(value))))
    }

    /// The request's body, at most ``ServerConfiguration/maximumBodySize`` bytes, arrived
    /// within ``ServerConfiguration/bodyTimeout`` (else the connection's input is closed and
    /// the request gets 408).
    func body(of request: Request, context: ServerRequestContext) async throws -> ByteBuffer {
        let limit = configuration.maximumBodySize
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(.contentTooLarge, "body_too_large", "the body has \(length) bytes; the limit is \(limit)")
        }
        let race = BodyRace()
        var timer: Task<Void, Never>?
        if let channel = context.channel {
            let timeout = configuration.bodyTimeout
            timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, race.expire() { channel.close(mode: .input, promise: nil) }
            }
        }
        defer { timer?.cancel() }
        let timedOut = APIError(.requestTimeout, "body_timeout",
                                "the body did not arrive in full within \(Self.seconds(configuration.bodyTimeout)) s; the connection is closed")
        do {
            let body = try await request.body.collect(upTo: limit)
            guard race.finish() else { throw timedOut }
            return body
        } catch {
            if error is APIError { throw error }
            if !race.finish() { throw timedOut }
            if error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge {
                throw APIError(.contentTooLarge, "body_too_large", "the body is over the limit of \(limit) bytes")
            }
            throw APIError(.badRequest, "incomplete_body", "the body could not be read to its end (\(error))")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let c = duration.components
        let value = Double(c.seconds) + Double(c.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.3g", value)
    }

    /// The Content-Type's media type, without parameters, lowercased ("" for a value that is
    /// empty or only parameters, such as ";": split on ";", such a value has no first part).
    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType].map { $0.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    static let imageTypes: Set<String> = ["image/jpeg", "image/jpg", "image/png", "image/webp", "application/octet-stream"]

    /// The images and options of an inference request: the options from the query (checked
    /// before the body is read) and, in a multipart/form-data body, from the text fields named
    /// like options; the images from ``images(in:context:names:count:)``.
    func input(_ request: Request, context: ServerRequestContext, names: [String]?, count: Int?,
               accepted: [RequestOptions.Key]) async throws -> (images: [[UInt8]], options: RequestOptions) {
        let defaults = service.recognizer.configuration
        let query = request.uri.queryParameters
        if Self.mediaType(request) != "multipart/form-data" {
            let options = try RequestOptions(query: query, fields: [], accepted: accepted, defaults: defaults)
            return (try await self.images(in: request, context: context, names: names, count: count).images, options)
        }
        let (images, fields) = try await self.images(in: request, context: context, names: names, count: count)
        return (images, try RequestOptions(query: query, fields: fields, accepted: accepted, defaults: defaults))
    }

    /// The image bytes of a request: the body (an image type, or none given), or the parts of a
    /// multipart/form-data body (`names`: the part names in order, or nil for every part), and
    /// the multipart text fields named like an option (``RequestOptions/Key``).
    func images(in request: Request, context: ServerRequestContext, names: [String]?,
                count: Int?) async throws -> (images: [[UInt8]], fields: [(name: String, value: String)]) {
        let type = Self.mediaType(request)
        if type == "multipart/form-data" {
            guard let boundary = request.headers[.contentType].flatMap(Multipart.boundary(of:)) else {
                throw APIError(.badRequest, "malformed_multipart", "multipart/form-data needs a boundary parameter")
            }
            let body = try await self.body(of: request, context: context)
            var parts = try Multipart.parts(of: Array(buffer: body), boundary: boundary)
            var fields: [(name: String, value: String)] = []
            for part in parts {
                guard let name = part.name, RequestOptions.Key(rawValue: name) != nil else { continue }
                guard part.body.count <= 100, let value = String(bytes: part.body, encoding: .utf8) else {
                    throw APIError(.badRequest, "invalid_option", "the form field \(name) is not a short UTF-8 text")
                }
                fields.append((name, value))
            }
            parts.removeAll { $0.name.flatMap(RequestOptions.Key.init(rawValue:)) != nil }
            var images: [[UInt8]]
            if let names, names.allSatisfy({ n in parts.contains { $0.name == n } }) {
                images = names.map { n in parts.first { $0.name == n }!.body }
            } else {
                images = parts.map(\.body)
            }
            if let count { images = Array(images.prefix(count)) }
            guard !images.isEmpty, count.map({ images.count == $0 }) ?? true else {
                let expected = names.map { $0.map { "\"\($0)\"" }.joined(separator: " and ") } ?? "at least one"
                throw APIError(.badRequest, "missing_image", "the multipart body needs \(count ?? 1) image part(s) (\(expected)); it has \(parts.count)")
            }
            if let empty = images.firstIndex(where: \.isEmpty) {
                throw APIError(.badRequest, "empty_image", "image part \(empty) is empty")
            }
            return (images, fields)
        }
        if let type, !Self.imageTypes.contains(type) {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send the image as image/jpeg, image/png, image/webp or multipart/form-data; got \(type.isEmpty ? "a Content-Type without a media type" : type)")
        }
        if let count, count != 1 {
            throw APIError(.badRequest, "missing_image", "this route takes \(count) images: send multipart/form-data with parts \(names?.joined(separator: ", ") ?? "")")
        }
        let body = try await self.body(of: request, context: context)
        guard body.readableBytes > 0 else { throw APIError(.badRequest, "empty_body", "the body is empty; send the image bytes") }
        return ([Array(buffer: body)], [])
    }

    func authorizeWrite(_ request: Request) throws {
        guard let token = configuration.writeToken else {
            if configuration.allowsOpenWrites { return }
            throw APIError(.forbidden, "writes_disabled",
                           "this server has no write token: set FACEKIT_API_TOKEN or --token-file (or start it with --allow-open-writes)")
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "unauthorized", "this route needs Authorization: Bearer <token>", authenticate: true)
        }
        guard Self.constantTimeEqual(Array(header.dropFirst(7).utf8), Array(token.utf8)) else {
            throw APIError(.unauthorized, "unauthorized", "the bearer token is wrong", authenticate: true)
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0
    }

    /// The `{name}` path parameter, percent-decoded and checked.
    static func personName(_ context: ServerRequestContext) throws -> String {
        let raw = try context.parameters.require("name")
        guard let name = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "invalid_name", "the person's name is not valid percent-encoded UTF-8")
        }
        try validate(name: name)
        return name
    }

    /// A person's name: 1 to 200 characters, no control characters, no slash or backslash, not `.` or `..`.
    static func validate(name: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, name.count <= 200 else {
            throw APIError(.badRequest, "invalid_name", "a person's name has 1 to 200 characters")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "/" || $0 == "\\" }),
              trimmed != ".", trimmed != ".." else {
            throw APIError(.badRequest, "invalid_name", "a person's name may not contain control characters, '/' or '\\', nor be '.' or '..'")
        }
    }

    static func decodingSummary(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let k, _): return "missing key \"\(k.stringValue)\""
        case DecodingError.typeMismatch(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.valueNotFound(_, let c): return "null at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }

    static func openAPIDocument() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw APIError(.internalServerError, "internal", "the OpenAPI document is missing from the build")
        }
        return Array(try Data(contentsOf: url))
    }

    /// The committed OpenAPI 3.1 document this service serves at `/openapi.json`.
    public static var openAPI: Data { get throws { Data(try openAPIDocument()) } }
}

/// Stops the inference workers and closes the index once the application has drained.
struct IndexCloser: Service {
    let server: FaceKitServer
    func run() async throws {
        try? await gracefulShutdown()
        server.service.shutdown()
        do { try await server.index.close() } catch {
            server.logger.error("closing the index failed: \(error)")
        }
        server.logger.info("index closed")
    }
}

// MARK: Request and response bodies of the people routes

struct EmbeddingUpload: Decodable { var embeddings: [[Float]] }
struct RenameRequest: Decodable { var name: String }
struct EnrolmentReport: Encodable { var person: String; var added: Int; var embeddings: Int }
struct RenameReport: Encodable { var renamed: String; var to: String }
struct RemovalReport: Encodable { var removed: String; var people: Int }
struct PeopleReport: Encodable { var people: [PersonReport] }
struct ReadyReport: Encodable { var status: String; var index: String; var people: Int }
