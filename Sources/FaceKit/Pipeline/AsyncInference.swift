// Async inference that never blocks Swift's cooperative thread pool: the CPU-bound work runs
// on FaceKit's own worker threads, at most `maximumConcurrentInferences` at once; callers
// suspend (holding no thread) while their work waits or runs.
import Foundation

/// Why ``FaceService`` did not run a piece of work.
public enum FaceServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue of waiting work is full (``FaceService/maximumQueueLength``); try again later.
    case overloaded(inFlight: Int, queued: Int)
    /// The work's deadline passed before it could start, or before it reached its networks
    /// (see ``FaceService/faces(inEncoded:decoder:source:using:deadline:isAbandoned:)``).
    case deadlineExceeded
    /// The service was shut down (``FaceService/shutdown()``).
    case shutDown

    public var description: String {
        switch self {
        case let .overloaded(inFlight, queued):
            return "the service is at capacity (\(inFlight) inferences running, \(queued) waiting); retry later"
        case .deadlineExceeded: return "the request's deadline passed before its inference could run to the end"
        case .shutDown: return "the face service is shut down"
        }
    }
}

/// Runs FaceKit inference from async code without blocking the cooperative thread pool.
///
/// A `FaceService` owns a fixed number of worker threads
/// (``maximumConcurrentInferences``). Each async method hands its work to a worker and
/// suspends the caller until the result is ready, so a server can await many requests while
/// only that many inferences use the CPU. Work beyond the workers waits in a first-in,
/// first-out queue of at most ``maximumQueueLength`` entries; past it, a call fails at once
/// with ``FaceServiceError/overloaded(inFlight:queued:)`` instead of growing an unbounded
/// queue. Cancelling a waiting caller removes its work from the queue.
///
/// ```swift
/// let service = FaceService(recognizer: try await FaceRecognizer(), maximumConcurrentInferences: 2)
/// let faces = try await service.faces(inEncoded: jpegBytes)
/// ```
public final class FaceService: Sendable {
    /// The pipeline every call runs.
    public let recognizer: FaceRecognizer
    /// How many inferences run at once (one worker thread each).
    public let maximumConcurrentInferences: Int
    /// How many calls may wait for a worker; more fail with ``FaceServiceError/overloaded(inFlight:queued:)``.
    public let maximumQueueLength: Int
    private let queue: WorkQueue

    /// Starts the worker threads.
    ///
    /// - Parameters:
    ///   - recognizer: The loaded pipeline.
    ///   - maximumConcurrentInferences: Worker threads (at least 1; default 2). Each inference
    ///     may itself use the threads of its ``FaceDetector/Configuration/threads`` setting.
    ///   - maximumQueueLength: Calls that may wait for a worker (at least 0; default `Int.max`,
    ///     unbounded).
    public init(recognizer: FaceRecognizer, maximumConcurrentInferences: Int = 2, maximumQueueLength: Int = .max) {
        self.recognizer = recognizer
        self.maximumConcurrentInferences = max(1, maximumConcurrentInferences)
        self.maximumQueueLength = max(0, maximumQueueLength)
        queue = WorkQueue(workers: self.maximumConcurrentInferences, maximumQueued: self.maximumQueueLength)
    }

    deinit { queue.shutdown() }

    /// Inferences running now.
    public var inFlight: Int { queue.counts.running }
    /// Calls waiting for a worker now.
    public var queued: Int { queue.counts.queued }

    /// Stops the workers once the work already accepted has finished; later calls fail with
    /// ``FaceServiceError/shutDown``.
    public func shutdown() { queue.shutdown() }

    /// Runs `work` on a worker thread with the recognizer, suspending the caller until it returns.
    ///
    /// - Parameters:
    ///   - pipeline: The recognizer `work` gets (default: ``recognizer``); for per-call settings,
    ///     pass `recognizer.reconfigured(detector:threshold:)`, which shares the loaded models.
    ///   - deadline: When set, work still waiting at this instant is dropped with
    ///     ``FaceServiceError/deadlineExceeded`` (work that has started runs to the end).
    ///   - isAbandoned: When set, asked just before the work starts: `true` (say, the client of
    ///     a server request has gone away) drops the work with `CancellationError`.
    ///   - work: Synchronous, CPU-bound work.
    /// - Throws: What `work` throws, ``FaceServiceError`` when the work was not run, or
    ///   `CancellationError` when the caller was cancelled or abandoned the work while it waited.
    public func run<T: Sendable>(using pipeline: FaceRecognizer? = nil, deadline: ContinuousClock.Instant? = nil,
                                 isAbandoned: (@Sendable () -> Bool)? = nil,
                                 _ work: @escaping @Sendable (FaceRecognizer) throws -> T) async throws -> T {
        try await staged(using: pipeline, deadline: deadline, isAbandoned: isAbandoned) { r, _ in try work(r) }
    }

