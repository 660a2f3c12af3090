import Testing
@testable import PostProcessing

@Suite("Bit-packed key")
struct BitKeyTests {
    @Test("bits, parity of ranges, popcount and slicing agree with a plain array")
    func againstArray() {
        let key = randomKey(1000, seed: 11)
        let bits = (0..<1000).map { key[$0] }
        #expect(key.popcount == bits.reduce(0) { $0 + Int($1) })
        for (lo, hi) in [(0, 0), (0, 1), (0, 64), (3, 64), (63, 65), (5, 999), (128, 192), (700, 1000), (0, 1000)] {
            let expected = bits[lo..<hi].reduce(UInt8(0), ^)
            #expect(key.parity(lo..<hi) == expected, "parity \(lo)..<\(hi)")
            let s = key.slice(lo..<hi)
            #expect(s.count == hi - lo)
            #expect((0..<s.count).allSatisfy { s[$0] == bits[lo + $0] })
        }
        #expect(key.parity == bits.reduce(UInt8(0), ^))
    }

    @Test("range parity of every short range, at every offset in a word and across a word boundary")
    func shortRangeParity() {
        let key = randomKey(400, seed: 21)
        let bits = (0..<400).map { key[$0] }
        var wrong = 0
        for lo in 0..<140 {
            for length in 1...140 where lo + length <= 400 {
                if key.parity(lo..<lo + length) != bits[lo..<lo + length].reduce(UInt8(0), ^) { wrong += 1 }
            }
        }
        #expect(wrong == 0)
        // The same key laid out after three other words (as the permuted copies are).
        let padded = [UInt64](repeating: ~0, count: 3) + key.words
        padded.withUnsafeBufferPointer { w in
            for (lo, hi) in [(0, 1), (60, 70), (64, 128), (1, 400), (130, 131)] {
                #expect(BitKey.parity(of: w, base: 3, lo..<hi) == bits[lo..<hi].reduce(UInt8(0), ^), "\(lo)..<\(hi)")
            }
        }
    }

    @Test("permutation, XOR, Hamming distance, append")
    func operations() {
        let a = randomKey(300, seed: 1), b = randomKey(300, seed: 2)
        let order = (0..<300).map { Int32((7 * $0 + 3) % 300) }
        let p = a.permuted(by: order)
        #expect((0..<300).allSatisfy { p[$0] == a[Int(order[$0])] })
        let x = a ^ b
        #expect(x.popcount == a.hammingDistance(to: b))
        #expect((0..<300).allSatisfy { x[$0] == a[$0] ^ b[$0] })
        var c = a.slice(0..<37)
        c.append(contentsOf: a.slice(37..<300))
        #expect(c == a)
        var d = BitKey(count: 0)
        for i in 0..<300 { d.append(a[i]) }
        #expect(d == a)
    }

    @Test("appending a word's low bits equals appending them one by one, across word boundaries")
    func appendBits() {
        var s: UInt64 = 0xABCDEF
        var byWord = BitKey(count: 0), byBit = BitKey(count: 0)
        for _ in 0..<300 {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = Int(s >> 58)  // 0 ... 63
            let count = s & 1 == 0 ? n : 64
            byWord.append(bits: s, count: count)
            for i in 0..<count { byBit.append(UInt8((s >> UInt64(i)) & 1)) }
        }
        #expect(byWord.count == byBit.count && byWord == byBit)
        // Bits of the word above `count` are ignored.
        var k = BitKey(count: 0)
        k.append(bits: .max, count: 3)
        #expect(k.count == 3 && k.words == [0b111])
    }

    @Test("removing(sortedPositions:) keeps exactly the other bits, in order")
    func removingPositions() {
        // Hand-checked: 1011 0110 10 without bits 0, 3 and 9 leaves 01 0110 1.
        let small = BitKey(bits: [1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
        #expect(small.removing(sortedPositions: [0, 3, 9]) == BitKey(bits: [0, 1, 0, 1, 1, 0, 1]))
        #expect(small.removing(sortedPositions: []) == small)
        // Against bit-by-bit removal, for runs shorter and longer than a word, at word edges.
        let key = randomKey(1_000, seed: 11)
        for step in [1, 2, 7, 63, 64, 65, 200] {
            var positions = stride(from: 5, to: 1_000, by: step).map { Int32($0) }
            if positions.last != 999 { positions.append(999) }  // the key's last bit too
            let drop = Set(positions.map(Int.init))
            var expected = BitKey(count: 0)
            for i in 0..<key.count where !drop.contains(i) { expected.append(key[i]) }
            #expect(key.removing(sortedPositions: positions) == expected, "every \(step)th bit")
        }
    }

    @Test("hex round trip, bit 0 first; malformed hex is refused")
    func hex() {
        let k = BitKey(bits: [1, 0, 0, 0, 0, 0, 0, 0, 0, 1])  // byte 0 = 0x01, byte 1 = 0x02
        #expect(k.hex == "0102")
        #expect(BitKey(hex: "0102", count: 10) == k)
        #expect(BitKey(hex: "01", count: 10) == nil)
        #expect(BitKey(hex: "zz02", count: 10) == nil)
        #expect(BitKey(hex: "0106", count: 10) == nil)  // bit 10 set beyond the length
    }

    @Test("the description never shows key bits; zeroize empties")
    func secrecy() {
        var k = randomKey(128, seed: 3)
        #expect(k.description == "BitKey(128 bits)")
        k.zeroize()
        #expect(k.count == 0 && k.words.isEmpty)
    }
}
