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
// @unchecked Sendable: the pointers are into `storage`, which a copy of the initiator shares until
// one of them mutates, when that one first takes a storage of its own (copy-on-write).
public struct CascadeInitiator: @unchecked Sendable {
    public let variant: CascadeVariant
    public let estimatedQBER: Double
    private let permutations: CascadePermutations
    // Bob's tables sit in one allocation owned by `storage`, and the search loop reaches them
    // through the plain pointers below (copies of the storage's): no copy-on-write check, no
    // retain and no exclusivity check per access. The initiator is still a value: a mutating
    // entry point first gives a shared storage a copy of its own (see `makeStorageUnique`).
    private var storage: CascadeInitiatorStorage
    /// Bob's key, corrected as the protocol runs: (n + 63) / 64 words and a zero word.
    private var keyWords: UnsafeMutablePointer<UInt64>
    /// Permuted copies of Bob's key, `rowWords` words each (a zero word past the frame, so that a
    /// short range reads two words without a branch); `copyBase[p]` is pass p's first word, -1
    /// while the pass has none, or -2 for a pass searched through the half-frame node masks of
    /// the permutations, which never needs one.
    private var copies: UnsafeMutablePointer<UInt64>
    /// Per pass: block size, ⌊2⁴⁰ / k⌋ + 1 (a flip finds its block in every pass by a multiply,
    /// not a division), first flat block, number of blocks, copy base, and the first 2-bit slot
    /// of its search trees (-1 before the pass's first search, -2 when its blocks are too large
    /// for trees), the slots per tree, and the word where its trees start.
    private var blockSizes: UnsafeMutablePointer<Int>
    private var blockReciprocals: UnsafeMutablePointer<Int>
    private var blockBase: UnsafeMutablePointer<Int>
    private var blockCounts: UnsafeMutablePointer<Int>
    private var copyBase: UnsafeMutablePointer<Int>
    private var treeBase: UnsafeMutablePointer<Int>
    private var treeNodes: UnsafeMutablePointer<Int>
    private var treeWordStart: UnsafeMutablePointer<Int>
    /// Alice's and Bob's parities of every top-level block, by flat block (Bob's are kept from
    /// the moment a pass starts).
    private var topParity: UnsafeMutablePointer<UInt8>
    private var bobTopParity: UnsafeMutablePointer<UInt8>
    /// Per flat block, the number of bits flipped in it so far: a search that finds its block's
    /// count unchanged since it asked knows its range is still unbalanced without recomputing it.
    private var flipCounts: UnsafeMutablePointer<UInt32>
    /// Flat blocks with a binary search under way, as a bitset.
    private var searching: UnsafeMutablePointer<UInt64>
    /// Alice's parities of the sub-blocks that binary searches asked for, so that a block searched
    /// again after a cascade asks only what it does not know. For passes of small blocks (where
    /// nearly all searches run) they sit in a tree per block, 2 bits a node (known, parity) at the
    /// node's heap index (root 1, children 2h and 2h + 1): a search's nodes share a cache line or
    /// two. Passes of huge blocks use a hash map by (pass, start, end) instead, which needs no
    /// space for the nodes never asked.
    private var treeBits: UnsafeMutablePointer<UInt64>
    /// Empty (16 slots) until a pass of blocks too large for trees starts: most frames have none,
    /// and a map of 2 048 slots would be zeroed for nothing on every frame.
    private var knownParity = ParityCache(capacity: 0)
    /// Blocks larger than this many tree nodes keep their parities in the hash map.
    static let maximumTreeNodes = 1 << 14
    private let frameBits: Int
    private let passes: Int
    private var keyParity: UInt8
    private var aliceKeyParity: UInt8 = 0
    /// Passes whose searches have started (their Bob parities are tracked); the others wait.
    private var activePasses = 0
    /// The queries of the request under way, and (after the first request, which asks only
    /// top-level parities) the search each one continues. The request shares `pendingQueries`'s
    /// storage, reused when the caller has let go of the request.
    private var pendingQueries: [ParityQuery] = []
    /// The searches to advance (a stack: last in, first out) and the searches waiting for the
    /// reply, one per pending query: two lists of `totalBlocks` slots each, which is room enough,
    /// since a block has at most one search under way (the `searching` bitset).
    private var stack: UnsafeMutablePointer<CascadeSearch>
    private var stackCount = 0
    private var pendingSearches: UnsafeMutablePointer<CascadeSearch>
    private var pendingCount = 0
    private var round: UInt32 = 0
    private var started = false
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

