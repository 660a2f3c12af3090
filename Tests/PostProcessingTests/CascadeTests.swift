import QKDMath
import Testing
@testable import PostProcessing

/// A frame and Bob's copy with exactly `errors` flipped bits.
func noisyPair(bits n: Int, errors: Int, seed: UInt64) -> (BitKey, BitKey) {
    let alice = randomKey(n, seed: seed)
    var bob = alice
    var s = PhiloxStream(seed: seed, index: 1, stream: 77)
    var flipped = Set<Int>()
    while flipped.count < errors {
        let j = Int(s.nextInt(below: UInt32(n)))
        if flipped.insert(j).inserted { bob.flip(j) }
    }
    return (alice, bob)
}

@Suite("Cascade")
struct CascadeTests {
    @Test("every variant corrects a 2 % frame and counts each disclosed parity bit", arguments: CascadeVariant.allCases)
    func corrects(variant: CascadeVariant) throws {
        let (alice, bob) = noisyPair(bits: 10_000, errors: 200, seed: 3)
        let perms = CascadePermutations(frameBits: 10_000, passes: variant.passes, seed: 1)
        var queries = 0
        let out = try Cascade.reconcile(alice: alice, bob: bob, variant: variant, estimatedQBER: 0.02, permutations: perms) { req, reply in
            queries += req.queries.count
            #expect(reply.parities.count == req.queries.count)
        }
        #expect(out.reconciledKey == alice)
        #expect(out.correctedBits >= 200)
        #expect(out.disclosedParityBits == queries)
        // Leakage at least the Shannon bound n·h(Q) and, for these schedules, within 25 % of it.
        let shannon = 10_000 * (try binaryEntropy(0.02))
        #expect(Double(out.disclosedParityBits) >= shannon)
        #expect(Double(out.disclosedParityBits) < 1.25 * shannon)
    }

    // An odd frame cut into half-frame blocks has a one-bit third block, and its second block's
    // parity is taken from the key's parity: both lengths are checked bit by bit.
    @Test("every parity Alice sends is the parity of her bits at the queried positions", arguments: [3_000, 3_001])
    func repliesAreTrueParities(bits n: Int) throws {
        let (alice, bob) = noisyPair(bits: n, errors: 90, seed: 5)
        let perms = CascadePermutations(frameBits: n, passes: CascadeVariant.extended.passes, seed: 2)
        var secondHalfBlocksAsked = 0
        let out = try Cascade.reconcile(alice: alice, bob: bob, variant: .extended, estimatedQBER: 0.03, permutations: perms) { req, reply in
            secondHalfBlocksAsked += req.queries.filter { $0.pass >= 2 && $0.start == UInt32(n / 2) && $0.end == UInt32(2 * (n / 2)) }.count
            for (i, q) in req.queries.enumerated() {
                var parity: UInt8 = 0
                for pos in Int(q.start)..<Int(q.end) { parity ^= alice[Int(perms.order[Int(q.pass)][pos])] }
                #expect(reply.parities[i] == parity)
            }
        }
        #expect(out.reconciledKey == alice)
        // Even: two half-frame blocks, the second inferred, never asked. Odd: the second is asked.
        #expect((secondHalfBlocksAsked > 0) == (n % 2 == 1))
    }

