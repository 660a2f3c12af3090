/// Bob's side of Cascade: he asks Alice for parities, runs the binary searches, flips the bits
/// they find, and follows every flip into the blocks of the other passes that it unbalances (the
/// cascade).
///
/// Every flip is provably correct: a search always stands on a range whose Alice parity is known
/// and differs from Bob's current parity, and re-checks that before each step, so a range that
/// another flip has already repaired is dropped instead of "corrected" into an error. That makes
/// it safe to run every open search at once and batch their queries into one message per round.
///
/// The top-level parities of every pass are asked in the first request: Alice's key never changes,
/// so they do not depend on anything Bob learns, and a pass then starts without a round trip (a
/// pass whose blocks all balance costs none at all). The passes are still searched one after the
/// other, exactly as in the sequential protocol, so the parities disclosed are the same; only
/// the number of round trips falls.
///
/// One parity per pass is never asked: every pass permutes the same key, so after the first reply
/// Bob knows the parity of Alice's whole key (the XOR of pass 1's blocks), and the last block of
/// each later pass is that parity XOR the others.
public struct CascadeInitiator: Sendable {
    public let variant: CascadeVariant
    public let estimatedQBER: Double
    private let permutations: CascadePermutations
    /// Bob's key, corrected as the protocol runs.
    public private(set) var key: BitKey
    // The passes' state is flat, one array of each kind for all passes instead of one per pass,
    // so a flip that touches every pass pays no copy-on-write check per pass.
    /// Permuted copies of Bob's key, back to back; `copyBase[p]` is pass p's first word, -1 while
    /// the pass has none, or -2 for a pass searched through the half-frame node masks of the
    /// permutations, which never needs one.
    private var permutedWords: [UInt64] = []
    private var copyBase: [Int] = []
    private var blockSizes: [Int] = []
    /// ⌊2⁴⁰ / k⌋ + 1 per pass: a flip finds its block in every pass by a multiply, not a division.
    private var blockReciprocals: [UInt64] = []
    /// Pass p's blocks are flat blocks `blockBase[p] ..< blockBase[p] + blockCount(p)`.
    private var blockBase: [Int] = []
    /// Alice's and Bob's parities of every top-level block, by flat block (Bob's are kept from the
    /// moment a pass starts).
    private var topParity: [UInt8] = []
    private var bobTopParity: [UInt8] = []
    /// Flat blocks with a binary search under way, as a bitset.
    private var searching: [UInt64] = []
    private var aliceKeyParity: UInt8 = 0
    /// Passes whose searches have started (their Bob parities are tracked); the others wait.
    private var activePasses = 0
    /// Alice's parities of the sub-blocks that binary searches asked for, so that a block searched
    /// again after a cascade asks only what it does not know. For passes of small blocks (where
    /// nearly all searches run) they sit in a tree per block, 2 bits a node (known, parity) at the
    /// node's heap index (root 1, children 2h and 2h + 1): a search's nodes share a cache line or
    /// two. Passes of huge blocks use a hash map by (pass, start, end) instead, which needs no
    /// space for the nodes never asked.
    private var treeBits: [UInt64] = []
    /// Per pass: the first 2-bit slot of its trees in `treeBits`, -1 before the pass's first
    /// search, or -2 when its blocks are too large for trees.
    private var treeBase: [Int] = []
    private var treeNodes: [Int] = []
    private var knownParity = ParityCache(capacity: 1024)
    /// Blocks larger than this many tree nodes keep their parities in the hash map.
    static let maximumTreeNodes = 1 << 14
    /// The queries of the request under way, and (after the first request, which asks only
    /// top-level parities) the search each one continues. The request shares `pendingQueries`'s
    /// storage, reused when the caller has let go of the request.
    private var pendingQueries: [ParityQuery] = []
    private var pendingSearches: [Search] = []
    /// Storage for the searches to advance, kept across rounds.
    private var scratch: [Search] = []
    private var round: UInt32 = 0
    public private(set) var disclosedParityBits = 0
    public private(set) var correctedBits = 0
    /// Request/reply round trips so far.
    public private(set) var rounds = 0
    public private(set) var isFinished = false
    /// Search steps left. Honest parities end every search in a flip that removes an error, so
    /// the work is bounded; parities that contradict each other (a faulty or hostile Alice) could
    /// otherwise send Bob round in circles forever.
    private var stepBudget: Int

