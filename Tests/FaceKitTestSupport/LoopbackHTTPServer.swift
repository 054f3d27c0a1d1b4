// A tiny HTTP/1.1 server on 127.0.0.1 for download tests. It serves whatever the
// handler returns, can corrupt or cut off responses, and stops when told to.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif
import Foundation

public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        /// Close the connection after this many body bytes (a dropped transfer).
        public var dropAfter: Int?
        public init(status: Int = 200, body: Data, dropAfter: Int? = nil) {
            self.status = status; self.body = body; self.dropAfter = dropAfter
        }
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (String) -> Response
    private let lock = NSLock()
    private var _requests: [String] = []
    private let done = DispatchSemaphore(value: 0)

    /// Paths requested so far.
    public var requests: [String] { lock.withLock { _requests } }
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public init(handler: @escaping @Sendable (String) -> Response) throws {
        self.handler = handler
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listener = fd
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    /// Stops accepting and waits for the accept loop to end.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = done.wait(timeout: .now() + 5)
    }

    private func serve() {
        defer { done.signal() }
        for _ in 0..<1000 {   // bounded: a test never needs more connections
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains(Data("\r\n\r\n".utf8)) && request.count < 65536 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request.append(buffer, count: n)
        }
        let line = String(decoding: request.prefix(while: { $0 != 13 }), as: UTF8.self)
        let parts = line.split(separator: " ")
        let path = parts.count > 1 ? String(parts[1]) : "/"
        lock.withLock { _requests.append(path) }
        let response = handler(path)
        let head = "HTTP/1.1 \(response.status) X\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        send(client, Data(head.utf8))
        let body = response.dropAfter.map { response.body.prefix($0) } ?? response.body
        send(client, Data(body))
    }

    private func send(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Darwin)
                let n = Darwin.send(client, raw.baseAddress! + offset, raw.count - offset, 0)
                #else
                let n = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #endif
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
