import Testing
@testable import QKDMath

@Suite("Philox4x32-10")
struct PhiloxTests {
    // Random123's kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words) → output.
    @Test("Random123 known-answer vectors", arguments: [
        ([0x0000_0000, 0x0000_0000, 0x0000_0000, 0x0000_0000], [0x0000_0000, 0x0000_0000],
         [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        ([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff],
         [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0],
         [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
    ] as [([UInt32], [UInt32], [UInt32])])
    func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
        let g = Philox4x32(key0: key[0], key1: key[1])
        let out = g.block(counter[0], counter[1], counter[2], counter[3])
        #expect([out.0, out.1, out.2, out.3] == expected)
    }

    @Test("the seed maps to (low word, high word) of the key, the index to (c0, c1)")
    func layout() {
        let seed: UInt64 = 0x299f_31d0_a409_3822
        let g = Philox4x32(seed: seed)
        let out = g.block(index: 0x85a3_08d3_243f_6a88, draw: 0x1319_8a2e, stream: 0x0370_7344)
        #expect([out.0, out.1, out.2, out.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test("uniform conversions stay inside the open interval")
    func uniforms() {
        #expect(Uniform.open32(0) > 0 && Uniform.open32(.max) < 1)
        #expect(Uniform.open52(hi: 0, lo: 0) > 0 && Uniform.open52(hi: .max, lo: .max) < 1)
        #expect(Uniform.open32(0x8000_0000) == 0.5 + 0.5 * 0x1p-32)
    }

    @Test("a stream's words are the blocks' words in order, and bounded integers are in range")
    func stream() {
        var s = PhiloxStream(seed: 7, index: 3, stream: 9)
        let g = Philox4x32(seed: 7)
        let b0 = g.block(index: 3, draw: 0, stream: 9), b1 = g.block(index: 3, draw: 1, stream: 9)
        let words = (0..<8).map { _ in s.nextWord() }
        #expect(words == [b0.0, b0.1, b0.2, b0.3, b1.0, b1.1, b1.2, b1.3])
        var t = PhiloxStream(seed: 1, index: 0, stream: 0)
        var seen = Set<UInt32>()
        for _ in 0..<1000 { let v = t.nextInt(below: 7); #expect(v < 7); seen.insert(v) }
        #expect(seen.count == 7)
    }
}
