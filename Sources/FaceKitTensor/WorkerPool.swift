// A pool of persistent worker threads for splitting one kernel across cores.
//
// Layers take tens to hundreds of microseconds, less than it takes to wake a sleeping
// thread, so workers spin on their own ticket for a while after each job before they
// sleep on a semaphore (the scheme of XNNPACK's pthreadpool).
//
// Work is split into tasks, and every participant (the calling thread is participant 0,
// worker i is participant i + 1) starts on its own contiguous share of them. A participant
// that finishes its share steals tasks from the end of the others' shares, so a worker that
// wakes late, or whose virtual CPU the host has taken away for a moment, delays the layer by
// at most one task instead of by its whole share. The caller closes the job once every task
// is claimed and waits only for the workers that joined it; a worker arriving later finds
// the job closed and goes back to waiting.
//
// One job runs at a time; a caller that finds the pool busy runs its work inline, so
// concurrent inferences never wait on each other or deadlock.
import Atomics
import Foundation

package final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool: one worker per processor beyond the first.
    static let shared = WorkerPool(workers: max(0, activeProcessorCount() - 1))

    /// Threads available to one job, the caller included.
    package let capacity: Int
    /// Jobs run on the pool so far (not counting work a busy pool left to its caller); tests
    /// read it to prove that a threaded path ran.
    private let completedJobs = ManagedAtomic<Int>(0)
    package var completedJobCount: Int { completedJobs.load(ordering: .relaxed) }

    private let busy = ManagedAtomic<Bool>(false)
    private let tickets: [ManagedAtomic<Int>]
    private let sleeping: [ManagedAtomic<Bool>]
    private let wakeups: [DispatchSemaphore]
    /// Each participant's unclaimed tasks, packed as `end << 32 | start`.
    private let shares: [ManagedAtomic<Int>]
    /// Workers inside the current job, plus `closed` once the caller has shut it.
    private let gate = ManagedAtomic<Int>(WorkerPool.closed)
    private static let closed = 1 << 40
    private var job: ((Int, Int) -> Void)?
    private var participants = 0
    private var generation = 0
    /// Polls of the ticket before a worker sleeps (a few hundred microseconds).
    private let spinLimit = 100_000

    /// Starts `workers` threads (they live as long as the process). Tests make pools of their
    /// own to run 3 or 8 participants on any machine.
    package init(workers: Int) {
        capacity = workers + 1
        tickets = (0..<workers).map { _ in ManagedAtomic(0) }
        sleeping = (0..<workers).map { _ in ManagedAtomic(false) }
        wakeups = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        shares = (0...workers).map { _ in ManagedAtomic(0) }
        for i in 0..<workers {
            let thread = Thread { [unowned self] in self.workerLoop(i) }
            thread.name = "facekit-worker-\(i)"
            thread.start()
        }
    }

    private func workerLoop(_ i: Int) {
        // This worker's own ticket, flag and semaphore, taken out of the arrays once: reading
        // them through `self` in the spin loop retained and released shared objects on every
        // poll (a quarter of BlazeFace's profile samples), and those reference counts sit on
        // cache lines the computing thread also writes.
        let myTicket = tickets[i], mySleeping = sleeping[i], myWakeup = wakeups[i], limit = spinLimit
        var seen = 0
        while true {
            var spins = 0
            var ticket = myTicket.load(ordering: .acquiring)
            while ticket == seen {
                spins += 1
                // On a busy machine a spinning worker holds a processor others need: let them
                // run now and then (an immediate return when nothing else is runnable).
                if spins & 1023 == 0 { yieldProcessor() }
                if spins >= limit {
                    mySleeping.store(true, ordering: .sequentiallyConsistent)
                    if myTicket.load(ordering: .sequentiallyConsistent) == seen { myWakeup.wait() }
                    mySleeping.store(false, ordering: .sequentiallyConsistent)
                    spins = 0
                }
                ticket = myTicket.load(ordering: .acquiring)
            }
            seen = ticket
            guard enter() else { continue }   // the job is already over
            // A worker woken for an earlier, wider job may find one it has no share in.
            if i + 1 < participants { runJob(as: i + 1) }
            gate.wrappingDecrement(ordering: .releasing)
        }
    }

    /// Runs the current job's tasks as participant `me`. A function of its own, so that its
    /// reference to the job ends before the worker leaves the job: the caller's
    /// `withoutActuallyEscaping` checks that nothing holds the closure afterwards.
    private func runJob(as me: Int) {
        guard let job else { return }
        work(as: me, job)
    }

    /// Joins the open job; false when the caller has closed it.
    private func enter() -> Bool {
        var value = gate.load(ordering: .relaxed)
        while value & Self.closed == 0 {
            let (exchanged, original) = gate.compareExchange(expected: value, desired: value + 1, ordering: .acquiring)
            if exchanged { return true }
            value = original
        }
        return false
    }

    /// Runs participant `me`'s own tasks from the front, then steals from the back of the others'.
    private func work(as me: Int, _ body: (Int, Int) -> Void) {
        while let task = claim(me, fromBack: false) { body(task, me) }
        for offset in 1..<max(1, participants) {
            let victim = (me + offset) % participants
            while let task = claim(victim, fromBack: true) { body(task, me) }
        }
    }

    /// Takes one unclaimed task of participant `p`'s share: the first when `p` is the caller's
    /// own share, the last when stealing (so owner and thief meet in the middle).
    private func claim(_ p: Int, fromBack: Bool) -> Int? {
        var value = shares[p].load(ordering: .relaxed)
        while true {
            let start = value & 0xFFFF_FFFF, end = value >> 32
            if start >= end { return nil }
            let desired = fromBack ? (end - 1) << 32 | start : end << 32 | (start + 1)
            let (exchanged, original) = shares[p].compareExchange(expected: value, desired: desired, ordering: .relaxed)
            if exchanged { return fromBack ? end - 1 : start }
            value = original
        }
    }

    /// Runs `body(task, participant)` for every task in `0 ..< tasks` on up to `threads`
    /// participants (the caller is participant 0; no two run at once under one participant
    /// number, so it can index per-thread scratch); returns false, running nothing, when the pool is busy with another
    /// caller's job or the counts are out of range (the caller then runs the work itself).
    func run(tasks: Int, threads: Int, _ body: (Int, Int) -> Void) -> Bool {
        guard tasks >= 1, tasks < 1 << 31, threads >= 2, threads <= capacity,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            generation += 1
            job = body
            participants = threads
            for p in 0..<threads {
                shares[p].store((tasks * (p + 1) / threads) << 32 | (tasks * p / threads), ordering: .relaxed)
            }
            gate.store(0, ordering: .releasing)   // open: publishes the job and the shares
            for i in 0..<(threads - 1) {
                tickets[i].store(generation, ordering: .sequentiallyConsistent)
                if sleeping[i].load(ordering: .sequentiallyConsistent) { wakeups[i].signal() }
            }
            work(as: 0, body)
            // Every task is claimed: shut the job and wait for the workers inside it.
            _ = gate.loadThenBitwiseOr(with: Self.closed, ordering: .acquiringAndReleasing)
            // A worker still inside may have been preempted mid-task: after a short spin, yield
            // so that it can be scheduled (here, if the OS moves it) instead of spinning a slice.
            var waits = 0
            while gate.load(ordering: .acquiring) != Self.closed {
                waits += 1
                if waits > 256 { yieldProcessor() }
            }
            job = nil
        }
        completedJobs.wrappingIncrement(ordering: .relaxed)
        busy.store(false, ordering: .releasing)
        return true
    }
}
