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
// @unchecked Sendable: every table, `positionsOfIndex`'s memory included, is written in `init` and
// only read afterwards.
public final class CascadePermutations: @unchecked Sendable {
    public let frameBits: Int
    public let order: [[Int32]]
    public let position: [[Int32]]
    /// Per pass, the frame indices that land in the first half [0, ⌊n/2⌋) of the pass's order,
    /// as a mask: the parity of a half-frame block is then a masked popcount, not n/2 gathers.
    let firstHalfMask: [BitKey]
    /// `position` interleaved by frame index: entry `j · positionStride + p` is `position[p][j]`.
    /// A bit Cascade flips moves in every pass at once, and this way its positions in all passes
    /// share one cache line instead of costing a miss per pass: the stride is the number of passes
    /// rounded up to a power of two, and the table starts on a 64-byte boundary, so that no
    /// index's entries straddle two lines (up to 16 passes).
    let positionsOfIndex: UnsafePointer<Int32>
    let positionStride: Int
    /// Compact tables for the bit Cascade flips, in frames of at most `maximumCompactFrameBits`
    /// bits (nil above): the flip's two dependent loads (the flipped bit's frame index, then its
    /// places in the other passes) then read tables of 2n + 10n bytes instead of 4n + 64n, which
    /// stay in cache. `order16` is `order`, 16 bits an entry, pass p at entry p · n.
    let order16: UnsafePointer<UInt16>?
    /// Per frame index j, `position[p][j]` of passes 0 ... 3 as four 16-bit fields of one word
    /// (pass p at bits 16p; 0 for a pass not drawn): the passes of small blocks, which keep
    /// permuted copies, in every schedule.
    let lowPassPositions: UnsafePointer<UInt64>?
    /// Per frame index j, 2 bits a pass for passes 0 ... 15 (pass p at bits 2p): the half-frame
    /// block that j lands in, `position[p][j] / ⌊n/2⌋` (0, 1, or 2 for an odd frame's last
    /// position). A pass of half-frame blocks searched through the node masks needs no more.
    let halfFrameBlocks: UnsafePointer<UInt32>?
    /// Masks of the upper nodes of the binary searches in half-frame blocks (blocks [0, ⌊n/2⌋)
    /// and [⌊n/2⌋, 2⌊n/2⌋)), so that a search there asks and checks the parity of a large range by
    /// a masked popcount of the unpermuted key instead of a gather or a permuted copy. Per pass
    /// (empty for passes 0 and 1, whose blocks are far below half a frame in every schedule):
    /// `halfFrameNodeWords` words per node, node (block b, heap index h) at slot b · 2^(D+1) + h
    /// for heap indices 1 ..< 2^(D+1), D = `halfFrameNodeDepth` (root 1, children 2h and 2h + 1,
    /// subdivided as the searches do: the left half takes the middle bit of an odd range).
    let halfFrameNodeMasks: [[UInt64]]
    /// The depth of the deepest masked node (-1: none). Nodes stop at about n/32 bits, where a
    /// gather costs no more than a masked popcount; at most 5 levels keep the tables near 80 KB
    /// per pass for 10 000-bit frames (about 8n bytes a pass; none above
    /// `maximumMaskedFrameBits`).
    let halfFrameNodeDepth: Int
    /// Words per node mask.
    let halfFrameNodeWords: Int
    /// Number of passes drawn.
    public var passes: Int { order.count }

