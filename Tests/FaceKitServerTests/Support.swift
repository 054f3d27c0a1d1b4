import FaceKit
import FaceKitServer
import FaceKitTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The models, loaded once per test process from ../shared/weights.
enum Models {
    static let recognizer = Task<FaceRecognizer, Error> {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("facekit-server-tests-\(ProcessInfo.processInfo.processIdentifier)")
        let store = WeightStore(directory: Shared.weights, environment: [:], cacheDirectory: cache, allowsDownload: false)
        let one = ThreadCount(1)
        return try await FaceRecognizer(configuration: .init(detector: .init(threads: one), embedder: .init(threads: one)), store: store)
    }
}

/// A real FaceKitServer listening on a loopback port, run by its service group.
final class RunningServer: Sendable {
    let server: FaceKitServer
    let group: ServiceGroup
    let port: Int
    let galleryPath: String
    let finished: Task<Void, Error>

    static func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        var config = ServerConfiguration()
        config.port = 0
        config.writeToken = "s3cret-token"
        config.maximumBodySize = 4 << 20
        config.inferenceWorkers = 2
        config.concurrencyLimit = 4
        configure(&config)
        let path = try Shared.temporaryDirectory("facekit-serve").appendingPathComponent("people.fkg").path
        config.indexDescription = path
        let index = try FaceGallery(path: path, writable: true)
        var logger = Logger(label: "facekit.serve.test")
        logger.logLevel = .warning
        let server = FaceKitServer(configuration: config, recognizer: try await Models.recognizer.value, index: index, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = server.serviceGroup(onServerRunning: { port in continuation.yield(port) })
        let finished = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw RawHTTPError(description: "the server did not start") }
        return RunningServer(server: server, group: group, port: port, galleryPath: path, finished: finished)
    }

    private init(server: FaceKitServer, group: ServiceGroup, port: Int, galleryPath: String, finished: Task<Void, Error>) {
        self.server = server; self.group = group; self.port = port; self.galleryPath = galleryPath; self.finished = finished
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await finished.value
    }

    /// Sends a request on a worker thread (the raw client blocks) and checks the answer
    /// against the OpenAPI document.
    func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
              contentLength: Int? = nil, checksSchema: Bool = true) async throws -> HTTPAnswer {
        let port = self.port
        // The blocking socket client runs on its own thread, never on the cooperative pool
        // (two blocked clients would hold both of a 2-core machine's pool threads, and the
        // server's handlers could not run).
        let answer = try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPAnswer, Error>) in
            Thread {
                c.resume(with: Result {
                    try RawHTTP.send(port: port, method: method, path: path, headers: headers, body: body, contentLength: contentLength)
                })
            }.start()
        }
        if checksSchema {
            let problems = try OpenAPICheck.shared.check(method: method, path: path, answer: answer)
            #expect(problems.isEmpty, "\(method) \(path) → \(answer.status): \(problems) \(answer.text.prefix(300))")
        }
        return answer
    }

    func postImage(_ path: String, _ bytes: [UInt8], type: String = "image/jpeg", token: String? = nil) async throws -> HTTPAnswer {
        var headers = [("Content-Type", type)]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await send("POST", path, headers: headers, body: bytes)
    }
}

