// A pool of persistent worker threads for splitting one kernel across cores.
//
// Layers take tens to hundreds of microseconds, less than it takes to wake a sleeping
// thread, so workers spin on their own ticket for a while after each job before they
// sleep on a semaphore (the scheme of XNNPACK's pthreadpool). Work is split statically:
// worker i runs chunk i + 1, the calling thread runs chunk 0 and waits for the others.
// One job runs at a time; a caller that finds the pool busy runs its work inline, so
// concurrent inferences never wait on each other or deadlock.
import Atomics
import Foundation

final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool: one worker per processor beyond the first.
    static let shared = WorkerPool(workers: max(0, activeProcessorCount() - 1))

    /// Threads available to one job, the caller included.
    let capacity: Int

    private let busy = ManagedAtomic<Bool>(false)
    private let tickets: [ManagedAtomic<Int>]
    private let done: [ManagedAtomic<Int>]
    private let sleeping: [ManagedAtomic<Bool>]
    private let wakeups: [DispatchSemaphore]
    private var job: ((Int) -> Void)?
    private var generation = 0
    /// Polls of the ticket before a worker sleeps (a few hundred microseconds).
    private let spinLimit = 100_000

    init(workers: Int) {
        capacity = workers + 1
        tickets = (0..<workers).map { _ in ManagedAtomic(0) }
        done = (0..<workers).map { _ in ManagedAtomic(0) }
        sleeping = (0..<workers).map { _ in ManagedAtomic(false) }
        wakeups = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        for i in 0..<workers {
            let thread = Thread { [unowned self] in self.workerLoop(i) }
            thread.name = "facekit-worker-\(i)"
            thread.start()
        }
    }

    private func workerLoop(_ i: Int) {
        var seen = 0
        while true {
            var spins = 0
            var ticket = tickets[i].load(ordering: .acquiring)
            while ticket == seen {
                spins += 1
                if spins >= spinLimit {
                    sleeping[i].store(true, ordering: .sequentiallyConsistent)
                    if tickets[i].load(ordering: .sequentiallyConsistent) == seen { wakeups[i].wait() }
                    sleeping[i].store(false, ordering: .sequentiallyConsistent)
                    spins = 0
                }
                ticket = tickets[i].load(ordering: .acquiring)
            }
            seen = ticket
            job?(i + 1)
            done[i].store(ticket, ordering: .releasing)
        }
    }

    /// Runs `body(0 ..< chunks)` across the pool; returns false (running nothing) when busy
    /// or when `chunks` is outside 1 … `capacity` (the caller then runs the work itself).
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks >= 1, chunks <= capacity, busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            generation += 1
            job = body
            for i in 0..<(chunks - 1) {
                tickets[i].store(generation, ordering: .sequentiallyConsistent)
                if sleeping[i].load(ordering: .sequentiallyConsistent) { wakeups[i].signal() }
            }
            body(0)
            for i in 0..<(chunks - 1) {
                while done[i].load(ordering: .acquiring) != generation {}
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }
}