    public init(frameBits n: Int, passes: Int, seed: UInt64) {
        frameBits = n
        // Each pass's shuffle is independent of the others: draw them on every core.
        let depth = Self.halfFrameNodeDepth(frameBits: n)
        halfFrameNodeDepth = depth
        halfFrameNodeWords = (n + 63) / 64
        let drawn = ConcurrentSlots<(order: [Int32], position: [Int32], mask: BitKey, nodes: [UInt64])>(count: passes)
        DispatchQueue.concurrentPerform(iterations: passes) { p in
            let (order, position, mask) = Self.pass(p, frameBits: n, seed: seed)
            let nodes = p >= 2 ? Self.halfFrameNodeMasks(order: order, depth: depth) : []
            drawn.store(p, (order, position, mask, nodes))
        }
        let all = drawn.values
        halfFrameNodeMasks = all.map(\.nodes)
        order = all.map(\.order)
        let inverses = all.map(\.position)
        position = inverses
        firstHalfMask = all.map(\.mask)
        var stride = 1
        while stride < passes { stride <<= 1 }
        positionStride = stride
        let table = UnsafeMutableRawPointer.allocate(byteCount: max(1, n * stride) * MemoryLayout<Int32>.stride, alignment: 64)
            .bindMemory(to: Int32.self, capacity: max(1, n * stride))
        table.initialize(repeating: 0, count: max(1, n * stride))
        for p in 0..<passes {
            inverses[p].withUnsafeBufferPointer { inv in
                for j in 0..<n { table[j * stride + p] = inv[j] }
            }
        }
        positionsOfIndex = UnsafePointer(table)
        if n >= 2 && n <= Self.maximumCompactFrameBits {
            let order16 = UnsafeMutablePointer<UInt16>.allocate(capacity: n * passes)
            let low = Self.allocateAligned(UInt64.self, count: n)
            let blocks = Self.allocateAligned(UInt32.self, count: n)
            low.initialize(repeating: 0, count: n)
            blocks.initialize(repeating: 0, count: n)
            let half = n / 2
            for p in 0..<passes {
                let o = all[p].order, inv = inverses[p]
                for pos in 0..<n { (order16 + p * n + pos).initialize(to: UInt16(truncatingIfNeeded: o[pos])) }
                for j in 0..<n {
                    let pos = Int(inv[j])
                    if p < 4 { low[j] |= UInt64(pos) << UInt64(16 * p) }
                    if p < 16 { blocks[j] |= UInt32(pos / half) << UInt32(2 * p) }
                }
            }
            self.order16 = UnsafePointer(order16)
            lowPassPositions = UnsafePointer(low)
            halfFrameBlocks = UnsafePointer(blocks)
        } else {
            order16 = nil
            lowPassPositions = nil
            halfFrameBlocks = nil
        }
    }

    deinit {
        positionsOfIndex.deallocate()
        order16?.deallocate()
        lowPassPositions?.deallocate()
        halfFrameBlocks?.deallocate()
    }

    /// Frames up to this size get the compact flip tables (`order16`, `lowPassPositions`,
    /// `halfFrameBlocks`): every position and index fits 16 bits.
    static let maximumCompactFrameBits = 1 << 16

