// A pool of per-inference workspaces: each concurrent call takes its own, so a model
// object is shared freely between tasks while inference allocates nothing in steady state.
import Foundation

final class WorkspacePool<Workspace: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Workspace] = []
    private let limit: Int

    init(limit: Int = 8) { self.limit = limit }

    /// Runs `body` with an idle workspace that satisfies `fits`, or one made by `make`.
    func with<R>(fits: (Workspace) -> Bool, make: () throws -> Workspace, _ body: (Workspace) throws -> R) throws -> R {
        let taken: Workspace? = lock.withLock {
            guard let i = idle.firstIndex(where: fits) else { return nil }
            return idle.remove(at: i)
        }
        let workspace = try taken ?? make()
        defer {
            lock.withLock {
                if idle.count < limit { idle.append(workspace) }
            }
        }
        return try body(workspace)
    }
}

/// Per-item results filled from the threads of a `parallelFor`; `values()` rethrows the
/// first failure in item order.
final class ResultList<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ result: Result<Value, Error>) { lock.withLock { slots[i] = result } }

    func values() throws -> [Value] {
        try lock.withLock { slots }.map { slot in
            guard let slot else { throw FaceKitError.invalidArgument("an item of a parallel batch did not run") }
            return try slot.get()
        }
    }
}