    /// Bob's key, corrected as the protocol runs.
    public var key: BitKey {
        BitKey(words: Array(UnsafeBufferPointer(start: keyWords, count: (frameBits + 63) / 64)), count: frameBits)
    }

    public init(key: BitKey, variant: CascadeVariant, estimatedQBER: Double, permutations: CascadePermutations) throws(PostProcessingError) {
        guard key.count >= 1, key.count <= Self.maximumFrameBits else {
            throw .invalidParameter(name: "frame length", reason: "Cascade frames must hold 1 ... \(Self.maximumFrameBits) bits, got \(key.count)")
        }
        guard estimatedQBER > 0, estimatedQBER < 0.5 else {
            throw .invalidParameter(name: "estimated QBER", reason: "must lie in (0, 0.5), got \(estimatedQBER)")
        }
        try permutations.validate(frameBits: key.count, variant: variant)
        self.variant = variant
        self.estimatedQBER = estimatedQBER
        self.permutations = permutations
        let n = key.count
        frameBits = n
        passes = variant.passes
        keyParity = key.parity
        stepBudget = 64 * key.count * variant.passes + 1_000_000
        var sizes = [Int](), counts = [Int](), trees = [Int]()
        for p in 0..<variant.passes {
            let k = variant.blockSize(pass: p, qber: estimatedQBER, frameBits: n)
            sizes.append(k)
            counts.append((n + k - 1) / k)
            let depth = k <= 1 ? 0 : Int.bitWidth - (k - 1).leadingZeroBitCount
            let nodes = 1 << (depth + 1)
            trees.append(nodes <= Self.maximumTreeNodes ? nodes : -1)
        }
        storage = CascadeInitiatorStorage(frameBits: n, blockSizes: sizes, blockCounts: counts, treeNodes: trees, key: key)
        (keyWords, copies, blockSizes, blockReciprocals, blockBase, blockCounts, copyBase, treeBase, treeNodes, treeWordStart,
         topParity, bobTopParity, flipCounts, searching, treeBits) = storage.pointers
        stack = storage.searches
        pendingSearches = storage.searches + storage.totalBlocks
        for p in 0..<passes where permutations.searchesByNodeMasks(pass: p, blockSize: sizes[p]) { copyBase[p] = -2 }
    }

    /// Gives this initiator a storage of its own if a copy of it shares the current one.
    private mutating func makeStorageUnique() {
        guard !isKnownUniquelyReferenced(&storage) else { return }
        let stackOffset = stack - storage.searches, pendingOffset = pendingSearches - storage.searches
        storage = storage.copy(searchesFrom: pendingOffset, count: pendingCount)
        (keyWords, copies, blockSizes, blockReciprocals, blockBase, blockCounts, copyBase, treeBase, treeNodes, treeWordStart,
         topParity, bobTopParity, flipCounts, searching, treeBits) = storage.pointers
        stack = storage.searches + stackOffset
        pendingSearches = storage.searches + pendingOffset
    }

