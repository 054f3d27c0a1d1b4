// The service against slow, vanishing and misconfigured clients (#13): a body trickled byte by
// byte, a client that leaves before its inference runs, a deadline that passes between decoding
// and the networks, and `facekit serve` refusing absurd sizes. Real servers on loopback ports.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceKit
import FaceKitServer
import FaceKitTestSupport
import Foundation
import Testing

extension ServerTests {
    @Test("a body trickled byte by byte gets 408 body_timeout once --body-timeout has passed, and the server keeps serving")
    func trickledBody() async throws {
        // The idle timeout (30 s) never fires: a byte comes every 20 ms. Only the whole-body
        // limit can end this request.
        let s = try await RunningServer.start { $0.bodyTimeout = .milliseconds(500); $0.idleTimeout = .seconds(30) }
        signal(SIGPIPE, SIG_IGN)   // the server closes while the trickler still writes
        let fd = try RawHTTP.connectSocket(port: s.port)
        defer { close(fd) }
        let head = Array("POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n".utf8)
        #expect(head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == head.count)
        let body = try Photos.biden
        let stop = OnceFlag()
        let trickler = Thread {
            var i = 0
            while !stop.isSet, i < body.count {
                let n = body[i...].prefix(1).withUnsafeBytes { write(fd, $0.baseAddress, 1) }
                if n <= 0 { return }   // the server has closed
                i += 1
                usleep(20_000)
            }
        }
        trickler.start()
        let received = await withCheckedContinuation { (c: CheckedContinuation<[UInt8], Never>) in
            Thread {
                // Until a complete answer (or the end of the connection); the first byte of it
                // stops the trickler, whose later bytes the server no longer reads.
                var received: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    stop.set()
                    received += buffer[0..<n]
                    if let end = RawHTTP.find([13, 10, 13, 10], in: received),
                       let length = (try? RawHTTP.parse(received))?.headers["content-length"].flatMap({ Int($0) }),
                       received.count >= end + 4 + length { break }
                }
                c.resume(returning: received)
            }.start()
        }
        stop.set()
        let answer = try RawHTTP.parse(received)
        #expect(answer.status == 408 && answer.code == "body_timeout", "\(answer.status) \(answer.text)")
        #expect(try await s.send("GET", "/health").status == 200)
        #expect(try await s.postImage("/v1/detect", try Photos.biden).status == 200)
        try await s.stop()
    }

    @Test("a client that leaves while its request waits for a worker: the inference is skipped (499 client_gone), the next one runs")
    func departedClient() async throws {
        // A fresh server: the only connection it ever sees before the check is this client's.
        let s = try await RunningServer.start { $0.inferenceWorkers = 1; $0.concurrencyLimit = 3 }
        let gate = Gate()
        let blocker = Task { try await s.server.service.run { _ in gate.wait() } }
        while s.server.service.inFlight < 1 { try await Task.sleep(for: .milliseconds(5)) }

        let fd = try RawHTTP.connectSocket(port: s.port)
        let photo = try Photos.biden
        let request = Array("POST /v1/embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: \(photo.count)\r\n\r\n".utf8) + photo
        #expect(request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == request.count)
        while s.server.service.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        close(fd)
        // Wait until the server has seen the client leave (its only connection), then free the worker.
        while s.server.clientDepartures < 1 { try await Task.sleep(for: .milliseconds(5)) }
        gate.open()
        try await blocker.value
        // The queued inference was dropped, not run: the worker is free for the next request
        // and the metrics count one 499 for /v1/embed.
        let next = try await s.postImage("/v1/embed", photo)
        #expect(next.status == 200)
        let metrics = try await s.send("GET", "/metrics").text
        let departed = metrics.split(separator: "\n").filter {
            $0.hasPrefix("facekit_http_requests_total{") && $0.contains(#"route="/v1/embed""#) && $0.contains(#"status="499""#)
        }
        #expect(departed.count == 1 && departed.first?.hasSuffix(" 1") == true, "\(metrics.prefix(3000))")
        try await s.stop()
    }

    @Test("a departed client (and the deadline, by the same checkpoint) is checked again between decoding and the networks")
    func checkpointBetweenStages() async throws {
        let service = FaceService(recognizer: try await Models.recognizer.value, maximumConcurrentInferences: 1)
        defer { service.shutdown() }
        let photo = try Photos.biden
        // Present when the work starts, gone once the photo is decoded.
        let calls = CallCounter()
        await #expect(throws: CancellationError.self) {
            _ = try await service.faces(inEncoded: photo, isAbandoned: { calls.increment() > 1 })
        }
        #expect(calls.value == 2)
        // Untouched, the same work runs to the end.
        #expect(try await service.faces(inEncoded: photo).count == 1)
    }

    @Test("facekit serve refuses absurd --workers, --concurrency, --max-body-bytes, --pixel-budget, --threads and timeouts: one stderr line, non-zero exit")
    func absurdOptions() throws {
        let cases: [[String]] = [
            ["--workers", "100000"], ["--workers", "0"], ["--concurrency", "100000000"], ["--max-body-bytes", "99999999999"],
            ["--pixel-budget", "10000000000"], ["--threads", "5000"], ["--deadline", "1e9"], ["--body-timeout", "0"],
            ["--idle-timeout", "nan"],
        ]
        for arguments in cases {
            let r = try CLI.run(["serve", "--port", "0", "--index", "/nonexistent/never-created.fkg"] + arguments)
            #expect(r.status != 0, "\(arguments)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(arguments[0]), "\(arguments): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(arguments): \(r.stdout)")
        }
    }
}

final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Adds one; returns the new count.
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}
