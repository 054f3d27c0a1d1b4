// A deliberately plain HTTP/1.1 client over a POSIX socket: it sends exactly the bytes a test
// writes (truncated bodies, wrong lengths, odd headers) and reads the answer to the end.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [String: String]   // lower-cased names
    var body: [UInt8]

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
    var code: String? { object["code"] as? String }
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct RawHTTPError: Error, CustomStringConvertible { let description: String }

enum RawHTTP {
    /// Sends `head` (the request line and headers, without the blank line) and `body`, with
    /// `Content-Length` unless `contentLength` overrides it (a larger value makes a truncated
    /// body) and `Connection: close`; reads the answer. A truncated body is followed by a
    /// half-close (so that the server sees its end); a complete one is not: the server takes a
    /// client that closes its end as gone and skips its inference.
    static func send(port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                     contentLength: Int? = nil) throws -> HTTPAnswer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(contentLength ?? body.count)\r\n" }
        head += "\r\n"
        return try exchange(port: port, bytes: Array(head.utf8) + body, halfClose: (contentLength ?? body.count) > body.count)
    }

    /// Sends raw bytes, half-closes if asked, and parses what comes back.
    static func exchange(port: Int, bytes: [UInt8], halfClose: Bool = true) throws -> HTTPAnswer {
        let fd = try connectSocket(port: port)
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }   // the server may answer (413) and close before reading everything
            sent += n
        }
        if halfClose { _ = shutdown(fd, Int32(SHUT_WR)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return try parse(received)
    }

    static func connectSocket(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw RawHTTPError(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw RawHTTPError(description: "connection to 127.0.0.1:\(port) refused") }
        return fd
    }

    static func parse(_ bytes: [UInt8]) throws -> HTTPAnswer {
        guard let end = find([13, 10, 13, 10], in: bytes) else {
            throw RawHTTPError(description: "no complete answer (\(bytes.count) bytes)")
        }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw RawHTTPError(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var out: [UInt8] = [], i = 0
            while let lineEnd = find([13, 10], in: Array(body[i...])).map({ $0 + i }) {
                let size = Int(String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                if size == 0 { break }
                out += body[(lineEnd + 2)..<min(body.count, lineEnd + 2 + size)]
                i = lineEnd + 2 + size + 2
                if i >= body.count { break }
            }
            body = out
        } else if let length = headers["content-length"].flatMap({ Int($0) }), length <= body.count {
            body = Array(body[0..<length])
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    /// A multipart/form-data body with one part per (name, bytes).
    static func multipart(_ parts: [(String, [UInt8])], fields: [(String, String)] = [],
                          boundary: String = "facekit-test-boundary") -> (contentType: String, body: [UInt8]) {
        var body: [UInt8] = []
        for (name, bytes) in parts {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(name).jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            body += bytes + Array("\r\n".utf8)
        }
        for (name, value) in fields {   // text fields: no filename, no content type
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }
}
