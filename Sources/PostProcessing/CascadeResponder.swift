/// Alice's side of Cascade: she answers parity queries about her key and counts every bit she
/// discloses. She never changes her key.
public struct CascadeResponder: Sendable {
    public let variant: CascadeVariant
    public let estimatedQBER: Double
    private let permutations: CascadePermutations
    private let key: BitKey
    /// Prefix parities of the permuted copies of the key, for the passes that keep one, back to
    /// back: bit i of pass p's row is the parity of the copy's bits [0, i), for i in 0 ... n, so
    /// the parity of any range is two bits XORed, whatever its length. (Alice's key never
    /// changes: the rows are built once.) `copyBase[p]` is pass p's first word in `copyWords`, or
    /// -1 for a pass answered from the unpermuted key (by the half-frame node masks, or by
    /// gathering). A pass of a few huge blocks without node masks gets its row on its second
    /// binary-search query: most such passes are asked their top-level parities (answered without
    /// a gather) and nothing else.
    private var copyWords: [UInt64] = []
    private var copyBase: [Int]
    /// Per pass: true if it may still get a copy (large blocks, no node masks).
    private var copyOnDemand: [Bool]
    /// Whether any pass may still get a copy (most schedules and frames: none).
    private var anyCopyOnDemand = false
    private var blockSizes: [Int]
    private var searchQueriesPerPass: [Int]
    private var expectedRound: UInt32 = 0
    /// The previous reply's parities: their storage is reused once the caller has let go of it.
    private var replyBuffer = BitKey(count: 0)
    /// Parity bits disclosed so far.
    public private(set) var disclosedParityBits = 0

    public init(key: BitKey, variant: CascadeVariant, estimatedQBER: Double, permutations: CascadePermutations) throws(PostProcessingError) {
        try permutations.validate(frameBits: key.count, variant: variant)
        self.variant = variant
        self.estimatedQBER = estimatedQBER
        self.permutations = permutations
        self.key = key
        let n = key.count
        let sizes = (0..<variant.passes).map { variant.blockSize(pass: $0, qber: estimatedQBER, frameBits: n) }
        blockSizes = sizes
        copyBase = [Int](repeating: -1, count: variant.passes)
        copyOnDemand = [Bool](repeating: false, count: variant.passes)
        searchQueriesPerPass = [Int](repeating: 0, count: variant.passes)
        var copied = [Int]()
        for p in 0..<variant.passes {
            if CascadeVariant.keepsPermutedCopy(blockSize: sizes[p], frameBits: n) {
                copied.append(p)
            } else {
                copyOnDemand[p] = !permutations.searchesByNodeMasks(pass: p, blockSize: sizes[p])
            }
        }
        // Two passes at a time: one walk over the key's one bits fills both.
        var i = 0
        while i + 1 < copied.count {
            makeCopies(passes: copied[i], copied[i + 1])
            i += 2
        }
        if i < copied.count { makeCopy(pass: copied[i]) }
        anyCopyOnDemand = copyOnDemand.contains(true)
    }

    /// Alice's parity in a pass without a copy (node masks or a gather): out of line, so that the
    /// answer loop keeps the prefix rows' two-bit path tight.
    @inline(never)
    private static func parityWithoutCopy(_ permutations: CascadePermutations, _ key: BitKey, _ pass: Int, _ start: Int, _ end: Int) -> UInt8 {
        permutations.parity(of: key, pass: pass, start: start, end: end)
    }

    private mutating func makeCopies(passes p: Int, _ q: Int) {
        let base = copyWords.count, wordCount = BitKey.prefixParityWordCount(bits: key.count)
        copyWords.append(contentsOf: repeatElement(0, count: 2 * wordCount))
        let words = key.words, count = key.count, permutations = permutations
        copyWords.withUnsafeMutableBufferPointer { w in
            let row0 = UnsafeMutableBufferPointer(rebasing: w[base..<base + wordCount])
            let row1 = UnsafeMutableBufferPointer(rebasing: w[base + wordCount..<base + 2 * wordCount])
            words.withUnsafeBufferPointer { permutations.permutedCopies(passes: p, q, of: $0, into: row0, row1) }
            BitKey.makePrefixParities(row0, bits: count)
            BitKey.makePrefixParities(row1, bits: count)
        }
        copyBase[p] = base
        copyBase[q] = base + wordCount
    }

