import CBitPermutation
import QKDMath
import Testing
@testable import PostProcessing

@Suite("Permuted copies (C kernel)", .serialized)
struct PermutedCopyTests {
    /// Bit i of the copy is bit order[i] of the key, one bit at a time: the definition.
    static func definition(_ key: BitKey, order: [Int32]) -> BitKey {
        BitKey(bits: order.map { key[Int($0)] })
    }

    @Test("every kernel (AVX-512, AVX2, portable) holds bit order[i] at i and writes exactly its words",
          arguments: [1, 2, 31, 32, 33, 63, 64, 65, 127, 129, 1_001, 3_001, 10_000, 65_536, 70_001], [Int32(0), 1, 2])
    func kernels(bits n: Int, level: Int32) {
        let perms = CascadePermutations(frameBits: n, passes: 1, seed: 21)
        let key = randomKey(n, seed: UInt64(n) + 5)
        let words = (n + 63) / 64
        let expected = Self.definition(key, order: perms.order[0])
        // One word more than the copy's, preset to ones: the kernel writes exactly its words.
        var row = [UInt64](repeating: ~0, count: words + 1)
        row.withUnsafeMutableBufferPointer { dst in
            key.words.withUnsafeBufferPointer { src in
                perms.order[0].withUnsafeBufferPointer { o in
                    qkd_permute_bits_at(dst.baseAddress!, src.baseAddress!, o.baseAddress!, n, level)
                }
            }
        }
        #expect(row.last == ~0)
        // Equal words: the bits past the end are clear as well.
        #expect(Array(row.prefix(words)) == expected.words, "\(n) bits, kernel \(level)")
        guard n <= 1 << 16 else { return }
        // The 16-bit order (the permutations' compact table where they have one).
        let order16 = perms.order[0].map { UInt16(truncatingIfNeeded: $0) }
        var row16 = [UInt64](repeating: ~0, count: words + 1)
        row16.withUnsafeMutableBufferPointer { dst in
            key.words.withUnsafeBufferPointer { src in
                order16.withUnsafeBufferPointer { o in
                    qkd_permute_bits16_at(dst.baseAddress!, src.baseAddress!, o.baseAddress!, n, level)
                }
            }
        }
        #expect(row16.last == ~0)
        #expect(Array(row16.prefix(words)) == expected.words, "\(n) bits, 16-bit order, kernel \(level)")
    }

    @Test("the identity and the reversal, by hand", arguments: [Int32(0), 1, 2])
    func handWorked(level: Int32) {
        // 70 bits: 0b1011 in the low bits, bit 64 and bit 69 set.
        let n = 70
        var key = BitKey(count: n)
        for i in [0, 1, 3, 64, 69] { key[i] = 1 }
        var out = [UInt64](repeating: 0, count: 2)
        let identity = (0..<Int32(n)).map { $0 }, reversal = identity.reversed().map { $0 }
        key.words.withUnsafeBufferPointer { src in
            qkd_permute_bits_at(&out, src.baseAddress!, identity, n, level)
            let identical: [UInt64] = [0b1011, 0b10_0001]
            #expect(out == identical)
            // Reversed: bit i is bit 69 − i, so bits 69, 68, 66, 5 and 0 are set.
            qkd_permute_bits_at(&out, src.baseAddress!, reversal, n, level)
            let reversed: [UInt64] = [0b10_0001, 0b11_0100]
            #expect(out == reversed)
        }
    }

    @Test("the level in use is what the CPU has, capped by the forced level")
    func dispatch() {
        let detected = qkd_permute_level()
        #expect((0...2).contains(detected))
        qkd_permute_force_level(0)
        #expect(qkd_permute_level() == 0)
        qkd_permute_force_level(1)
        #expect(qkd_permute_level() == min(1, detected))
        qkd_permute_force_level(-1)
        #expect(qkd_permute_level() == detected)
    }

    @Test("the permutations' copies are the same with the kernel and with the portable scatter",
          arguments: [1, 63, 64, 65, 1_001, 10_000, 65_536, 65_537])
    func permutationsEntryPoints(bits n: Int) {
        let perms = CascadePermutations(frameBits: n, passes: 3, seed: 17)
        let key = randomKey(n, seed: UInt64(n) + 9)
        let words = (n + 63) / 64
        func copies() -> [[UInt64]] {
            var a = [UInt64](repeating: ~0, count: words), b = a, c = a
            a.withUnsafeMutableBufferPointer { a in
                b.withUnsafeMutableBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        key.words.withUnsafeBufferPointer { src in
                            perms.permutedCopies(passes: 0, 2, of: src, into: a, c)
                            perms.permutedCopy(pass: 1, of: src, into: b)
                        }
                    }
                }
            }
            return [a, b, c]
        }
        let withKernel = copies()
        qkd_permute_force_level(0)
        let portable = copies()
        qkd_permute_force_level(-1)
        for p in 0..<3 {
            #expect(withKernel[p] == Self.definition(key, order: perms.order[p]).words, "pass \(p)")
            #expect(portable[p] == withKernel[p], "pass \(p)")
        }
    }
}
