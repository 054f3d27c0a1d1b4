// What the service knows of a request's connection: whether its client has gone (closed its
// end of the connection, or the connection closed), so that inference still waiting for a
// worker is skipped, and the channel, so that a body that takes too long can be cut off.
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of the service's routes: Hummingbird's core context and the channel
/// the request came on (nil for a request handled in process, which has no socket).
struct ServerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// A context without a connection (``FaceKitServer/inProcessResponder()``).
    init(logger: Logger) {
        coreContext = .init(source: InProcessSource(logger: logger))
        channel = nil
    }
}

/// The context source of a request handled in process: a logger and nothing else.
struct InProcessSource: RequestContextSource {
    let logger: Logger
}

/// Whether a connection's client has gone. Set from the channel's event loop, read from the
/// inference workers.
final class ConnectionState: @unchecked Sendable {
    private let lock = NSLock()
    private var gone = false
    /// Marks the client gone; true the first time.
    func markGone() -> Bool { lock.withLock { defer { gone = true }; return !gone } }
    var isGone: Bool { lock.withLock { gone } }
}

/// A counter shared by the connections of one server.
final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Watches a connection for its client going away while the server still has its side open:
/// the end of its input (the client closed the connection, or its sending half: HTTP/1.1
/// clients do not half-close while they wait for an answer) or the channel closing.
final class ClientWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let state = ConnectionState()
    private let departures: SharedCounter
    private var outputClosed = false

    init(departures: SharedCounter) { self.departures = departures }

    private func clientLeft() {
        if !outputClosed, state.markGone() { departures.increment() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent {
            if event == .inputClosed { clientLeft() }
            if event == .outputClosed { outputClosed = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }
}

/// Who wins between a body arriving and its time limit.
final class BodyRace: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Bool?   // true: the body arrived first; false: the time ran out first
    /// The body is complete (or failed); true when it beat the timer.
    func finish() -> Bool { lock.withLock { if outcome == nil { outcome = true }; return outcome! } }
    /// The time is up; true when the body had not finished.
    func expire() -> Bool { lock.withLock { if outcome == nil { outcome = false }; return outcome == false } }
}

extension FaceKitServer {
    /// Connections whose client went away (closed the connection or its sending half) while
    /// the server still had its side open: clients that stopped waiting for an answer.
    public var clientDepartures: Int { departures.value }

    /// A test for "this request's client has gone", or nil when the request has no channel.
    func clientGone(_ context: ServerRequestContext) async -> (@Sendable () -> Bool)? {
        guard let channel = context.channel else { return nil }
        let state = try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientWatch.self).state
        }.get()
        guard let state else { return nil }
        return { state.isGone || !channel.isActive }
    }

    /// Runs an inference for a request: its deadline, and a check that its client is still
    /// there. Work whose client has gone is skipped (before it starts, or between decoding and
    /// the networks) and answered 499 `client_gone`, an answer nobody reads but the metrics and
    /// the request log count.
    func inference<T: Sendable>(_ context: ServerRequestContext,
                                _ work: (ContinuousClock.Instant, (@Sendable () -> Bool)?) async throws -> T) async throws -> T {
        let gone = await clientGone(context)
        do {
            return try await work(deadline(), gone)
        } catch is CancellationError where gone?() == true {
            throw APIError(.init(code: 499, reasonPhrase: "Client Closed Request"), "client_gone",
                           "the client closed the connection before its inference ran; it was skipped")
        }
    }
}
