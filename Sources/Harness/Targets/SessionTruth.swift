import PostProcessing
import Wire

/// The oracle's ground truth of a session, gathered while the harness feeds the quantum-layer
/// interfaces: the signal-class sifted bits of both ends in the order the reference protocol
/// sifts them (block by block, detection by detection: bases equal and Alice's intensity class 0),
/// and where each block's bits start. With the frame size, frame f of a stack that sifts like
/// the reference is bits [f·n, (f+1)·n): the harness knows every frame's true errors.
package struct SessionTruth: Sendable {
    package private(set) var alice = BitKey(count: 0)
    package private(set) var bob = BitKey(count: 0)
    /// Sifted bits before each block, and (last) the total.
    package private(set) var siftedBeforeBlock: [Int] = []

    package init() {}

    /// Appends one block's sifted signal bits.
    package mutating func record(alice a: QuantumLayerBlock, bob b: QuantumLayerBlock) {
        if siftedBeforeBlock.isEmpty { siftedBeforeBlock.append(0) }
        let d = min(a.offsets.count, b.offsets.count)
        for i in 0..<d where a.bases[i] == b.bases[i] {
            // Two bits of Alice's intensity class per detection, low bit first; 0 = signal.
            guard a.extra[2 * i] == 0, a.extra[2 * i + 1] == 0 else { continue }
            alice.append(a.bits[i])
            bob.append(b.bits[i])
        }
        siftedBeforeBlock.append(alice.count)
    }

    /// Sifted signal bits in the session.
    package var siftedBits: Int { alice.count }

    /// Errors (Alice's bit ≠ Bob's) among sifted bits `range`.
    package func errors(in range: Range<Int>) -> Int {
        let r = range.clamped(to: 0..<alice.count)
        guard !r.isEmpty else { return 0 }
        return alice.slice(r).hammingDistance(to: bob.slice(r))
    }

    /// The sifted-bit range of frame `frame` when frames are `frameBits` long.
    package func frameRange(_ frame: Int, frameBits: Int) -> Range<Int>? {
        let start = frame * frameBits
        guard frameBits > 0, start + frameBits <= alice.count else { return nil }
        return start..<(start + frameBits)
    }

    /// The blocks frame `range` draws its bits from.
    package func blocks(of range: Range<Int>) -> ClosedRange<Int> {
        let first = (siftedBeforeBlock.lastIndex { $0 <= range.lowerBound } ?? 0)
        let last = (siftedBeforeBlock.lastIndex { $0 < range.upperBound } ?? first)
        return min(first, last)...max(first, last)
    }

    /// Whole frames the session's sifted bits make.
    package func frameCount(frameBits: Int) -> Int { frameBits > 0 ? alice.count / frameBits : 0 }
}