    /// The first request: the top-level parities of every pass (all of pass 1's blocks, all but
    /// the last of each later pass's).
    public mutating func start() -> CascadeRequest {
        precondition(round == 0 && pendingQueries.isEmpty && !started, "start() is called once")
        started = true
        let n = frameBits
        // One query per top-level block at most, in this request and in every later one.
        pendingQueries.reserveCapacity(storage.totalBlocks)
        for p in 0..<passes {
            let k = blockSizes[p], blocks = blockCounts[p]
            let asked = p == 0 ? blocks : blocks - 1
            for b in 0..<asked {
                pendingQueries.append(ParityQuery(pass: p, start: b * k, end: min((b + 1) * k, n)))
            }
        }
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
        makeStorageUnique()
        // Read straight from the reply's words; no closure, so no capture of `self`.
        let bits = reply.parities.words
        @inline(__always) func bit(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: bits[i >> 6] >> UInt64(i & 63)) & 1 }
        if round == 0 {
            // Only the first request asks top-level parities, pass by pass, block by block (all of
            // pass 1's blocks, all but the last of each later pass's); passes start once it is in.
            var i = 0
            for p in 0..<passes {
                let count = blockCounts[p], base = blockBase[p]
                for b in 0..<(p == 0 ? count : count - 1) {
                    topParity[base + b] = bit(i)
                    i += 1
                }
            }
        } else {
            // Every later query is the left half of a search's range: remember Alice's answer and
            // take the search up again, in the order asked.
            for i in 0..<asked { remember(bit(i), search: pendingSearches[i]) }
            swap(&stack, &pendingSearches)
            stackCount = pendingCount
            pendingCount = 0
        }
        disclosedParityBits += asked
        pendingQueries.removeAll(keepingCapacity: true)
        if round == 0 {
            var parity: UInt8 = 0
            for b in 0..<blockCounts[0] { parity ^= topParity[b] }
            aliceKeyParity = parity
            for p in 1..<max(1, passes) { inferLastBlock(pass: p) }
        }
        round += 1
        rounds += 1
        try advance()
        // The next pass starts when the earlier ones have nothing left to ask.
        while pendingQueries.isEmpty {
            guard activePasses < passes else {
                isFinished = true
                return nil
            }
            activateNextPass()
            try advance()
        }
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
        if base >= 0 { return Self.rangeParity(copies + base, start, end) }
        return Self.parityWithoutCopy(permutations, keyWords, frameBits, keyParity, pass, start, end)
    }

    /// The parity of bits [start, end) of a copy (which has a zero word past its last bit): a
    /// range of up to 64 bits reads two words without a branch.
    @inline(__always)
    private static func rangeParity(_ row: UnsafeMutablePointer<UInt64>, _ start: Int, _ end: Int) -> UInt8 {
        let length = end - start
        if length <= 64 {
            let i = start >> 6, shift = UInt64(start & 63)
            // (w << 1) << (63 - shift) is w << (64 - shift), and 0 for shift 0.
            let bits = (row[i] &>> shift | (row[i + 1] &<< 1) &<< (63 - shift)) & (~0 &>> UInt64(64 - length))
            return UInt8(bits.nonzeroBitCount & 1)
        }
        return BitKey.parityOfLongRange(UnsafeBufferPointer(start: row, count: end >> 6 + 1), base: 0, start..<end)
    }

    /// Bob's parity in a pass without a permuted copy (node masks or a gather): out of line, so
    /// that the search loop keeps the copy's fast path inlined.
    @inline(never)
    private static func parityWithoutCopy(
        _ permutations: CascadePermutations, _ key: UnsafeMutablePointer<UInt64>, _ n: Int, _ keyParity: UInt8, _ pass: Int, _ start: Int, _ end: Int
    ) -> UInt8 {
        permutations.parity(ofWords: UnsafeBufferPointer(start: key, count: (n + 63) / 64), keyParity: keyParity, pass: pass, start: start, end: end)
    }

    @inline(__always)
    private func blockRange(pass: Int, block: Int) -> (Int, Int) {
        let k = blockSizes[pass]
        return (block * k, min((block + 1) * k, frameBits))
    }

    @inline(__always)
    private mutating func openIfUnbalanced(pass: Int, block: Int) {
        let fb = blockBase[pass] + block
        guard bobTopParity[fb] != topParity[fb] else { return }
        let bit: UInt64 = 1 << UInt64(fb & 63)
        guard searching[fb >> 6] & bit == 0 else { return }
        searching[fb >> 6] |= bit
        let (start, end) = blockRange(pass: pass, block: block)
        push(CascadeSearch(pass: UInt16(truncatingIfNeeded: pass), aliceParity: topParity[fb], block: Int32(truncatingIfNeeded: block),
                           start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: end)))
    }

    @inline(__always)
    private mutating func push(_ s: CascadeSearch) {
        precondition(stackCount + pendingCount < storage.totalBlocks, "more searches than blocks")
        stack[stackCount] = s
        stackCount += 1
    }

    /// The last block of a later pass: Alice's key parity XOR the pass's other blocks.
    private mutating func inferLastBlock(pass p: Int) {
        let base = blockBase[p], last = blockCounts[p] - 1
        var parity = aliceKeyParity
        for b in 0..<last { parity ^= topParity[base + b] }
        topParity[base + last] = parity
    }

    /// Gives pass `p` its blocks' parity trees (zeroed), or marks it as using the hash map.
    private mutating func makeTrees(pass p: Int) {
        let nodes = treeNodes[p]
        guard nodes > 0 else {
            if knownParity.count == 0 { knownParity = ParityCache(capacity: 1024) }
            treeBase[p] = -2
            return
        }
        let first = treeWordStart[p], words = (blockCounts[p] * nodes + 31) / 32
        (treeBits + first).initialize(repeating: 0, count: words)
        treeBase[p] = first * 32
    }

    /// Records Alice's answer for the left half of the search's range.
    @inline(__always)
    private mutating func remember(_ parity: UInt8, search s: CascadeSearch) {
        let pass = Int(s.pass), base = treeBase[pass]
        if base < 0 {
            let start = Int(s.start), end = Int(s.end), mid = start + (end - start + 1) / 2
            knownParity.set(parity, for: Self.cacheKey(pass, start, mid))
            return
        }
        let slot = base + Int(s.block) * treeNodes[pass] + 2 * Int(s.node)
        treeBits[slot >> 5] |= UInt64(1 | (parity & 1) << 1) << UInt64(2 * (slot & 31))
    }

    /// Gives pass `p` a permuted copy of Bob's key (fast sub-range parities).
    private mutating func makeCopy(pass p: Int) {
        let row = storage.rowWords, base = p * row, wordCount = (frameBits + 63) / 64
        let key = UnsafeBufferPointer(start: keyWords, count: wordCount)
        permutations.permutedCopy(pass: p, of: key, into: UnsafeMutableBufferPointer(start: copies + base, count: wordCount))
        copies[base + row - 1] = 0
        copyBase[p] = base
    }

    /// Gives passes `p` and `q` their permuted copies in one walk over the key.
    private mutating func makeCopies(passes p: Int, _ q: Int) {
        let row = storage.rowWords, wordCount = (frameBits + 63) / 64
        let key = UnsafeBufferPointer(start: keyWords, count: wordCount)
        permutations.permutedCopies(passes: p, q, of: key, into: UnsafeMutableBufferPointer(start: copies + p * row, count: wordCount),
                                    UnsafeMutableBufferPointer(start: copies + q * row, count: wordCount))
        copies[p * row + row - 1] = 0
        copies[q * row + row - 1] = 0
        copyBase[p] = p * row
        copyBase[q] = q * row
    }

    /// Starts the next pass: Bob's parities of its blocks (all but the last directly, the last
    /// from his key's parity), and a search in every block whose parity differs from Alice's.
    private mutating func activateNextPass() {
        let p = activePasses
        let n = frameBits, k = blockSizes[p], blocks = blockCounts[p], base = blockBase[p]
        if p == 0 {
            // Every pass of small blocks gets its copy now, two at a time (one walk over the key's
            // one bits fills both); `flip` keeps the copies of the passes not yet started in step.
            var waiting = (0..<passes).filter { CascadeVariant.keepsPermutedCopy(blockSize: blockSizes[$0], frameBits: n) && copyBase[$0] == -1 }
            while waiting.count >= 2 {
                makeCopies(passes: waiting[0], waiting[1])
                waiting.removeFirst(2)
            }
            if let last = waiting.first { makeCopy(pass: last) }
        }
        if copyBase[p] == -1 && CascadeVariant.keepsPermutedCopy(blockSize: k, frameBits: n) { makeCopy(pass: p) }
        var sum: UInt8 = 0
        for b in 0..<blocks - 1 {
            let parity = bobParity(p, b * k, (b + 1) * k)
            bobTopParity[base + b] = parity
            sum ^= parity
        }
        bobTopParity[base + blocks - 1] = keyParity ^ sum
        activePasses += 1
        for b in 0..<blocks { openIfUnbalanced(pass: p, block: b) }
    }

    /// Runs the searches on `stack` (last first, and every search they open) until each has
    /// flipped its bit, found its range repaired, or asked Alice a parity. Leaves `stack` empty.
    private mutating func advance() throws(PostProcessingError) {
        while stackCount > 0 {
            stackCount -= 1
            var s = stack[stackCount]
            let pass = Int(s.pass)
            // A binary search needs fast sub-range parities: give its pass a permuted copy (unless
            // the permutations' node masks serve it).
            if copyBase[pass] == -1 { makeCopy(pass: pass) }
            if treeBase[pass] == -1 { makeTrees(pass: pass) }
            try spendStep()
            // Is the range still unbalanced? For a whole block Bob's parity is kept; for a range
            // whose block saw no flip since the search last checked, it is unchanged.
            let fb = blockBase[pass] + Int(s.block)
            let balanced = s.node == 1
                ? bobTopParity[fb] == topParity[fb]
                : s.flips != flipCounts[fb] && bobParity(pass, Int(s.start), Int(s.end)) == s.aliceParity
            if balanced {
                finish(s)  // another flip already repaired this range
                continue
            }
            // From here on the range stays unbalanced: each step keeps the half whose parities
            // differ, and no bit flips before the search stops, so it is not checked again. The
            // pass's copy row and the block's first tree slot do not change while the search
            // steps (a flip ends it), so they are read once, and the range, node, Alice parity
            // and step budget stay in registers until the search flips or waits.
            var start = Int(s.start), end = Int(s.end), node = Int(s.node), aliceParity = s.aliceParity
            let copyRow = copyBase[pass], tree = treeBase[pass]
            let blockSlot = tree >= 0 ? tree + Int(s.block) * treeNodes[pass] : 0
            var budget = stepBudget
            while true {
                if end - start == 1 {
                    stepBudget = budget
                    flip(pass: pass, position: start)
                    finish(s)
                    break
                }
                let mid = start + (end - start + 1) / 2
                // Alice's parity of the left half, if an earlier search asked it: bit 0 of `left`
                // says whether it is known, bit 1 is the parity.
                let left: UInt64
                if tree >= 0 {
                    let slot = blockSlot + 2 * node
                    left = treeBits[slot >> 5] >> UInt64(2 * (slot & 31))
                } else if let parity = knownParity.value(for: Self.cacheKey(pass, start, mid)) {
                    left = 1 | UInt64(parity) << 1
                } else {
                    left = 0
                }
                if left & 1 != 0 {
                    // No question needed. Which half differs is a coin toss to the branch
                    // predictor, so the step is taken without a branch: right is 0 (left half) or
                    // 1 (right half).
                    let bob = copyRow >= 0
                        ? Self.rangeParity(copies + copyRow, start, mid)
                        : Self.parityWithoutCopy(permutations, keyWords, frameBits, keyParity, pass, start, mid)
                    let leftParity = UInt8(truncatingIfNeeded: left >> 1) & 1
                    let right = Int(bob ^ leftParity ^ 1)
                    let keepRight = 0 &- right
                    start ^= (start ^ mid) & keepRight
                    end ^= (end ^ mid) & ~keepRight
                    aliceParity = leftParity ^ (aliceParity & UInt8(truncatingIfNeeded: keepRight))
                    node = 2 &* node &+ right
                    budget &-= 1
                    if budget <= 0 {
                        stepBudget = budget
                        throw .protocolViolation("Alice's parities contradict each other: reconciliation does not converge")
                    }
                    continue
                }
                // The search records its range only when it waits.
                stepBudget = budget
                s.start = Int32(truncatingIfNeeded: start)
                s.end = Int32(truncatingIfNeeded: end)
                s.node = Int32(truncatingIfNeeded: node)
                s.aliceParity = aliceParity
                s.flips = flipCounts[fb]
                pendingQueries.append(ParityQuery(pass: pass, start: start, end: mid))
                pendingSearches[pendingCount] = s
                pendingCount += 1
                break
            }
        }
    }

    /// Counts one search step against the budget.
    @inline(__always)
    private mutating func spendStep() throws(PostProcessingError) {
        stepBudget -= 1
        guard stepBudget > 0, correctedBits <= frameBits else {
            throw .protocolViolation("Alice's parities contradict each other: reconciliation does not converge")
        }
    }

    /// Ends a search; if its top-level block is still unbalanced, searches it again.
    @inline(__always)
    private mutating func finish(_ s: CascadeSearch) {
        let pass = Int(s.pass), fb = blockBase[pass] + Int(s.block)
        searching[fb >> 6] &= ~(1 << UInt64(fb & 63))
        openIfUnbalanced(pass: pass, block: Int(s.block))
    }

    private mutating func flip(pass p: Int, position: Int) {
        if let order16 = permutations.order16, let low = permutations.lowPassPositions, let halves = permutations.halfFrameBlocks {
            flipCompact(pass: p, position: position, order16: order16, low: low, halves: halves)
            return
        }
        let j = permutations.order[p].withUnsafeBufferPointer { Int($0[position]) }
        keyWords[j >> 6] ^= 1 << UInt64(j & 63)
        keyParity ^= 1
        correctedBits += 1
        let stride = permutations.positionStride, positions = permutations.positionsOfIndex
        do {
            for q in 0..<activePasses {
                // The flipped bit's place in its own pass is known; a lookup in the others (one
                // cache line holds it for every pass).
                let pos = q == p ? position : Int(positions[j * stride + q])
                let base = copyBase[q]
                if base >= 0 { copies[base + pos >> 6] ^= 1 << UInt64(pos & 63) }
                let b = block(ofPosition: pos, pass: q)
                let fb = blockBase[q] + b
                bobTopParity[fb] ^= 1
                flipCounts[fb] &+= 1
                if q != p { openIfUnbalanced(pass: q, block: b) }
            }
            // Passes not started yet may already have their copies (made with pass 1's).
            for q in activePasses..<passes {
                let base = copyBase[q]
                guard base >= 0 else { continue }
                let pos = Int(positions[j * stride + q])
                copies[base + pos >> 6] ^= 1 << UInt64(pos & 63)
            }
        }
    }

    /// The block of pass `q` that holds position `pos` of its copy: ⌊pos / k⌋ without a division.
    /// ⌊pos · r / 2⁴⁰⌋ (r the pass's reciprocal) is ⌊pos / k⌋ or one more (pos < 2²⁴): one
    /// correction makes it exact.
    @inline(__always)
    private func block(ofPosition pos: Int, pass q: Int) -> Int {
        let b = Int(truncatingIfNeeded: (UInt64(pos) &* UInt64(blockReciprocals[q])) >> 40)
        return b * blockSizes[q] > pos ? b - 1 : b
    }

    /// `flip` through the permutations' compact tables (frames of at most 2¹⁶ bits): the same
    /// updates in the same order. A pass of half-frame blocks searched through the node masks
    /// (copy base -2) has no copy and needs only the flipped bit's block; passes 0 ... 3 read
    /// their positions from one word; any other pass falls back to the interleaved table.
    @inline(__always)
    private mutating func flipCompact(
        pass p: Int, position: Int, order16: UnsafePointer<UInt16>, low: UnsafePointer<UInt64>, halves: UnsafePointer<UInt32>
    ) {
        let j = Int(order16[p * frameBits + position])
        keyWords[j >> 6] ^= 1 << UInt64(j & 63)
        keyParity ^= 1
        correctedBits += 1
        // Both loads depend only on j: they overlap.
        let lowPositions = low[j], blocks = halves[j]
        let stride = permutations.positionStride, positions = permutations.positionsOfIndex
        @inline(__always) func place(_ q: Int) -> Int {
            q < 4 ? Int(truncatingIfNeeded: (lowPositions >> UInt64(16 * q)) & 0xFFFF) : Int(positions[j * stride + q])
        }
        for q in 0..<activePasses {
            let base = copyBase[q]
            let b: Int
            if base == -2 && q < 16 {
                b = Int(truncatingIfNeeded: (blocks >> UInt32(2 * q)) & 3)
            } else {
                let pos = q == p ? position : place(q)
                if base >= 0 { copies[base + pos >> 6] ^= 1 << UInt64(pos & 63) }
                b = block(ofPosition: pos, pass: q)
            }
            let fb = blockBase[q] + b
            bobTopParity[fb] ^= 1
            flipCounts[fb] &+= 1
            if q != p { openIfUnbalanced(pass: q, block: b) }
        }
        // Passes not started yet may already have their copies (made with pass 1's).
        for q in activePasses..<passes {
            let base = copyBase[q]
            guard base >= 0 else { continue }
            let pos = place(q)
            copies[base + pos >> 6] ^= 1 << UInt64(pos & 63)
        }
    }
}