    /// The largest frame the (pass, start, end) cache key can address.
    public static let maximumFrameBits = (1 << 24) - 1

    private struct Search {
        var pass: Int
        var block: Int
        var start: Int
        var end: Int
        var aliceParity: UInt8
        /// Heap index of [start, end) in its block's binary subdivision (the block is 1).
        var node: Int = 1
    }

    public init(key: BitKey, variant: CascadeVariant, estimatedQBER: Double, permutations: CascadePermutations) throws(PostProcessingError) {
        guard key.count >= 1, key.count <= Self.maximumFrameBits else {
            throw .invalidParameter(name: "frame length", reason: "Cascade frames must hold 1 ... \(Self.maximumFrameBits) bits, got \(key.count)")
        }
        guard estimatedQBER > 0, estimatedQBER < 0.5 else {
            throw .invalidParameter(name: "estimated QBER", reason: "must lie in (0, 0.5), got \(estimatedQBER)")
        }
        try permutations.validate(frameBits: key.count, variant: variant)
        self.key = key
        self.variant = variant
        self.estimatedQBER = estimatedQBER
        self.permutations = permutations
        stepBudget = 64 * key.count * variant.passes + 1_000_000
    }

    /// The first request: the top-level parities of every pass (all of pass 1's blocks, all but
    /// the last of each later pass's).
    public mutating func start() -> CascadeRequest {
        precondition(round == 0 && pendingQueries.isEmpty && blockSizes.isEmpty, "start() is called once")
        let n = key.count
        for p in 0..<variant.passes {
            let k = variant.blockSize(pass: p, qber: estimatedQBER, frameBits: n)
            let blocks = (n + k - 1) / k
            blockSizes.append(k)
            blockReciprocals.append((1 << 40) / UInt64(k) + 1)
            blockBase.append(topParity.count)
            copyBase.append(permutations.searchesByNodeMasks(pass: p, blockSize: k) ? -2 : -1)
            treeBase.append(-1)
            treeNodes.append(0)
            topParity.append(contentsOf: repeatElement(0, count: blocks))
            let asked = p == 0 ? blocks : blocks - 1
            for b in 0..<asked {
                pendingQueries.append(ParityQuery(pass: p, start: b * k, end: min((b + 1) * k, n)))
            }
        }
        bobTopParity = [UInt8](repeating: 0, count: topParity.count)
        searching = [UInt64](repeating: 0, count: (topParity.count + 63) / 64)
        // Room for the copies and search trees of the passes that nearly always search (those
        // of small blocks) and a few more, so that they are not moved as they grow.
        var copies = 0, trees = 0
        for p in 0..<variant.passes where CascadeVariant.keepsPermutedCopy(blockSize: blockSizes[p], frameBits: n) {
            copies += 1
            let k = blockSizes[p], depth = k <= 1 ? 0 : Int.bitWidth - (k - 1).leadingZeroBitCount
            trees += (blockCount(p) << (depth + 1) + 31) / 32
        }
        permutedWords.reserveCapacity((copies + 2) * ((n + 63) / 64))
        treeBits.reserveCapacity(trees + 4 * ((n + 63) / 64))
        return CascadeRequest(round: round, queries: pendingQueries)
    }

