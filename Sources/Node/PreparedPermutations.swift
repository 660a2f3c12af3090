import Dispatch
import Foundation
import PostProcessing

/// Cascade's shuffles for a session, drawn on a background thread as soon as the parameters are
/// agreed. They depend only on the frame length and the permutation seed, and drawing them takes
/// tens of milliseconds: done up front, the first frame's reconciliation does not wait for them.
final class PreparedPermutations: @unchecked Sendable {
    let frameBits: Int
    let passes: Int
    private let condition = NSCondition()
    private var value: CascadePermutations?

    init(frameBits: Int, passes: Int, seed: UInt64) {
        self.frameBits = frameBits
        self.passes = passes
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let p = CascadePermutations(frameBits: frameBits, passes: passes, seed: seed)
            condition.lock()
            value = p
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The shuffles, waiting for the background draw if it has not finished.
    func get() -> CascadePermutations {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value { return value }
            condition.wait()
        }
    }
}