/// One binary search of `CascadeInitiator`: 24 bytes, so that the stack and the pending list stay
/// small.
struct CascadeSearch {
    var pass: UInt16
    var aliceParity: UInt8
    var block: Int32
    var start: Int32
    var end: Int32
    /// Heap index of [start, end) in its block's binary subdivision (the block is 1).
    var node: Int32 = 1
    /// The block's flip count when the search last knew its range unbalanced.
    var flips: UInt32 = 0
}

/// The memory behind a `CascadeInitiator`'s tables: it frees it, and copies it for an initiator
/// that must stop sharing it.
final class CascadeInitiatorStorage: @unchecked Sendable {
    // @unchecked: the memory is written only through the pointers of the one initiator that holds
    // the only reference (initiators copy a shared storage before writing).
    let frameBits: Int, passes: Int, totalBlocks: Int
    /// Words per copy (and of the key): the frame and a zero word.
    let rowWords: Int
    /// Words: the key, then a copy per pass, then the trees of every pass that may have them, then
    /// the `searching` bitset.
    private let words: UnsafeMutablePointer<UInt64>
    private let wordCount: Int
    /// Per pass: block size, reciprocal, first flat block, block count, copy base, tree base,
    /// tree nodes, first tree word.
    private let ints: UnsafeMutablePointer<Int>
    /// Per flat block: Alice's parity, then Bob's.
    private let bytes: UnsafeMutablePointer<UInt8>
    private let flipCounts: UnsafeMutablePointer<UInt32>
    /// Two lists of `totalBlocks` searches (see `CascadeInitiator.stack`).
    let searches: UnsafeMutablePointer<CascadeSearch>