    /// Takes Alice's reply and returns the next request, or nil when reconciliation is complete.
    /// A reply for another round, or with a different number of parities than queries asked, is
    /// a protocol violation.
    public mutating func receive(_ reply: CascadeReply) throws(PostProcessingError) -> CascadeRequest? {
        guard !isFinished else { throw .protocolViolation("Cascade reply after reconciliation finished") }
        guard reply.round == round else {
            throw .protocolViolation("Cascade reply for round \(reply.round), round \(round) expected")
        }
        let asked = pendingQueries.count
        guard reply.parities.count == asked else {
            throw .protocolViolation("\(reply.parities.count) parities for \(asked) queries: a reply for blocks never asked")
        }
        var stack = [Search]()
        swap(&stack, &scratch)
        // Read straight from the reply's words; no closure, so no capture of `self` (whose
        // arrays must stay uniquely referenced to be updated in place).
        let bits = reply.parities.words
        @inline(__always) func bit(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: bits[i >> 6] >> UInt64(i & 63)) & 1 }
        if round == 0 {
            // Only the first request asks top-level parities, pass by pass, block by block (all of
            // pass 1's blocks, all but the last of each later pass's); passes start once it is in.
            var i = 0
            for p in 0..<blockBase.count {
                let count = blockCount(p), base = blockBase[p]
                for b in 0..<(p == 0 ? count : count - 1) {
                    topParity[base + b] = bit(i)
                    i += 1
                }
            }
        } else {
            // Every later query is the left half of a search's range: remember Alice's answer and
            // take the search up again, in the order asked.
            for i in 0..<asked {
                let q = pendingQueries[i]
                remember(bit(i), search: pendingSearches[i], leftStart: Int(q.start), leftEnd: Int(q.end))
            }
            swap(&stack, &pendingSearches)
        }
        disclosedParityBits += asked
        pendingQueries.removeAll(keepingCapacity: true)
        if round == 0 {
            let pass0 = blockBase.count > 1 ? blockBase[1] : topParity.count
            aliceKeyParity = topParity[0..<pass0].reduce(0, ^)
            for p in 1..<max(1, variant.passes) { inferLastBlock(pass: p) }
        }
        round += 1
        rounds += 1
        try advance(&stack)
        // The next pass starts when the earlier ones have nothing left to ask.
        while pendingQueries.isEmpty {
            guard activePasses < variant.passes else {
                isFinished = true
                scratch = stack
                return nil
            }
            activateNextPass(&stack)
            try advance(&stack)
        }
        scratch = stack
        return CascadeRequest(round: round, queries: pendingQueries)
    }

    // MARK: Internals

    @inline(__always)
    private static func cacheKey(_ pass: Int, _ start: Int, _ end: Int) -> UInt64 {
        UInt64(pass) << 48 | UInt64(start) << 24 | UInt64(end)
    }

    @inline(__always)
    private func bobParity(_ pass: Int, _ start: Int, _ end: Int) -> UInt8 {
        let base = copyBase[pass]
        if base >= 0 { return permutedWords.withUnsafeBufferPointer { BitKey.parity(of: $0, base: base, start..<end) } }
        return Self.parityWithoutCopy(permutations, key, pass, start, end)
    }

    /// Bob's parity in a pass without a permuted copy (node masks or a gather): out of line, so
    /// that the search loop keeps the copy's fast path inlined, and static, so that calling it
    /// from a mutating method does not copy the whole initiator.
    @inline(never)
    private static func parityWithoutCopy(_ permutations: CascadePermutations, _ key: BitKey, _ pass: Int, _ start: Int, _ end: Int) -> UInt8 {
        permutations.parity(of: key, pass: pass, start: start, end: end)
    }

    @inline(__always)
    private func blockRange(pass: Int, block: Int) -> (Int, Int) {
        let k = blockSizes[pass]
        return (block * k, min((block + 1) * k, key.count))
    }

    private func blockCount(_ pass: Int) -> Int {
        (pass + 1 < blockBase.count ? blockBase[pass + 1] : topParity.count) - blockBase[pass]
    }

    private mutating func openIfUnbalanced(pass: Int, block: Int, _ work: inout [Search]) {
        let fb = blockBase[pass] + block
        guard bobTopParity[fb] != topParity[fb] else { return }
        let bit: UInt64 = 1 << UInt64(fb & 63)
        guard searching[fb >> 6] & bit == 0 else { return }
        searching[fb >> 6] |= bit
        let (start, end) = blockRange(pass: pass, block: block)
        work.append(Search(pass: pass, block: block, start: start, end: end, aliceParity: topParity[fb]))
    }

    /// The last block of a later pass: Alice's key parity XOR the pass's other blocks.
    private mutating func inferLastBlock(pass p: Int) {
        let base = blockBase[p], last = blockCount(p) - 1
        var parity = aliceKeyParity
        for b in 0..<last { parity ^= topParity[base + b] }
        topParity[base + last] = parity
    }

    /// Gives pass `p` its blocks' parity trees, or marks it as using the hash map.
    private mutating func makeTrees(pass p: Int) {
        let k = blockSizes[p]
        let depth = k <= 1 ? 0 : Int.bitWidth - (k - 1).leadingZeroBitCount
        let nodes = 1 << (depth + 1)
        guard nodes <= Self.maximumTreeNodes else {
            treeBase[p] = -2
            return
        }
        treeNodes[p] = nodes
        treeBase[p] = treeBits.count * 32
        treeBits.append(contentsOf: repeatElement(0, count: (blockCount(p) * nodes + 31) / 32))
    }

    /// Alice's parity of the left half [leftStart, leftEnd) of the search's range, if known.
    @inline(__always)
    private func known(search s: Search, leftStart: Int, leftEnd: Int) -> UInt8? {
        let base = treeBase[s.pass]
        if base < 0 { return knownParity.value(for: Self.cacheKey(s.pass, leftStart, leftEnd)) }
        let slot = base + s.block * treeNodes[s.pass] + 2 * s.node
        let bits = treeBits[slot >> 5] >> UInt64(2 * (slot & 31))
        return bits & 1 == 0 ? nil : UInt8(truncatingIfNeeded: bits >> 1) & 1
    }

    /// Records Alice's answer for the left half of the search's range.
    @inline(__always)
    private mutating func remember(_ parity: UInt8, search s: Search, leftStart: Int, leftEnd: Int) {
        let base = treeBase[s.pass]
        if base < 0 {
            knownParity.set(parity, for: Self.cacheKey(s.pass, leftStart, leftEnd))
            return
        }
        let slot = base + s.block * treeNodes[s.pass] + 2 * s.node
        treeBits[slot >> 5] |= UInt64(1 | (parity & 1) << 1) << UInt64(2 * (slot & 31))
    }

    /// Gives pass `p` a permuted copy of Bob's key (fast sub-range parities).
    private mutating func makeCopy(pass p: Int) {
        let base = permutedWords.count, wordCount = (key.count + 63) / 64
        permutedWords.append(contentsOf: repeatElement(0, count: wordCount))
        // Taken out first: the closure then captures no part of `self`.
        let words = key.words, count = key.count, inverse = permutations.position[p]
        permutedWords.withUnsafeMutableBufferPointer { w in
            BitKey.scatter(words, count: count, inverse: inverse, into: UnsafeMutableBufferPointer(rebasing: w[base..<base + wordCount]))
        }
        copyBase[p] = base
    }

    /// Starts the next pass: Bob's parities of its blocks (all but the last directly, the last
    /// from his key's parity), and a search in every block whose parity differs from Alice's.
    private mutating func activateNextPass(_ work: inout [Search]) {
        let p = activePasses
        let n = key.count, k = blockSizes[p], blocks = blockCount(p), base = blockBase[p]
        if CascadeVariant.keepsPermutedCopy(blockSize: k, frameBits: n) { makeCopy(pass: p) }
        var sum: UInt8 = 0
        for b in 0..<blocks - 1 {
            let parity = bobParity(p, b * k, (b + 1) * k)
            bobTopParity[base + b] = parity
            sum ^= parity
        }
        bobTopParity[base + blocks - 1] = key.parity ^ sum
        activePasses += 1
        for b in 0..<blocks { openIfUnbalanced(pass: p, block: b, &work) }
    }

    /// Runs the searches on `stack` (last first, and every search they open) until each has
    /// flipped its bit, found its range repaired, or asked Alice a parity. Leaves `stack` empty.
    private mutating func advance(_ stack: inout [Search]) throws(PostProcessingError) {
        while var s = stack.popLast() {
            // A binary search needs fast sub-range parities: give its pass a permuted copy (unless
            // the permutations' node masks serve it).
            if copyBase[s.pass] == -1 { makeCopy(pass: s.pass) }
            if treeBase[s.pass] == -1 { makeTrees(pass: s.pass) }
            try spendStep()
            if bobParity(s.pass, s.start, s.end) == s.aliceParity {
                finish(s, &stack)  // another flip already repaired this range
                continue
            }
            // From here on the range stays unbalanced: each step keeps the half whose parities
            // differ, and no bit flips before the search stops, so it is not checked again.
            while true {
                if s.end - s.start == 1 {
                    flip(pass: s.pass, position: s.start, &stack)
                    finish(s, &stack)
                    break
                }
                let mid = s.start + (s.end - s.start + 1) / 2
                if let left = known(search: s, leftStart: s.start, leftEnd: mid) {
                    // The left half's Alice parity is known from an earlier search: no question needed.
                    if bobParity(s.pass, s.start, mid) != left {
                        s.end = mid
                        s.aliceParity = left
                        s.node = 2 * s.node
                    } else {
                        s.start = mid
                        s.aliceParity ^= left
                        s.node = 2 * s.node + 1
                    }
                    try spendStep()
                    continue
                }
                pendingQueries.append(ParityQuery(pass: s.pass, start: s.start, end: mid))
                pendingSearches.append(s)
                break
            }
        }
    }

    /// Counts one search step against the budget.
    @inline(__always)
    private mutating func spendStep() throws(PostProcessingError) {
        stepBudget -= 1
        guard stepBudget > 0, correctedBits <= key.count else {
            throw .protocolViolation("Alice's parities contradict each other: reconciliation does not converge")
        }
    }

    /// Ends a search; if its top-level block is still unbalanced, searches it again.
    private mutating func finish(_ s: Search, _ stack: inout [Search]) {
        let fb = blockBase[s.pass] + s.block
        searching[fb >> 6] &= ~(1 << UInt64(fb & 63))
        openIfUnbalanced(pass: s.pass, block: s.block, &stack)
    }

    private mutating func flip(pass p: Int, position: Int, _ stack: inout [Search]) {
        let j = Int(permutations.order[p][position])
        key.flip(j)
        correctedBits += 1
        let stride = permutations.passes
        for q in 0..<activePasses {
            // The flipped bit's place in its own pass is known; a lookup in the others (a cache
            // miss, often: the table is the frame size times the passes) only when there are any.
            let pos = q == p ? position : Int(permutations.positionsOfIndex[j * stride + q])
            let base = copyBase[q]
            if base >= 0 { permutedWords[base + pos >> 6] ^= 1 << UInt64(pos & 63) }
            // ⌊pos · r / 2⁴⁰⌋ is ⌊pos / k⌋ or one more (pos < 2²⁴): one correction makes it exact.
            let k = blockSizes[q]
            var b = Int(truncatingIfNeeded: (UInt64(pos) &* blockReciprocals[q]) >> 40)
            if b * k > pos { b -= 1 }
            bobTopParity[blockBase[q] + b] ^= 1
            if q != p { openIfUnbalanced(pass: q, block: b, &stack) }
        }
    }
}
