import FaceKitTensor
import Foundation
import Testing

/// `parallelFor` over the shared worker pool (2 threads) and pools of 3 and 8: every index
/// exactly once, whatever the split.
extension KernelTests {
@Suite struct ParallelTests {
    /// Runs `parallelFor` and returns how often each index of `0 ..< total` was visited.
    private func visits(_ total: Int, threads: Int, tasksPerThread: Int = 4, slowFirst: Bool = false) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, total))
        counts.initialize(repeating: 0, count: max(1, total))
        defer { counts.deallocate() }
        let job = {
            parallelFor(total, threads: ThreadCount(threads), tasksPerThread: tasksPerThread) { start, end in
                // Uneven work: the first piece is slow, so the others must be taken over.
                if slowFirst && start == 0 { usleep(2000) }
                for i in start..<end { counts[i] += 1 }
            }
        }
        // 3 and 8 threads run on pools of that size, whatever the machine's processor count.
        if let pool = testPools[threads], threads > 2 {
            Tuning.$current.withValue(.alwaysThreaded(on: pool), operation: job)
        } else {
            job()
        }
        return Array(UnsafeBufferPointer(start: counts, count: total))
    }

    @Test("every index exactly once, for awkward totals, thread counts and task sizes")
    func coverage() {
        for total in [0, 1, 2, 3, 5, 7, 8, 13, 31, 64, 97, 1000] {
            for threads in [1, 2, 3, 8] {
                for tasksPerThread in [1, 3, 4, 50] {
                    let v = visits(total, threads: threads, tasksPerThread: tasksPerThread)
                    #expect(v.allSatisfy { $0 == 1 }, "total \(total), threads \(threads), tasks/thread \(tasksPerThread): \(v.filter { $0 != 1 }.count) wrong")
                }
            }
        }
    }

    @Test("a slow piece is worked around, and thousands of jobs in a row all complete")
    func slowAndMany() {
        #expect(visits(64, threads: 2, slowFirst: true).allSatisfy { $0 == 1 })
        for i in 0..<5000 {
            let total = 1 + i % 37
            if !visits(total, threads: 2).allSatisfy({ $0 == 1 }) {
                Issue.record("job \(i) of \(total) items went wrong")
                return
            }
        }
    }

    @Test("callers on several threads at once: each job runs completely (on the pool or inline)")
    func concurrentCallers() async {
        let wrong = await withTaskGroup(of: Int.self) { group in
            for t in 0..<6 {
                group.addTask {
                    var bad = 0
                    for i in 0..<500 where !self.visits(1 + (i * 7 + t) % 41, threads: 2).allSatisfy({ $0 == 1 }) { bad += 1 }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }
}
}