    /// Memory for `count` values starting on a 64-byte boundary (a table's entries then never
    /// straddle two cache lines).
    private static func allocateAligned<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64).bindMemory(to: T.self, capacity: max(1, count))
    }

    /// Frames above this size get no node masks (they would take about 8n bytes a pass: 8 MB
    /// a pass at 2²⁰ bits); their passes of huge blocks keep permuted copies instead.
    static let maximumMaskedFrameBits = 1 << 16

    /// The depth of the masked half-frame nodes for an n-bit frame (see `halfFrameNodeMasks`).
    static func halfFrameNodeDepth(frameBits n: Int) -> Int {
        let half = n / 2
        guard half >= 64, n <= maximumMaskedFrameBits else { return -1 }
        var d = 0
        while d < 5 && half >> (d + 1) >= max(64, n / 32) { d += 1 }
        return d
    }

    /// The node masks of one pass (layout in `halfFrameNodeMasks`): each deepest node's bits are
    /// set from the shuffle, and every node above is the OR of its two children.
    static func halfFrameNodeMasks(order: [Int32], depth: Int) -> [UInt64] {
        guard depth >= 0 else { return [] }
        let n = order.count, half = n / 2, wordsPerNode = (n + 63) / 64, slotsPerBlock = 2 << depth
        var masks = [UInt64](repeating: 0, count: 2 * slotsPerBlock * wordsPerNode)
        masks.withUnsafeMutableBufferPointer { m in
            for b in 0..<2 {
                // Walk the subdivision down to `depth`; the deepest nodes take their bits.
                var ranges = [(start: b * half, end: (b + 1) * half)]
                for _ in 0..<depth {
                    ranges = ranges.flatMap { r in
                        let mid = r.start + (r.end - r.start + 1) / 2
                        return [(r.start, mid), (mid, r.end)]
                    }
                }
                let firstDeepest = 1 << depth
                for (i, r) in ranges.enumerated() {
                    let base = (b * slotsPerBlock + firstDeepest + i) * wordsPerNode
                    for pos in r.start..<r.end {
                        let j = Int(order[pos])
                        m[base + j >> 6] |= 1 << UInt64(j & 63)
                    }
                }
                for h in stride(from: firstDeepest - 1, through: 1, by: -1) {
                    let node = (b * slotsPerBlock + h) * wordsPerNode
                    let left = (b * slotsPerBlock + 2 * h) * wordsPerNode, right = left + wordsPerNode
                    for w in 0..<wordsPerNode { m[node + w] = m[left + w] | m[right + w] }
                }
            }
        }
        return masks
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

    /// The mask slot of [start, end) in pass `pass` if it is one of the masked nodes of a
    /// half-frame block's subdivision, else nil (found by walking down from the block).
    @inline(__always)
    func halfFrameNode(pass: Int, start: Int, end: Int) -> Int? {
        let depth = halfFrameNodeDepth
        guard depth >= 0, pass < halfFrameNodeMasks.count, !halfFrameNodeMasks[pass].isEmpty else { return nil }
        let half = frameBits / 2
        var s: Int, e: Int, block: Int
        if end <= half {
            (s, e, block) = (0, half, 0)
        } else if start >= half && end <= 2 * half {
            (s, e, block) = (half, 2 * half, 1)
        } else {
            return nil
        }
        var node = 1
        for level in 0...depth {
            if s == start && e == end { return block << (depth + 1) | node }
            guard level < depth else { break }
            let mid = s + (e - s + 1) / 2
            if end <= mid {
                e = mid
                node = 2 * node
            } else if start >= mid {
                s = mid
                node = 2 * node + 1
            } else {
                return nil
            }
        }
        return nil
    }

    /// The parity of `key` over positions [start, end) of pass `pass`: a masked popcount for an
    /// upper node of a half-frame block's subdivision and for the first half-frame block; for a
    /// block that starts at the half and runs to (or nearly to) the end, the key's parity minus
    /// the first half's and the short tail's; a gather otherwise. (An odd frame cut into
    /// half-frame blocks has a third block of one bit: the second block's parity would otherwise
    /// cost a gather of half the frame, on both sides, in every pass.)
    @inline(__always)
    func parity(of key: BitKey, pass: Int, start: Int, end: Int) -> UInt8 {
        key.words.withUnsafeBufferPointer { parity(ofWords: $0, keyParity: nil, pass: pass, start: start, end: end) }
    }

    /// `parity(of:pass:start:end:)` of the key whose words are `w` (bits past the frame zero);
    /// `keyParity`, when the caller keeps it, saves a pass over the key.
    func parity(ofWords w: UnsafeBufferPointer<UInt64>, keyParity: UInt8?, pass: Int, start: Int, end: Int) -> UInt8 {
        if let slot = halfFrameNode(pass: pass, start: start, end: end) {
            return halfFrameNodeMasks[pass].withUnsafeBufferPointer { m in
                BitKey.parity(of: w, maskedBy: m, offset: slot * halfFrameNodeWords)
            }
        }
        let half = frameBits / 2
        if start == 0 && end == half {
            return firstHalfMask[pass].words.withUnsafeBufferPointer { BitKey.parity(of: w, maskedBy: $0, offset: 0) }
        }
        if start == half && frameBits - end < end - start {
            let whole = keyParity ?? UInt8(truncatingIfNeeded: w.reduce(0, ^).nonzeroBitCount & 1)
            var p = whole ^ firstHalfMask[pass].words.withUnsafeBufferPointer { BitKey.parity(of: w, maskedBy: $0, offset: 0) }
            if end < frameBits { p ^= BitKey.gatheredParity(of: w, order: order[pass], range: end..<frameBits) }
            return p
        }
        return BitKey.gatheredParity(of: w, order: order[pass], range: start..<end)
    }

    /// Whether a pass cut into `blockSize`-bit blocks searches them through the half-frame node
    /// masks (so neither party needs a permuted copy of the key for it).
    func searchesByNodeMasks(pass: Int, blockSize k: Int) -> Bool {
        halfFrameNodeDepth >= 0 && k == frameBits / 2 && pass < halfFrameNodeMasks.count && !halfFrameNodeMasks[pass].isEmpty
    }
}

extension BitKey {
    /// The parity of the bits of `w` selected by the mask at words `offset ..< offset + w.count`
    /// of `m`.
    @inline(__always)
    static func parity(of w: UnsafeBufferPointer<UInt64>, maskedBy m: UnsafeBufferPointer<UInt64>, offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset + w.count <= m.count, "mask outside its table")
        let m = UnsafeBufferPointer(rebasing: m[offset..<offset + w.count])
        var acc: UInt64 = 0
        for i in 0..<w.count { acc ^= w[i] & m[i] }
        return UInt8(acc.nonzeroBitCount & 1)
    }
}