    /// ``run(using:deadline:isAbandoned:_:)`` for work in stages: `work` gets a checkpoint to
    /// call between them, which throws ``FaceServiceError/deadlineExceeded`` once the deadline
    /// has passed and `CancellationError` once the caller is cancelled or `isAbandoned` says so.
    func staged<T: Sendable>(using pipeline: FaceRecognizer?, deadline: ContinuousClock.Instant?,
                             isAbandoned: (@Sendable () -> Bool)?,
                             _ work: @escaping @Sendable (FaceRecognizer, Checkpoint) throws -> T) async throws -> T {
        let recognizer = pipeline ?? self.recognizer
        let checkpoint = Checkpoint(deadline: deadline, isAbandoned: isAbandoned)
        let job = Job<T>(checkpoint: checkpoint) { try work(recognizer, checkpoint) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                job.attach(continuation)
                queue.submit(job)
            }
        } onCancel: {
            checkpoint.cancel()
            if queue.withdraw(job) { job.finish(.failure(CancellationError())) }
        }
    }

    /// Every face in an encoded photo (JPEG, PNG or WebP), best detection score first.
    ///
    /// `pipeline`, in this and the methods below, is the recognizer to run (default:
    /// ``recognizer``; see ``run(using:deadline:isAbandoned:_:)``). `deadline` and
    /// `isAbandoned` are checked before the work starts and again between decoding the photo
    /// and running the networks; once the networks run, they run to the end.
    public func faces(inEncoded bytes: [UInt8], decoder: ImageDecoder = ImageDecoder(), source: String = "<image>",
                      using pipeline: FaceRecognizer? = nil, deadline: ContinuousClock.Instant? = nil,
                      isAbandoned: (@Sendable () -> Bool)? = nil) async throws -> [RecognizedFace] {
        try await staged(using: pipeline, deadline: deadline, isAbandoned: isAbandoned) { r, checkpoint in
            let image = try r.prepare(EncodedImage(Data(bytes), source: source, maximumFileSize: decoder.maximumFileSize), decoder: decoder)
            try checkpoint.check()
            return try r.faces(in: image)
        }
    }

    /// The faces a detector finds in an encoded photo, and the photo's size.
    public func detections(inEncoded bytes: [UInt8], decoder: ImageDecoder = ImageDecoder(), source: String = "<image>",
                           using pipeline: FaceRecognizer? = nil, deadline: ContinuousClock.Instant? = nil,
                           isAbandoned: (@Sendable () -> Bool)? = nil) async throws -> (faces: [DetectedFace], width: Int, height: Int) {
        try await staged(using: pipeline, deadline: deadline, isAbandoned: isAbandoned) { r, checkpoint in
            let image = try decoder.decode(bytes, source: source)
            try checkpoint.check()
            return (try r.detector.detect(in: image), image.width, image.height)
        }
    }

    /// The main face (highest detection score) of an encoded photo.
    public func mainFace(inEncoded bytes: [UInt8], decoder: ImageDecoder = ImageDecoder(), source: String = "<image>",
                         using pipeline: FaceRecognizer? = nil, deadline: ContinuousClock.Instant? = nil,
                         isAbandoned: (@Sendable () -> Bool)? = nil) async throws -> RecognizedFace {
        try await staged(using: pipeline, deadline: deadline, isAbandoned: isAbandoned) { r, checkpoint in
            let image = try r.prepare(EncodedImage(Data(bytes), source: source, maximumFileSize: decoder.maximumFileSize), decoder: decoder)
            try checkpoint.check()
            return try r.mainFace(in: image)
        }
    }

    /// The face `choice` picks in an encoded photo (the face to enrol).
    public func face(inEncoded bytes: [UInt8], choosing choice: FaceChoice = .only, decoder: ImageDecoder = ImageDecoder(),
                     source: String = "<image>", using pipeline: FaceRecognizer? = nil,
                     deadline: ContinuousClock.Instant? = nil, isAbandoned: (@Sendable () -> Bool)? = nil) async throws -> RecognizedFace {
        try await staged(using: pipeline, deadline: deadline, isAbandoned: isAbandoned) { r, checkpoint in
            let image = try r.prepare(EncodedImage(Data(bytes), source: source, maximumFileSize: decoder.maximumFileSize), decoder: decoder)
            try checkpoint.check()
            return try r.face(in: image, choosing: choice)
        }
    }
}

