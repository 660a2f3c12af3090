import Dispatch
import Foundation
import QKDMath

/// The public per-pass shuffles of a Cascade session: pass p looks at the frame in the order
/// `order[p]` (position → frame index); `position[p]` is the inverse.
///
/// Drawn once per session from the session's permutation seed with Fisher–Yates over a Philox
/// stream (index = frame length, stream = "CASC" + pass): for i from n − 1 down to 1, swap i with
/// j = nextInt(below: i + 1). The shuffles are public; drawing them once per session, not per
/// frame, saves their cost on every frame and gives Eve nothing.
public final class CascadePermutations: Sendable {
    public let frameBits: Int
    public let order: [[Int32]]
    public let position: [[Int32]]
    /// Per pass, the frame indices that land in the first half [0, ⌊n/2⌋) of the pass's order,
    /// as a mask: the parity of a half-frame block is then a masked popcount, not n/2 gathers.
    let firstHalfMask: [BitKey]
    /// `position` interleaved by frame index: entry `j · passes + p` is `position[p][j]`. A bit
    /// Cascade flips moves in every pass at once, and this way its positions in all passes share
    /// one cache line instead of costing a miss per pass.
    let positionsOfIndex: [Int32]
    /// Number of passes drawn.
    public var passes: Int { order.count }

    public init(frameBits n: Int, passes: Int, seed: UInt64) {
        frameBits = n
        // Each pass's shuffle is independent of the others: draw them on every core.
        let drawn = ConcurrentSlots<(order: [Int32], position: [Int32], mask: BitKey)>(count: passes)
        DispatchQueue.concurrentPerform(iterations: passes) { p in drawn.store(p, Self.pass(p, frameBits: n, seed: seed)) }
        let all = drawn.values
        order = all.map(\.order)
        let inverses = all.map(\.position)
        position = inverses
        firstHalfMask = all.map(\.mask)
        positionsOfIndex = [Int32](unsafeUninitializedCapacity: n * passes) { out, count in
            for p in 0..<passes {
                inverses[p].withUnsafeBufferPointer { inv in
                    for j in 0..<n { out[j * passes + p] = inv[j] }
                }
            }
            count = n * passes
        }
    }

    /// Pass `p`'s shuffle, its inverse and its first-half mask.
    static func pass(_ p: Int, frameBits n: Int, seed: UInt64) -> (order: [Int32], position: [Int32], mask: BitKey) {
        var o = (0..<n).map { Int32($0) }
        var stream = PhiloxStream(seed: seed, index: UInt64(n), stream: 0x4341_5343 &+ UInt32(p))
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(stream.nextInt(below: UInt32(i + 1)))
                o.swapAt(i, j)
            }
        }
        var inv = [Int32](repeating: 0, count: n)
        for (pos, idx) in o.enumerated() { inv[Int(idx)] = Int32(pos) }
        var mask = BitKey(count: n)
        for pos in 0..<n / 2 { mask[Int(o[pos])] = 1 }
        return (o, inv, mask)
    }
}

extension CascadePermutations {
    /// Checks that these shuffles fit a frame of `frameBits` bits run with `variant`: the check
    /// both parties make before their first message.
    func validate(frameBits n: Int, variant: CascadeVariant) throws(PostProcessingError) {
        guard frameBits == n else {
            throw .lengthMismatch(what: "Cascade permutations", expected: n, actual: frameBits)
        }
        guard order.count >= variant.passes else {
            throw .invalidParameter(name: "permutations", reason: "\(variant.passes) passes needed, \(order.count) given")
        }
    }

    /// The parity of `key` over positions [start, end) of pass `pass`: a masked popcount for the
    /// first half-frame block, and for a block that starts at the half and runs to (or nearly to)
    /// the end, the key's parity minus the first half's and the short tail's; a gather otherwise.
    /// (An odd frame cut into half-frame blocks has a third block of one bit: the second block's
    /// parity would otherwise cost a gather of half the frame, on both sides, in every pass.)
    @inline(__always)
    func parity(of key: BitKey, pass: Int, start: Int, end: Int) -> UInt8 {
        let half = frameBits / 2
        if start == 0 && end == half { return key.parity(maskedBy: firstHalfMask[pass]) }
        if start == half && frameBits - end < end - start {
            var p = key.parity ^ key.parity(maskedBy: firstHalfMask[pass])
            if end < frameBits { p ^= key.gatheredParity(order: order[pass], range: end..<frameBits) }
            return p
        }
        return key.gatheredParity(order: order[pass], range: start..<end)
    }
}

extension BitKey {
    /// The parity of the bits selected by `mask` (same length).
    @inline(__always)
    func parity(maskedBy mask: BitKey) -> UInt8 {
        words.withUnsafeBufferPointer { w in
            mask.words.withUnsafeBufferPointer { m in
                var acc: UInt64 = 0
                for i in 0..<w.count { acc ^= w[i] & m[i] }
                return UInt8(acc.nonzeroBitCount & 1)
            }
        }
    }
}