    @Test("the first request asks every pass's top-level parities; later ones ask only searches")
    func firstRequestAsksAllPasses() throws {
        let (_, bob) = noisyPair(bits: 10_000, errors: 200, seed: 3)
        let perms = CascadePermutations(frameBits: 10_000, passes: 16, seed: 1)
        var initiator = try CascadeInitiator(key: bob, variant: .extended, estimatedQBER: 0.02, permutations: perms)
        let first = initiator.start()
        // By hand, n = 10 000 at 2 %: pass 1 has ⌈0.8/0.02⌉ = 40-bit blocks, all 250 asked; pass 2
        // has 200-bit blocks, 50 of them, the last inferred: 49; passes 3 … 16 have two 5 000-bit
        // halves, the second inferred: 1 each, 14 in all. 250 + 49 + 14 = 313.
        #expect(first.queries.count == 313)
        let perPass = Dictionary(grouping: first.queries, by: \.pass).mapValues(\.count)
        #expect(perPass[0] == 250 && perPass[1] == 49 && (2..<16).allSatisfy { perPass[UInt16($0)] == 1 })
        #expect(first.queries.allSatisfy { q in
            let k = CascadeVariant.extended.blockSize(pass: Int(q.pass), qber: 0.02, frameBits: 10_000)
            return Int(q.start) % k == 0 && Int(q.end) == min(Int(q.start) + k, 10_000)
        })
        // Every later query is a binary search's left half, strictly inside a block.
        let (alice, _) = noisyPair(bits: 10_000, errors: 200, seed: 3)
        var laterTopLevel = 0
        _ = try Cascade.reconcile(alice: alice, bob: bob, variant: .extended, estimatedQBER: 0.02, permutations: perms) { req, _ in
            guard req.round > 0 else { return }
            laterTopLevel += req.queries.filter { q in
                let k = CascadeVariant.extended.blockSize(pass: Int(q.pass), qber: 0.02, frameBits: 10_000)
                return Int(q.start) % k == 0 && Int(q.end) == min(Int(q.start) + k, 10_000)
            }.count
        }
        #expect(laterTopLevel == 0)
    }

    @Test("the interleaved inverse and the half-frame masks agree with the shuffles")
    func derivedTables() {
        let n = 1_001
        let perms = CascadePermutations(frameBits: n, passes: 4, seed: 9)
        let key = randomKey(n, seed: 4)
        for p in 0..<4 {
            #expect((0..<n).allSatisfy { perms.positionsOfIndex[$0 * perms.positionStride + p] == perms.position[p][$0] })
            for (start, end) in [(0, n / 2), (n / 2, n - 1), (n / 2, n), (3, 700)] {
                var parity: UInt8 = 0
                for pos in start..<end { parity ^= key[Int(perms.order[p][pos])] }
                #expect(perms.parity(of: key, pass: p, start: start, end: end) == parity, "pass \(p), \(start)..<\(end)")
            }
        }
    }

    @Test("the interleaved positions: a power-of-two stride, each index's entries in one 64-byte line", arguments: [1, 3, 4, 10, 16])
    func interleavedPositionsLayout(passes: Int) {
        let n = 777
        let perms = CascadePermutations(frameBits: n, passes: passes, seed: 5)
        // By hand: 1 → 1, 3 → 4, 4 → 4, 10 → 16, 16 → 16.
        #expect(perms.positionStride == [1: 1, 3: 4, 4: 4, 10: 16, 16: 16][passes])
        #expect(Int(bitPattern: perms.positionsOfIndex) % 64 == 0)
        for j in 0..<n {
            for p in 0..<passes { #expect(perms.positionsOfIndex[j * perms.positionStride + p] == perms.position[p][j]) }
        }
    }

    @Test("the compact flip tables hold the shuffles' entries, 16 bits each, for frames up to 2^16 bits",
          arguments: [(2, 1), (777, 3), (1_001, 10), (4_097, 16), (9_999, 17), (65_536, 4)])
    func compactFlipTables(bits n: Int, passes: Int) throws {
        let perms = CascadePermutations(frameBits: n, passes: passes, seed: 11)
        let order16 = try #require(perms.order16), low = try #require(perms.lowPassPositions)
        let halves = try #require(perms.halfFrameBlocks)
        let half = n / 2
        for p in 0..<passes {
            #expect((0..<n).allSatisfy { Int(order16[p * n + $0]) == Int(perms.order[p][$0]) }, "pass \(p)")
        }
        // Mismatches are counted, not expected one by one: 2¹⁶ indices × 20 fields in a debug build.
        var wrongPositions = 0, wrongPadding = 0, wrongBlocks = 0
        for j in 0..<n {
            for p in 0..<min(4, passes) where Int((low[j] >> UInt64(16 * p)) & 0xFFFF) != Int(perms.position[p][j]) { wrongPositions += 1 }
            for p in min(4, passes)..<4 where (low[j] >> UInt64(16 * p)) & 0xFFFF != 0 { wrongPadding += 1 }
            // The half-frame block by hand: below ⌊n/2⌋ is 0, below 2⌊n/2⌋ is 1, an odd frame's last position 2.
            for p in 0..<min(16, passes) {
                let pos = Int(perms.position[p][j])
                let block = pos < half ? 0 : pos < 2 * half ? 1 : 2
                if Int((halves[j] >> UInt32(2 * p)) & 3) != block { wrongBlocks += 1 }
            }
        }
        #expect(wrongPositions == 0 && wrongPadding == 0 && wrongBlocks == 0)
        #expect(Int(bitPattern: low) % 64 == 0 && Int(bitPattern: halves) % 64 == 0)
    }

    @Test("frames above 2^16 bits (and of one bit) get no compact flip tables", arguments: [1, 65_537])
    func noCompactFlipTables(bits n: Int) {
        let perms = CascadePermutations(frameBits: n, passes: 2, seed: 11)
        #expect(perms.order16 == nil && perms.lowPassPositions == nil && perms.halfFrameBlocks == nil)
    }

    @Test("two permuted copies scattered in one walk equal the copies bit by bit", arguments: [1, 63, 64, 65, 127, 1_001, 3_001, 10_000])
    func pairedScatter(bits n: Int) {
        let perms = CascadePermutations(frameBits: n, passes: 2, seed: 13)
        let key = randomKey(n, seed: UInt64(n) + 1)
        let words = (n + 63) / 64
        // One word more than needed, preset to ones: the scatter writes exactly its words.
        var first = [UInt64](repeating: ~0, count: words + 1), second = first
        first.withUnsafeMutableBufferPointer { a in
            second.withUnsafeMutableBufferPointer { b in
                key.words.withUnsafeBufferPointer { src in
                    BitKey.scatter(src, count: n, inverses: perms.position[0], perms.position[1],
                                   into: UnsafeMutableBufferPointer(rebasing: a[0..<words]), UnsafeMutableBufferPointer(rebasing: b[0..<words]))
                }
            }
        }
        #expect(first.last == ~0 && second.last == ~0)
        for (p, row) in [(0, first), (1, second)] {
            let copy = BitKey(words: Array(row.prefix(words)), count: n)
            #expect(copy == BitKey(bits: (0..<n).map { key[Int(perms.order[p][$0])] }), "pass \(p)")
            #expect(row.prefix(words) == copy.words[...], "pass \(p): bits past the end clear")
        }
    }

    @Test("prefix-parity rows give the parity of every range as two bits", arguments: [1, 2, 63, 64, 65, 127, 128, 129, 1_001])
    func prefixParityRows(bits n: Int) {
        let key = randomKey(n, seed: UInt64(n) + 7)
        let bits = (0..<n).map { key[$0] }
        var row = [UInt64](repeating: 0, count: BitKey.prefixParityWordCount(bits: n))
        // By hand: bits 0 ... n need n / 64 + 1 words (1 → 1, 63 → 1, 64 → 2, 129 → 3).
        #expect(row.count == n / 64 + 1)
        for (i, w) in key.words.enumerated() { row[i] = w }
        row.withUnsafeMutableBufferPointer { BitKey.makePrefixParities($0, bits: n) }
        var wrong = 0
        row.withUnsafeBufferPointer { r in
            // Bit i of the row is the parity of bits [0, i), summed here one bit at a time.
            var running: UInt8 = 0
            for i in 0...n {
                if UInt8(truncatingIfNeeded: r[i >> 6] >> UInt64(i & 63)) & 1 != running { wrong += 1 }
                if i < n { running ^= bits[i] }
            }
            let step = n > 200 ? 7 : 1
            for start in stride(from: 0, through: n, by: step) {
                for end in stride(from: start, through: n, by: step) {
                    let expected = bits[start..<end].reduce(UInt8(0), ^)
                    if BitKey.prefixParity(r, base: 0, start: start, end: end) != expected { wrong += 1 }
                }
            }
        }
        #expect(wrong == 0)
    }

    @Test("a copy of an initiator taken mid-protocol goes on by itself: the same requests and key, untouched by the original")
    func initiatorCopyIsAValue() throws {
        let (alice, bob) = noisyPair(bits: 4_000, errors: 80, seed: 17)
        let perms = CascadePermutations(frameBits: 4_000, passes: CascadeVariant.yanetal.passes, seed: 3)
        var original = try CascadeInitiator(key: bob, variant: .yanetal, estimatedQBER: 0.02, permutations: perms)
        var responder = try CascadeResponder(key: alice, variant: .yanetal, estimatedQBER: 0.02, permutations: perms)
        var request: CascadeRequest? = original.start()
        var replies = [CascadeReply]()
        for _ in 0..<4 {
            let reply = try responder.answer(try #require(request))
            replies.append(reply)
            request = try original.receive(reply)
        }
        var copy = original
        let keyAtCopy = copy.key
        #expect(keyAtCopy != alice)  // errors remain after four rounds
        // The original runs to the end; the copy must not see any of it.
        var originalRequests = [CascadeRequest]()
        while let next = request {
            originalRequests.append(next)
            let reply = try responder.answer(next)
            replies.append(reply)
            request = try original.receive(reply)
        }
        #expect(original.key == alice)
        #expect(copy.key == keyAtCopy)
        // The copy, given the same replies, asks the same questions and ends with the same key.
        var copyRequests = [CascadeRequest]()
        var i = 4
        var next: CascadeRequest? = originalRequests.first
        while next != nil {
            copyRequests.append(try #require(next))
            next = try copy.receive(replies[i])
            i += 1
        }
        #expect(copyRequests == originalRequests)
        #expect(copy.key == alice)
        #expect(copy.disclosedParityBits == original.disclosedParityBits && copy.correctedBits == original.correctedBits)
    }

    @Test("a permuted copy built by scattering one bits holds bit order[i] at i", arguments: [1, 63, 64, 65, 127, 1_001, 3_001, 10_000])
    func scatteredCopy(bits n: Int) {
        let perms = CascadePermutations(frameBits: n, passes: 3, seed: 11)
        let key = randomKey(n, seed: UInt64(n))
        for p in 0..<3 {
            let copy = key.permuted(by: perms.order[p], inverse: perms.position[p])
            #expect(copy.count == n)
            #expect((0..<n).allSatisfy { copy[$0] == key[Int(perms.order[p][$0])] }, "pass \(p)")
            // Bits past the end stay clear (equality and parity rely on it).
            #expect(copy == BitKey(bits: (0..<n).map { key[Int(perms.order[p][$0])] }))
        }
    }

    @Test("half-frame node masks give the parity of every node of a search, bit by bit", arguments: [3_000, 3_001, 10_000, 10_003])
    func halfFrameNodeMasks(bits n: Int) {
        let perms = CascadePermutations(frameBits: n, passes: 4, seed: 12)
        let depth = perms.halfFrameNodeDepth
        #expect(depth >= 3)
        var key = randomKey(n, seed: 13)
        key.flip(n - 1)
        func parityByHand(_ p: Int, _ start: Int, _ end: Int) -> UInt8 {
            var parity: UInt8 = 0
            for pos in start..<end { parity ^= key[Int(perms.order[p][pos])] }
            return parity
        }
        var masked = 0
        for p in 2..<4 {
            #expect(perms.searchesByNodeMasks(pass: p, blockSize: n / 2))
            #expect(!perms.searchesByNodeMasks(pass: p, blockSize: n / 2 + 1))
            // Walk both half-frame blocks' subdivision two levels past the masked ones (those are
            // gathered), as a search splits a range: the left half takes the odd middle bit.
            for block in 0..<2 {
                var level: [(Int, Int)] = [(block * (n / 2), (block + 1) * (n / 2))]
                for d in 0...depth + 2 {
                    for (start, end) in level {
                        #expect(perms.parity(of: key, pass: p, start: start, end: end) == parityByHand(p, start, end), "pass \(p) \(start)..<\(end)")
                        let node = perms.halfFrameNode(pass: p, start: start, end: end)
                        #expect((node != nil) == (d <= depth))
                        if node != nil { masked += 1 }
                    }
                    var next: [(Int, Int)] = []
                    for (start, end) in level {
                        let mid: Int = start + (end - start + 1) / 2
                        next.append((start, mid))
                        next.append((mid, end))
                    }
                    level = next
                }
            }
            // Ranges that are no node: across the middle, and offset by one bit.
            for (start, end) in [(n / 2 - 5, n / 2 + 5), (1, n / 4), (n / 2 + 1, n - 1), (0, n)] {
                #expect(perms.halfFrameNode(pass: p, start: start, end: end) == nil)
                #expect(perms.parity(of: key, pass: p, start: start, end: end) == parityByHand(p, start, end))
            }
        }
        #expect(masked == 2 * 2 * ((2 << depth) - 1))
        // Passes 0 and 1 have no node masks.
        #expect(perms.halfFrameNode(pass: 0, start: 0, end: n / 2) == nil)
    }

    @Test("the shuffles are permutations with their inverses")
    func permutations() {
        let perms = CascadePermutations(frameBits: 1000, passes: 3, seed: 9)
        for p in 0..<3 {
            #expect(Set(perms.order[p]).count == 1000)
            #expect((0..<1000).allSatisfy { perms.position[p][Int(perms.order[p][$0])] == Int32($0) })
        }
        #expect(perms.order[0] != perms.order[1])
    }

    @Test("block sizes follow the published schedules")
    func schedules() {
        #expect(CascadeVariant.original.blockSize(pass: 0, qber: 0.02, frameBits: 10_000) == 37)   // ⌈0.73/0.02⌉
        #expect(CascadeVariant.original.blockSize(pass: 3, qber: 0.02, frameBits: 10_000) == 296)  // 37·2³
        #expect(CascadeVariant.yanetal.blockSize(pass: 0, qber: 0.02, frameBits: 10_000) == 40)    // ⌈0.80/0.02⌉
        #expect(CascadeVariant.yanetal.blockSize(pass: 1, qber: 0.02, frameBits: 10_000) == 200)   // 5·40
        #expect(CascadeVariant.yanetal.blockSize(pass: 2, qber: 0.02, frameBits: 10_000) == 5_000) // n/2
        #expect(CascadeVariant.extended.passes == 16)
    }

    @Test("malformed replies and queries are typed protocol errors")
    func protocolViolations() throws {
        let (alice, bob) = noisyPair(bits: 1_000, errors: 20, seed: 8)
        let perms = CascadePermutations(frameBits: 1_000, passes: 4, seed: 1)
        var bobSide = try CascadeInitiator(key: bob, variant: .original, estimatedQBER: 0.02, permutations: perms)
        var aliceSide = try CascadeResponder(key: alice, variant: .original, estimatedQBER: 0.02, permutations: perms)
        let first = bobSide.start()
        var reply = try aliceSide.answer(first)
        // Parity replies for blocks never asked: one bit too many.
        var extra = reply
        extra.parities.append(1)
        #expect(throws: PostProcessingError.self) { _ = try bobSide.receive(extra) }
        // A reply for another round.
        reply.round = 7
        #expect(throws: PostProcessingError.self) { _ = try bobSide.receive(reply) }
        // A query outside the frame, and a pass that does not exist.
        var fresh = try CascadeResponder(key: alice, variant: .original, estimatedQBER: 0.02, permutations: perms)
        #expect(throws: PostProcessingError.self) {
            _ = try fresh.answer(CascadeRequest(round: 0, queries: [ParityQuery(pass: 0, start: 900, end: 1_001)]))
        }
        #expect(throws: PostProcessingError.self) {
            _ = try fresh.answer(CascadeRequest(round: 0, queries: [ParityQuery(pass: 9, start: 0, end: 10)]))
        }
        #expect(throws: PostProcessingError.self) {
            _ = try Cascade.reconcile(alice: alice, bob: randomKey(999, seed: 1), variant: .original, estimatedQBER: 0.02, permutations: perms)
        }
    }
}
