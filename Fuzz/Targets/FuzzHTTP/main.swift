// libFuzzer target: HTTP request handling of `facekit serve`. Each input becomes one request
// passed in process through FaceKitServer's whole application (its middleware, routes, JSON
// and multipart readers, image decoding and, for images that decode, the networks) by
// `FaceKitServer.inProcessResponder()`: no socket, no server, and no HummingbirdTesting (whose
// HTTP client would bring SwiftNIO's TLS and BoringSSL into the instrumented build). The service runs over an
// in-memory gallery, writes need the bearer token `fuzz-token`, and bodies are limited to
// 1 MiB and images to 1 megapixel so that an execution stays short.
//
// Input: the first line is the request line, "METHOD URI" (a line without a space is a URI,
// GET); the lines up to an empty line are headers "Name: value" (invalid ones are skipped);
// the rest is the body. Every answer must be an HTTP status below 500 or 503 (overload or
// deadline) with a JSON error body: a 500 means an error the service did not map to a typed
// answer, and a trap or sanitizer report is a crash.
//
// Needs the models (FACEKIT_WEIGHTS, as `Fuzz/run` sets from ../shared/weights).
import Dispatch
import FaceKit
import FaceKitServer
import Foundation
import FuzzDriver
import HTTPTypes
import Hummingbird
import Logging

/// The service's in-process handler, set once the service is up.
nonisolated(unsafe) var activeResponder: (@Sendable (Request) async throws -> Response)?

func fuzzHTTP(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let respond = activeResponder else { fatalError("the HTTP fuzz target has no responder") }
    let bytes = pointer.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var lines: [[UInt8]] = []
    var position = 0
    var bodyStart = bytes.count
    while position < bytes.count {
        let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        var line = Array(bytes[position..<end])
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        position = end + 1
        if line.isEmpty, !lines.isEmpty { bodyStart = min(position, bytes.count); break }
        lines.append(line)
        if position >= bytes.count { bodyStart = bytes.count }
    }
    let requestLine = String(decoding: lines.first ?? [], as: UTF8.self)
    var method = HTTPRequest.Method.get
    var uri = requestLine
    if let space = requestLine.firstIndex(of: " ") {
        guard let m = HTTPRequest.Method(String(requestLine[..<space])) else { return 0 }
        method = m
        uri = String(requestLine[requestLine.index(after: space)...])
    }
    if !uri.hasPrefix("/") { uri = "/" + uri }
    var headers = HTTPFields()
    for line in lines.dropFirst() {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), let name = HTTPField.Name(String(text[..<colon])) else { continue }
        headers.append(HTTPField(name: name, value: text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }
    let body = bodyStart < bytes.count ? ByteBuffer(bytes: bytes[bodyStart...]) : nil

    if let body { headers[.contentLength] = String(body.readableBytes) }
    let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
                          body: RequestBody(buffer: body ?? ByteBuffer()))

    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            let response = try await respond(request)
            let collector = BodyCollector()
            try await response.body.write(collector)
            outcome.set(.answered(response.status, String(buffer: collector.box.buffer)))
        } catch {
            outcome.set(.failed("\(error)"))
        }
        done.signal()
    }
    done.wait()
    switch outcome.value {
    case .answered(let status, let text):
        if status.code >= 500, status != .serviceUnavailable {
            fatalError("\(method) \(uri) answered \(status.code): \(text.prefix(500))")
        }
        if status.code >= 400 {
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            guard object?["code"] is String, object?["message"] is String else {
                fatalError("\(method) \(uri) answered \(status.code) without a JSON error: \(text.prefix(500))")
            }
        }
    case .failed(let description):
        fatalError("\(method) \(uri): the router threw instead of answering: \(description)")
    case nil:
        fatalError("no outcome")
    }
    return 0
}

/// Collects a response body.
struct BodyCollector: ResponseBodyWriter {
    final class Box: @unchecked Sendable { var buffer = ByteBuffer() }
    let box = Box()
    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        box.buffer.writeBuffer(&buffer)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// What one request got.
enum Answer: Sendable { case answered(HTTPResponse.Status, String), failed(String) }

/// The answer, handed from the task that sent the request to libFuzzer's thread.
final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Answer?
    func set(_ answer: Answer) { lock.withLock { stored = answer } }
    var value: Answer? { lock.withLock { stored } }
}

/// Makes the service on a detached task (main.swift's top level is on the main actor, which
/// libFuzzer's loop then blocks) and keeps its in-process handler for the callbacks.
func startService() -> String? {
    let ready = DispatchSemaphore(value: 0)
    let failure = Outcome()
    Task.detached {
        do {
            var configuration = ServerConfiguration()
            configuration.maximumBodySize = 1 << 20
            configuration.pixelBudget = 1_000_000
            configuration.requestDeadline = .seconds(10)
            configuration.inferenceWorkers = 1
            configuration.concurrencyLimit = 2
            configuration.writeToken = "fuzz-token"
            configuration.indexDescription = "memory"
            var logger = Logger(label: "facekit.fuzz")
            logger.logLevel = .critical
            let server = FaceKitServer(configuration: configuration, recognizer: try await FaceRecognizer(),
                                       index: try FaceGallery(storage: InMemoryGalleryStorage()), logger: logger)
            activeResponder = server.inProcessResponder()
            ready.signal()
        } catch {
            failure.set(.failed("\(error)"))
            ready.signal()
        }
    }
    ready.wait()
    if case .failed(let description) = failure.value { return description }
    return nil
}

if let problem = startService() {
    FileHandle.standardError.write(Data("FuzzHTTP: the service could not start: \(problem)\n".utf8))
    exit(1)
}
runFuzzer(fuzzHTTP)
