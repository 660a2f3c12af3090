import QKDMath
import Testing
@testable import PostProcessing

/// The table-driven sifting loops against the definition, one detection at a time.
@Suite("Sifting kernel")
struct SiftingKernelTests {
    /// Random bytes from a Philox stream.
    static func bytes(_ n: Int, seed: UInt64, stream: UInt32) -> [UInt8] {
        var s = PhiloxStream(seed: seed, index: 0, stream: stream)
        return (0..<n).map { _ in UInt8(truncatingIfNeeded: s.nextWord()) }
    }

    /// A column of `bits` bits with the bits past the count cleared, as the decoders deliver them.
    static func column(_ bits: Int, seed: UInt64, stream: UInt32) -> [UInt8] {
        var b = bytes((bits + 7) / 8, seed: seed, stream: stream)
        if bits % 8 != 0 { b[b.count - 1] &= UInt8((1 << (bits % 8)) - 1) }
        return b
    }

    static func bit(_ column: [UInt8], _ i: Int) -> Int { Int(column[i >> 3] >> UInt8(i & 7)) & 1 }
    static func pair(_ column: [UInt8], _ i: Int) -> Int { Int(column[(2 * i) >> 3] >> UInt8((2 * i) & 7)) & 3 }

    @Test("Alice's kernel gives the matches, their classes and her signal bits of the definition", arguments: [0, 1, 7, 8, 9, 63, 64, 65, 1_000, 4_099])
    func alice(detections d: Int) {
        for seed in 1...4 as ClosedRange<UInt64> {
            let aliceBases = Self.column(d, seed: seed, stream: 1), bobBases = Self.column(d, seed: seed, stream: 2)
            let extra = Self.column(2 * d, seed: seed, stream: 3), bits = Self.column(d, seed: seed, stream: 4)
            // A key that already holds 5 bits: the kernel appends after them.
            var key = BitKey(bits: [1, 0, 1, 1, 0])
            let got = SiftingKernel.aliceSift(detections: d, aliceBases: aliceBases, bobBases: bobBases, classes: extra, bits: bits, into: &key)
            var expectedKey = BitKey(bits: [1, 0, 1, 1, 0])
            var matchBits = [Int](), classPairs = [Int]()
            for i in 0..<d {
                let match = Self.bit(aliceBases, i) == Self.bit(bobBases, i)
                matchBits.append(match ? 1 : 0)
                guard match else { continue }
                classPairs.append(Self.pair(extra, i))
                if Self.pair(extra, i) == 0 { expectedKey.append(UInt8(Self.bit(bits, i))) }
            }
            #expect(got.matched == classPairs.count)
            #expect((0..<d).map { Self.bit(got.matches, $0) } == matchBits)
            #expect(got.matches.count == (d + 7) / 8)
            #expect(got.classes.count == (2 * classPairs.count + 7) / 8)
            #expect(classPairs.indices.map { Self.pair(got.classes, $0) } == classPairs)
            // Nothing past the last class: the wire's bit strings must be clean.
            if (2 * classPairs.count) % 8 != 0, let last = got.classes.last { #expect(last >> UInt8((2 * classPairs.count) % 8) == 0) }
            #expect(key == expectedKey)
        }
    }

    @Test("Bob's kernel keeps his signal-class bits of the matches and counts every class", arguments: [0, 1, 8, 13, 64, 127, 1_000, 4_099])
    func bob(detections d: Int) {
        for seed in 1...4 as ClosedRange<UInt64> {
            let matches = Self.column(d, seed: seed, stream: 5), bits = Self.column(d, seed: seed, stream: 6)
            let matched = (0..<d).filter { Self.bit(matches, $0) == 1 }.count
            let classes = Self.column(2 * matched, seed: seed, stream: 7)
            var key = BitKey(bits: [0, 1, 1])
            var perClass = [10, 0, 0, 0]
            SiftingKernel.bobSift(matches: matches, classes: classes, bits: bits, into: &key, perClass: &perClass)
            var expectedKey = BitKey(bits: [0, 1, 1]), expectedCounts = [10, 0, 0, 0], m = 0
            for i in 0..<d where Self.bit(matches, i) == 1 {
                let c = Self.pair(classes, m)
                expectedCounts[c] += 1
                if c == 0 { expectedKey.append(UInt8(Self.bit(bits, i))) }
                m += 1
            }
            #expect(key == expectedKey)
            #expect(perClass == expectedCounts)
        }
    }

    @Test("both ends keep the same bits: Bob's kernel on Alice's answer reproduces her key's length and his own bits")
    func endsAgree() {
        let d = 10_000
        let aliceBases = Self.column(d, seed: 9, stream: 1), bobBases = Self.column(d, seed: 9, stream: 2)
        let extra = Self.column(2 * d, seed: 9, stream: 3), bits = Self.column(d, seed: 9, stream: 4)
        var aliceKey = BitKey(count: 0), bobKey = BitKey(count: 0)
        let answer = SiftingKernel.aliceSift(detections: d, aliceBases: aliceBases, bobBases: bobBases, classes: extra, bits: bits, into: &aliceKey)
        var perClass = [0, 0, 0, 0]
        // Bob with the same bits (a noiseless channel) must end with Alice's key.
        SiftingKernel.bobSift(matches: answer.matches, classes: answer.classes, bits: bits, into: &bobKey, perClass: &perClass)
        #expect(bobKey == aliceKey)
        #expect(perClass.reduce(0, +) == answer.matched)
        #expect(perClass[0] == aliceKey.count)
    }
}