    private mutating func makeCopy(pass p: Int) {
        let base = copyWords.count, wordCount = BitKey.prefixParityWordCount(bits: key.count)
        copyWords.append(contentsOf: repeatElement(0, count: wordCount))
        // Taken out first: the closure then captures no part of `self`.
        let words = key.words, count = key.count, permutations = permutations
        copyWords.withUnsafeMutableBufferPointer { w in
            let row = UnsafeMutableBufferPointer(rebasing: w[base..<base + wordCount])
            words.withUnsafeBufferPointer { permutations.permutedCopy(pass: p, of: $0, into: row) }
            BitKey.makePrefixParities(row, bits: count)
        }
        copyBase[p] = base
    }

    /// Answers one batch. A query outside the frame or for a pass that does not exist, or a
    /// round out of order, is a protocol violation (and discloses nothing).
    public mutating func answer(_ request: CascadeRequest) throws(PostProcessingError) -> CascadeReply {
        guard request.round == expectedRound else {
            throw .protocolViolation("Cascade round \(request.round) arrived, round \(expectedRound) expected")
        }
        let n = permutations.frameBits, passCount = copyBase.count
        let queries = request.queries
        let valid = queries.withUnsafeBufferPointer { qs in
            var ok = true
            for q in qs { ok = ok && Int(q.pass) < passCount && q.start < q.end && Int(q.end) <= n }
            return ok
        }
        // The check above takes no branch per query; the first bad query then names the error.
        if !valid {
            for q in queries where !(Int(q.pass) < passCount && q.start < q.end && Int(q.end) <= n) {
                throw .protocolViolation("parity query for pass \(q.pass), bits \(q.start)..<\(q.end) is outside the \(n)-bit frame")
            }
        }
        // Passes of huge blocks without node masks get their copy on their second search query.
        // (Whether a parity comes from a copy or not never changes its value.)
        if anyCopyOnDemand {
            for q in queries where copyOnDemand[Int(q.pass)] {
                let pass = Int(q.pass), start = Int(q.start), k = blockSizes[pass]
                let topLevel = start % k == 0 && Int(q.end) == min(start + k, n)
                guard !topLevel else { continue }
                searchQueriesPerPass[pass] += 1
                if searchQueriesPerPass[pass] == 2 {
                    copyOnDemand[pass] = false
                    makeCopy(pass: pass)
                }
            }
            anyCopyOnDemand = copyOnDemand.contains(true)
        }
        var parities = BitKey(count: 0)
        swap(&parities, &replyBuffer)
        parities.removeAll()
        var word: UInt64 = 0, filled = 0
        let permutations = permutations, key = key
        copyWords.withUnsafeBufferPointer { copies in
            copyBase.withUnsafeBufferPointer { copyBase in
                queries.withUnsafeBufferPointer { qs in
                    for q in qs {
                        let start = Int(q.start), end = Int(q.end), pass = Int(q.pass)
                        let base = copyBase[pass]
                        // Most queries fall in the passes of small blocks: two bits of a prefix row.
                        let parity = base >= 0
                            ? UInt64(BitKey.prefixParity(copies, base: base, start: start, end: end))
                            : UInt64(Self.parityWithoutCopy(permutations, key, pass, start, end))
                        word |= parity << UInt64(filled)
                        filled += 1
                        if filled == 64 {
                            parities.append(bits: word, count: 64)
                            word = 0
                            filled = 0
                        }
                    }
                }
            }
        }
        parities.append(bits: word, count: filled)
        disclosedParityBits += request.queries.count
        expectedRound += 1
        replyBuffer = parities
        return CascadeReply(round: request.round, parities: parities)
    }
}
