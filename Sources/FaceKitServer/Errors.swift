// Errors as JSON with a stable `code`, request metrics and one log line per request.
import FaceKit
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore

/// An error the service answers with: an HTTP status, a stable machine-readable `code` and a
/// message for people.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var retryAfter = false
    var authenticate = false

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Bool = false, authenticate: Bool = false) {
        self.status = status; self.code = code; self.message = message
        self.retryAfter = retryAfter; self.authenticate = authenticate
    }

    /// The answer to any error a route throws: FaceKit's typed errors map to 4xx (bad images are
    /// never 500), overload to 503, anything else to 500.
    static func from(_ error: Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as ImageError:
            switch e {
            case .tooLarge, .fileTooLarge: return APIError(.contentTooLarge, "image_too_large", e.description)
            case .empty: return APIError(.badRequest, "empty_body", e.description)
            case .unsupportedFormat: return APIError(.unsupportedMediaType, "unsupported_image_format", e.description)
            case .decoderUnavailable: return APIError(.unsupportedMediaType, "unsupported_image_format", e.description)
            default: return APIError(.badRequest, "invalid_image", e.description)
            }
        case let e as FaceKitError:
            switch e {
            case .noFace: return APIError(.unprocessableContent, "no_face", e.description)
            case .multipleFaces: return APIError(.unprocessableContent, "multiple_faces", e.description + "; choose one with ?face=INDEX or ?face=largest")
            case .noSuchFace: return APIError(.unprocessableContent, "no_such_face", e.description)
            default: return APIError(.badRequest, "invalid_argument", e.description)
            }
        case let e as GalleryError:
            switch e {
            case .unknownPerson: return APIError(.notFound, "unknown_person", e.description)
            case .duplicatePerson: return APIError(.conflict, "duplicate_person", e.description)
            case .invalidArgument: return APIError(.badRequest, "invalid_argument", e.description)
            case .unavailable, .locked: return APIError(.serviceUnavailable, "index_unavailable", e.description, retryAfter: true)
            default: return APIError(.internalServerError, "index_error", e.description)
            }
        case let e as FaceServiceError:
            switch e {
            case .overloaded: return APIError(.serviceUnavailable, "overloaded", e.description, retryAfter: true)
            case .deadlineExceeded: return APIError(.serviceUnavailable, "deadline_exceeded", e.description, retryAfter: true)
            case .shutDown: return APIError(.serviceUnavailable, "shutting_down", e.description, retryAfter: true)
            }
        case let e as HTTPError:
            switch e.status {
            case .notFound: return APIError(.notFound, "not_found", "no such route")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "this route does not take that method")
            case .contentTooLarge: return APIError(.contentTooLarge, "body_too_large", e.body ?? "the body is too large")
            default: return APIError(e.status, "http_error", e.body ?? e.status.reasonPhrase)
            }
        case is NIOTooManyBytesError: return APIError(.contentTooLarge, "body_too_large", "the body is over the limit")
        case is CancellationError: return APIError(.serviceUnavailable, "cancelled", "the request was cancelled", retryAfter: true)
        default: return APIError(.internalServerError, "internal", "internal error: \(error)")
        }
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if retryAfter { headers[.retryAfter] = "1" }
        if authenticate { headers[.wwwAuthenticate] = "Bearer" }
        let body = (try? FaceKitServer.jsonEncoder.encode(ErrorBody(code: code, message: message))) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

struct ErrorBody: Codable { var code: String; var message: String }

/// Turns every thrown error into its JSON answer, counts requests and latencies by route
/// (swift-metrics over the server's own Prometheus registry), and logs one line per request.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let server: FaceKitServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var code: String? = nil
        do {
            response = try await next(request, context)
        } catch {
            let api = APIError.from(error)
            code = api.code
            if api.status.code >= 500 && api.status != .serviceUnavailable {
                server.logger.error("\(request.method) \(request.uri.path): \(error)")
            }
            response = api.response
        }
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        let factory = server.metrics
        Counter(label: "facekit_http_requests_total",
                dimensions: [("route", route), ("method", request.method.rawValue), ("status", String(response.status.code))],
                factory: factory).increment()
        Metrics.Timer(label: "facekit_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        server.updateGauges()
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "ms": .string(String(format: "%.1f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
        ]
        if let code { metadata["code"] = .string(code) }
        server.logger.info("request", metadata: metadata)
        return response
    }
}