    typealias Pointers = (
        UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>,
        UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>,
        UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>,
        UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>
    )

    private var treesStart: Int { rowWords * (1 + passes) }
    private var searchingStart: Int { wordCount - (totalBlocks + 63) / 64 }

    /// `treeNodes[p]` is -1 for a pass whose blocks are too large for trees.
    init(frameBits n: Int, blockSizes: [Int], blockCounts: [Int], treeNodes: [Int], key: BitKey) {
        frameBits = n
        passes = blockSizes.count
        totalBlocks = blockCounts.reduce(0, +)
        rowWords = (n + 63) / 64 + 1
        var trees = 0
        var treeStart = [Int]()
        for p in 0..<passes {
            treeStart.append(trees)
            if treeNodes[p] > 0 { trees += (blockCounts[p] * treeNodes[p] + 31) / 32 }
        }
        wordCount = rowWords * (1 + passes) + trees + (totalBlocks + 63) / 64
        // The key and the small tables start initialized; a pass's copy and trees are written
        // when the pass first needs them.
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
        key.words.withUnsafeBufferPointer { words.initialize(from: $0.baseAddress!, count: $0.count) }
        words[rowWords - 1] = 0
        (words + wordCount - (totalBlocks + 63) / 64).initialize(repeating: 0, count: (totalBlocks + 63) / 64)
        self.words = words
        bytes = .allocate(capacity: 2 * totalBlocks)
        bytes.initialize(repeating: 0, count: 2 * totalBlocks)
        flipCounts = .allocate(capacity: totalBlocks)
        flipCounts.initialize(repeating: 0, count: totalBlocks)
        searches = .allocate(capacity: 2 * totalBlocks)
        ints = .allocate(capacity: 8 * passes)
        var base = 0
        for p in 0..<passes {
            (ints + p).initialize(to: blockSizes[p])
            (ints + passes + p).initialize(to: Int((1 << 40) / UInt64(blockSizes[p]) + 1))
            (ints + 2 * passes + p).initialize(to: base)
            (ints + 3 * passes + p).initialize(to: blockCounts[p])
            (ints + 4 * passes + p).initialize(to: -1)  // copy base
            (ints + 5 * passes + p).initialize(to: -1)  // tree base
            (ints + 6 * passes + p).initialize(to: treeNodes[p])
            (ints + 7 * passes + p).initialize(to: treeStart[p])
            base += blockCounts[p]
        }
    }

