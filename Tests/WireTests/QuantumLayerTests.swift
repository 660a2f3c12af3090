import Testing
@testable import Wire

@Suite("Quantum-layer interface codec")
struct QuantumLayerTests {
    func block(_ kind: QuantumLayerBlock.Kind, detections d: Int, seed: UInt64) -> QuantumLayerBlock {
        var g = MessageGenerator(seed: seed)
        var offsets = Set<UInt32>()
        while offsets.count < d { offsets.insert(g.u32(below: 1 << 20)) }
        return QuantumLayerBlock(kind: kind, block: g.u64(), firstPulse: g.u64(), pulseCount: 1 << 20, offsets: offsets.sorted(),
                                 bits: g.bits(d), bases: g.bits(d), extra: g.bits(kind == .alice ? 2 * d : d))
    }

    @Test("round trip for Alice, Bob and end-of-stream blocks, whole and streamed in pieces")
    func roundTrip() throws {
        let blocks = [block(.alice, detections: 0, seed: 1), block(.alice, detections: 1000, seed: 2), block(.bob, detections: 1000, seed: 3),
                      block(.bob, detections: 7, seed: 4), QuantumLayerBlock.endOfStream(after: 9)]
        for b in blocks { #expect(try QuantumLayerDecoder.decode(b.encoded()) == b) }
        let stream = blocks.flatMap { $0.encoded() }
        var d = QuantumLayerDecoder()
        var out = [QuantumLayerBlock]()
        for i in stride(from: 0, to: stream.count, by: 333) {
            d.append(stream[i..<min(i + 333, stream.count)])
            while let b = try d.next() { out.append(b) }
        }
        #expect(out == blocks)
    }

    @Test("strictness: truncation, lying sizes, unordered offsets, stray bits")
    func strict() throws {
        let good = block(.bob, detections: 20, seed: 5).encoded()
        for cut in 0..<good.count {
            #expect(throws: WireError.self) { try QuantumLayerDecoder.decode(Array(good.prefix(cut))) }
        }
        var bad = good; bad[31] = 200  // detections no longer match the payload length
        #expect(throws: WireError.self) { try QuantumLayerDecoder.decode(bad) }
        bad = good; bad[27] = 0; bad[26] = 0; bad[25] = 0; bad[24] = 0x7f  // 2 billion slots
        #expect(throws: WireError.self) { try QuantumLayerDecoder.decode(bad) }
        bad = good; (bad[36], bad[40]) = (bad[40], bad[36]); (bad[37], bad[41]) = (bad[41], bad[37])
        (bad[38], bad[42]) = (bad[42], bad[38]); (bad[39], bad[43]) = (bad[43], bad[39])
        #expect(throws: WireError.self) { try QuantumLayerDecoder.decode(bad) }  // offsets out of order
        bad = good; bad[bad.count - 1] |= 0x80  // a bit past the 20 double-click flags
        #expect(throws: WireError.self) { try QuantumLayerDecoder.decode(bad) }
        bad = good; bad[5] = 9
        #expect(throws: WireError.invalidField(offset: 5, field: "block kind", reason: "9 is not 1, 2 or 3")) { try QuantumLayerDecoder.decode(bad) }
        bad = good; bad[3] = 0x57  // a control-channel frame's magic on the QLI
        #expect(throws: WireError.badBlockMagic(offset: 0, found: 0x514B_4457)) { try QuantumLayerDecoder.decode(bad) }
        #expect(WireError.badBlockMagic(offset: 0, found: 0x514B_4457).description.contains("\"QKDQ\""))
    }
}
