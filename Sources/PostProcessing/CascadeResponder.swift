/// Alice's side of Cascade: she answers parity queries about her key and counts every bit she
/// discloses. She never changes her key.
public struct CascadeResponder: Sendable {
    public let variant: CascadeVariant
    public let estimatedQBER: Double
    private let permutations: CascadePermutations
    private let key: BitKey
    /// Permuted copies for the passes that keep one (nil for passes answered by gathering). A pass
    /// of a few huge blocks gets its copy on its second binary-search query: most such passes are
    /// asked their top-level parities (answered without a gather) and nothing else.
    private var permutedKeys: [BitKey?]
    private var blockSizes: [Int]
    private var searchQueriesPerPass: [Int]
    private var expectedRound: UInt32 = 0
    /// Parity bits disclosed so far.
    public private(set) var disclosedParityBits = 0

    public init(key: BitKey, variant: CascadeVariant, estimatedQBER: Double, permutations: CascadePermutations) throws(PostProcessingError) {
        try permutations.validate(frameBits: key.count, variant: variant)
        self.variant = variant
        self.estimatedQBER = estimatedQBER
        self.permutations = permutations
        self.key = key
        let sizes = (0..<variant.passes).map { variant.blockSize(pass: $0, qber: estimatedQBER, frameBits: key.count) }
        blockSizes = sizes
        permutedKeys = (0..<variant.passes).map { p in
            CascadeVariant.keepsPermutedCopy(blockSize: sizes[p], frameBits: key.count) ? key.permuted(by: permutations.order[p], inverse: permutations.position[p]) : nil
        }
        searchQueriesPerPass = [Int](repeating: 0, count: variant.passes)
    }

    /// Answers one batch. A query outside the frame or for a pass that does not exist, or a
    /// round out of order, is a protocol violation (and discloses nothing).
    public mutating func answer(_ request: CascadeRequest) throws(PostProcessingError) -> CascadeReply {
        guard request.round == expectedRound else {
            throw .protocolViolation("Cascade round \(request.round) arrived, round \(expectedRound) expected")
        }
        let n = permutations.frameBits
        var parities = BitKey(count: 0)
        for q in request.queries {
            guard Int(q.pass) < permutedKeys.count, q.start < q.end, Int(q.end) <= n else {
                throw .protocolViolation("parity query for pass \(q.pass), bits \(q.start)..<\(q.end) is outside the \(n)-bit frame")
            }
        }
        for q in request.queries {
            let range = Int(q.start)..<Int(q.end)
            let pass = Int(q.pass)
            if permutedKeys[pass] == nil {
                let k = blockSizes[pass]
                let topLevel = range.lowerBound % k == 0 && range.upperBound == min(range.lowerBound + k, n)
                if !topLevel {
                    searchQueriesPerPass[pass] += 1
                    if searchQueriesPerPass[pass] == 2 {
                        permutedKeys[pass] = key.permuted(by: permutations.order[pass], inverse: permutations.position[pass])
                    }
                }
            }
            if let copy = permutedKeys[pass] {
                parities.append(copy.parity(range))
            } else {
                parities.append(permutations.parity(of: key, pass: pass, start: range.lowerBound, end: range.upperBound))
            }
        }
        disclosedParityBits += request.queries.count
        expectedRound += 1
        return CascadeReply(round: request.round, parities: parities)
    }
}