    deinit {
        words.deallocate()
        ints.deallocate()
        bytes.deallocate()
        flipCounts.deallocate()
        searches.deallocate()
    }

    var pointers: Pointers {
        let p = passes
        return (words, words + rowWords, ints, ints + p, ints + 2 * p, ints + 3 * p, ints + 4 * p, ints + 5 * p, ints + 6 * p, ints + 7 * p,
                bytes, bytes + totalBlocks, flipCounts, words + searchingStart, words + treesStart)
    }

    private init(copying other: CascadeInitiatorStorage, searchesFrom first: Int, count: Int) {
        frameBits = other.frameBits
        passes = other.passes
        totalBlocks = other.totalBlocks
        rowWords = other.rowWords
        wordCount = other.wordCount
        words = .allocate(capacity: wordCount)
        ints = .allocate(capacity: 8 * passes)
        ints.initialize(from: other.ints, count: 8 * passes)
        bytes = .allocate(capacity: 2 * totalBlocks)
        bytes.initialize(from: other.bytes, count: 2 * totalBlocks)
        flipCounts = .allocate(capacity: totalBlocks)
        flipCounts.initialize(from: other.flipCounts, count: totalBlocks)
        searches = .allocate(capacity: 2 * totalBlocks)
        (searches + first).initialize(from: other.searches + first, count: count)
        // Of the words, only what has been written: the key, the bitset, and the copies and
        // trees of the passes that have them.
        words.initialize(from: other.words, count: rowWords)
        (words + searchingStart).initialize(from: other.words + searchingStart, count: wordCount - searchingStart)
        for p in 0..<passes {
            let copyBase = ints[4 * passes + p]
            if copyBase >= 0 { (words + rowWords + copyBase).initialize(from: other.words + rowWords + copyBase, count: rowWords) }
            if ints[5 * passes + p] >= 0 {
                let start = treesStart + ints[7 * passes + p], count = (ints[3 * passes + p] * ints[6 * passes + p] + 31) / 32
                (words + start).initialize(from: other.words + start, count: count)
            }
        }
    }

    /// A copy, with the `count` searches from slot `first` (the others are free slots).
    func copy(searchesFrom first: Int, count: Int) -> CascadeInitiatorStorage {
        CascadeInitiatorStorage(copying: self, searchesFrom: first, count: count)
    }
}