/// One piece of work and the continuation of its caller; resumed exactly once.
private final class Job<T: Sendable>: AnyJob, @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?
    private var pending: Result<T, Error>?
    private let work: @Sendable () throws -> T
    let checkpoint: Checkpoint

    init(checkpoint: Checkpoint, work: @escaping @Sendable () throws -> T) {
        self.checkpoint = checkpoint
        self.work = work
    }

    func attach(_ c: CheckedContinuation<T, Error>) {
        let early: Result<T, Error>? = lock.withLock {
            if let pending { self.pending = nil; return pending }
            continuation = c
            return nil
        }
        if let early { c.resume(with: early) }
    }

    func finish(_ result: Result<T, Error>) {
        let c: CheckedContinuation<T, Error>? = lock.withLock {
            guard let c = continuation else {
                if pending == nil { pending = result }
                return nil
            }
            continuation = nil
            return c
        }
        c?.resume(with: result)
    }

    /// Runs the work and returns the delivery of its result, which the worker calls once it
    /// counts itself free: a caller that sends its next request the moment it has this answer
    /// must find the worker available, not still counted as busy.
    func execute() -> @Sendable () -> Void {
        do { try checkpoint.check() } catch {
            return { self.finish(.failure(error)) }
        }
        let result = Result { try work() }
        return { self.finish(result) }
    }

    func reject(_ error: Error) { finish(.failure(error)) }
}

/// What work checks before it starts and between its stages: its deadline, its caller's
/// cancellation and whether its caller has gone.
struct Checkpoint: Sendable {
    let deadline: ContinuousClock.Instant?
    let isAbandoned: (@Sendable () -> Bool)?
    private let cancelled = CancelFlag()

    init(deadline: ContinuousClock.Instant?, isAbandoned: (@Sendable () -> Bool)?) {
        self.deadline = deadline
        self.isAbandoned = isAbandoned
    }

    func cancel() { cancelled.set() }

    /// Throws when the work should not go on.
    func check() throws {
        if cancelled.isSet || isAbandoned?() == true { throw CancellationError() }
        if let deadline, ContinuousClock.now >= deadline { throw FaceServiceError.deadlineExceeded }
    }
}

private final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

private protocol AnyJob: AnyObject, Sendable {
    func execute() -> @Sendable () -> Void
    func reject(_ error: Error)
}

/// The worker threads and their FIFO queue.
private final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [AnyJob] = []
    private var head = 0
    private var running = 0
    private var stopped = false
    private let maximumQueued: Int
    private let workers: Int

    init(workers: Int, maximumQueued: Int) {
        self.workers = workers
        self.maximumQueued = maximumQueued
        for i in 0..<workers {
            let thread = Thread { [self] in loop() }
            thread.name = "FaceKit inference \(i)"
            thread.start()
        }
    }

    var counts: (running: Int, queued: Int) {
        condition.lock(); defer { condition.unlock() }
        return (running, waiting.count - head)
    }

    func submit(_ job: AnyJob) {
        condition.lock()
        if stopped {
            condition.unlock(); job.reject(FaceServiceError.shutDown); return
        }
        let queued = waiting.count - head
        // Admitted work (running or waiting) is bounded by workers + queue length; counting
        // the two together keeps a worker that is between jobs from looking busy.
        let capacity = maximumQueued > Int.max - workers ? Int.max : workers + maximumQueued
        if running + queued >= capacity {
            let r = running
            condition.unlock(); job.reject(FaceServiceError.overloaded(inFlight: r, queued: queued)); return
        }
        waiting.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Removes a job that has not started; true when it was still waiting.
    func withdraw(_ job: AnyJob) -> Bool {
        condition.lock(); defer { condition.unlock() }
        guard let i = waiting[head...].firstIndex(where: { $0 === job }) else { return false }
        waiting.remove(at: i)
        return true
    }

    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while head == waiting.count && !stopped { condition.wait() }
            if head == waiting.count {  // stopped and drained
                condition.unlock(); return
            }
            let job = waiting[head]
            head += 1
            if head > 64 && head * 2 > waiting.count { waiting.removeFirst(head); head = 0 }
            running += 1
            condition.unlock()
            let deliver = job.execute()
            condition.lock(); running -= 1; condition.unlock()
            deliver()
        }
    }
}
