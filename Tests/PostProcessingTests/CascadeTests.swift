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
            #expect((0..<n).allSatisfy { perms.positionsOfIndex[$0 * 4 + p] == perms.position[p][$0] })
            for (start, end) in [(0, n / 2), (n / 2, n - 1), (n / 2, n), (3, 700)] {
                var parity: UInt8 = 0
                for pos in start..<end { parity ^= key[Int(perms.order[p][pos])] }
                #expect(perms.parity(of: key, pass: p, start: start, end: end) == parity, "pass \(p), \(start)..<\(end)")
            }
        }
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