enum Photos {
    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Shared.images.appendingPathComponent(relative)))
    }
    static var biden: [UInt8] { get throws { try bytes("joe_biden/official_vp_portrait.jpg") } }
    static var bidenAgain: [UInt8] { get throws { try bytes("joe_biden/oval_office_standing.jpg") } }
    static var obama: [UInt8] { get throws { try bytes("barack_obama/official_portrait_2012.jpg") } }
    static var group: [UInt8] { get throws { try bytes("group/obama_biden_oval_office.jpg") } }
    static var png: [UInt8] { get throws { try bytes("eileen_collins/skimage_astronaut.png") } }
    static var solvay: [UInt8] { get throws { try bytes("group/solvay1927_colorized.jpg") } }

    /// The number of faces in a shared photo, from the shared folder's expected_faces.tsv.
    static func expectedFaces(_ relative: String) throws -> Int {
        let table = try String(contentsOf: Shared.images.appendingPathComponent("expected_faces.tsv"), encoding: .utf8)
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: "\t")
            if columns.count == 2, columns[0] == relative, let n = Int(columns[1]) { return n }
        }
        throw RawHTTPError(description: "\(relative) is not in expected_faces.tsv")
    }

    /// A JPEG whose frame header claims 60000×60000 pixels over a few hundred kilobytes of data.
    static var jpegBomb: [UInt8] {
        get throws {
            var b = try biden
            var i = 2
            while i + 9 < b.count {
                guard b[i] == 0xFF else { i += 1; continue }
                let marker = b[i + 1]
                let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
                if marker == 0xC0 || marker == 0xC2 {   // SOF0 / SOF2: P, height, width
                    b[i + 5] = 0xEA; b[i + 6] = 0x60; b[i + 7] = 0xEA; b[i + 8] = 0x60
                    return b
                }
                i += 2 + length
            }
            throw RawHTTPError(description: "no SOF marker in the test JPEG")
        }
    }

    /// A 67-byte PNG whose header claims 100000×100000 pixels.
    static var pngBomb: [UInt8] {
        var ihdr: [UInt8] = Array("IHDR".utf8)
        for v in [UInt32(100_000), UInt32(100_000)] { ihdr += withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        ihdr += [8, 2, 0, 0, 0]
        func chunk(_ typeAndData: [UInt8]) -> [UInt8] {
            let length = UInt32(typeAndData.count - 4).bigEndian
            return withUnsafeBytes(of: length) { Array($0) } + typeAndData + withUnsafeBytes(of: crc32(typeAndData).bigEndian) { Array($0) }
        }
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk(ihdr) + chunk(idat) + chunk(Array("IEND".utf8))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// Checks answers against the committed OpenAPI document: the status is documented for the
/// route and method, and a JSON body has the keys and types its schema requires.
final class OpenAPICheck: @unchecked Sendable {   // immutable after init
    static let shared = try! OpenAPICheck()
    let document: [String: Any]
    let paths: [String: Any]

    init() throws {
        document = try JSONSerialization.jsonObject(with: try FaceKitServer.openAPI) as! [String: Any]
        paths = document["paths"] as! [String: Any]
    }

    /// The documented path template matching `path` (query removed), or nil.
    func template(for path: String) -> String? {
        let bare = String(path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let parts = bare.split(separator: "/", omittingEmptySubsequences: false)
        return paths.keys.first { key in
            let t = key.split(separator: "/", omittingEmptySubsequences: false)
            return t.count == parts.count && zip(t, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }

    func check(method: String, path: String, answer: HTTPAnswer) throws -> [String] {
        guard let template = template(for: path) else {
            // Undocumented routes answer 404 not_found in the Error shape.
            return answer.status == 404 && answer.code == "not_found" ? [] : ["undocumented route answered \(answer.status)"]
        }
        guard let operation = (paths[template] as? [String: Any])?[method.lowercased()] as? [String: Any] else {
            return answer.status == 405 || answer.status == 404 ? [] : ["method \(method) undocumented for \(template)"]
        }
        // Every query parameter the request sends is documented for the operation, unless the
        // server refused it as unknown.
        let query = path.split(separator: "?", maxSplits: 1).dropFirst().first.map { $0.split(separator: "&").map { String($0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]) } } ?? []
        let documented = Set(((operation["parameters"] as? [[String: Any]]) ?? []).compactMap { resolveParameter($0)["name"] as? String })
        let undocumented = query.filter { !documented.contains($0) }
        if !undocumented.isEmpty && !(answer.status == 400 && answer.code == "unknown_option") {
            return ["query parameters \(undocumented) are not documented for \(method) \(template), and the server did not refuse them"]
        }
        let responses = operation["responses"] as! [String: Any]
        guard let response = responses[String(answer.status)] as? [String: Any] else {
            return ["status \(answer.status) is not documented for \(method) \(template) (documented: \(responses.keys.sorted()))"]
        }
        guard let content = response["content"] as? [String: Any] else { return [] }
        if let json = content["application/json"] as? [String: Any] {
            guard answer.headers["content-type"]?.hasPrefix("application/json") == true else { return ["content type \(answer.headers["content-type"] ?? "none")"] }
            guard let value = answer.json else { return ["the body is not JSON"] }
            var problems: [String] = []
            validate(value, json["schema"] as! [String: Any], at: "$", &problems)
            return problems
        }
        return []
    }

    func resolveParameter(_ parameter: [String: Any]) -> [String: Any] {
        guard let ref = parameter["$ref"] as? String else { return parameter }
        let name = String(ref.split(separator: "/").last!)
        return ((document["components"] as! [String: Any])["parameters"] as! [String: Any])[name] as! [String: Any]
    }

    func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let ref = schema["$ref"] as? String else { return schema }
        let name = String(ref.split(separator: "/").last!)
        return ((document["components"] as! [String: Any])["schemas"] as! [String: Any])[name] as! [String: Any]
    }

    func validate(_ value: Any, _ raw: [String: Any], at path: String, _ problems: inout [String]) {
        let schema = resolve(raw)
        if let all = schema["allOf"] as? [[String: Any]] { for s in all { validate(value, s, at: path, &problems) } }
        let types: [String] = (schema["type"] as? String).map { [$0] } ?? (schema["type"] as? [String]) ?? []
        if !types.isEmpty && !types.contains(where: { matches(value, $0) }) {
            problems.append("\(path): expected \(types), got \(type(of: value))"); return
        }
        if let object = value as? [String: Any] {
            for key in (schema["required"] as? [String]) ?? [] where object[key] == nil { problems.append("\(path): missing \(key)") }
            for (key, sub) in (schema["properties"] as? [String: Any]) ?? [:] {
                if let v = object[key] { validate(v, sub as! [String: Any], at: "\(path).\(key)", &problems) }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, v) in array.enumerated() { validate(v, items, at: "\(path)[\(i)]", &problems) }
        }
        if let allowed = schema["enum"] as? [String], let s = value as? String, !allowed.contains(s) {
            problems.append("\(path): \(s) is not one of the documented values")
        }
    }

    func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "null": return value is NSNull
        case "boolean": return (value as? NSNumber).map(isBool) ?? false
        case "integer": return (value as? NSNumber).map { !isBool($0) && $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": return (value as? NSNumber).map { !isBool($0) } ?? false
        default: return true
        }
    }

    /// JSONSerialization gives booleans as NSNumbers of C type "c" (Darwin and Linux alike).
    func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
}
