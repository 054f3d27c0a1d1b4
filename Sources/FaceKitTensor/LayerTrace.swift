// Wall time per layer of one forward pass, for `bench layers`: a network marks the end of each
// layer, and the trace keeps every pass's time per mark. Off (nil) unless a benchmark sets it
// for its task (`Tuning.$current.withValue`), so a traced network costs one nil check per layer.
// Only the thread that runs the pass marks: worker threads see the default tuning, without a trace.
import Foundation

package final class LayerTrace: @unchecked Sendable {
    /// Layer labels in the order the pass marks them.
    package private(set) var labels: [String] = []
    /// Nanoseconds per label, one value per traced pass.
    package private(set) var nanoseconds: [[UInt64]] = []
    private var index = 0
    private var last: UInt64 = 0

    package init() {}

    /// Starts a pass.
    package func begin() {
        index = 0
        last = DispatchTime.now().uptimeNanoseconds
    }

    /// Ends the layer named `label`: the time since the previous mark (or `begin`) is its.
    package func mark(_ label: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        if index == labels.count {
            labels.append(label())
            nanoseconds.append([])
        }
        nanoseconds[index].append(now - last)
        index += 1
        last = DispatchTime.now().uptimeNanoseconds
    }

    /// Forgets the passes so far (after warm-up), keeping the labels.
    package func reset() {
        nanoseconds = nanoseconds.map { _ in [] }
    }
}
