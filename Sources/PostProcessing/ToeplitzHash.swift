import CCarryless

/// Privacy amplification by Toeplitz hashing, a two-universal family (Carter–Wegman 1979;
/// Krawczyk 1994): the ℓ-bit output is T·x for the ℓ × n Toeplitz matrix
///
///     T(i, j) = seed(i − j + n − 1),   i ∈ [0, ℓ), j ∈ [0, n),
///
/// defined by an (n + ℓ − 1)-bit seed. A Toeplitz product is a middle product of polynomials
/// over GF(2), so it is computed with fast carry-less multiplication (transposed Karatsuba over
/// PCLMULQDQ in the `CCarryless` kernel), never bit by bit.
public enum ToeplitzHash {
    /// The seed length for an n-bit input and an ℓ-bit output: n + ℓ − 1.
    public static func seedBits(inputBits n: Int, outputBits l: Int) -> Int { n + l - 1 }

    /// Hashes `input` (n bits) to `outputBits` bits with `seed` (n + ℓ − 1 bits).
    public static func hash(_ input: BitKey, seed: BitKey, outputBits l: Int) throws(PostProcessingError) -> BitKey {
        try hash(input, seed: seed, outputBits: l, kernel: Int(qkd_clmul_level()))
    }

    /// `hash` with a chosen carry-less kernel (0 portable, 1 PCLMULQDQ, 2 VPCLMULQDQ; lowered to
    /// what the CPU has), so tests and benchmarks can compare the kernels without a global switch.
    package static func hash(_ input: BitKey, seed: BitKey, outputBits l: Int, kernel: Int) throws(PostProcessingError) -> BitKey {
        let n = input.count
        guard l > 0 else { throw .invalidParameter(name: "output length", reason: "must be at least 1 bit, got \(l)") }
        guard n >= l else {
            throw .invalidParameter(name: "output length", reason: "\(l) bits cannot be extracted from a \(n)-bit input")
        }
        guard seed.count == seedBits(inputBits: n, outputBits: l) else {
            throw .lengthMismatch(what: "Toeplitz seed", expected: seedBits(inputBits: n, outputBits: l), actual: seed.count)
        }
        // Square blocks of M words (L = 64·M ≥ ℓ bits): y = Σ_c T_c·x_c over input chunks of L bits.
        let m = qkd_gf2x_mp_size((l + 63) / 64)
        let chunkBits = 64 * m
        var y = [UInt64](repeating: 0, count: m)
        var part = [UInt64](repeating: 0, count: m)
        var scratch = [UInt64](repeating: 0, count: qkd_gf2x_middle_product_scratch(m))
        var x = [UInt64](repeating: 0, count: m)
        var s = [UInt64](repeating: 0, count: 2 * m)
        var start = 0
        while start < n {
            // x_c: input bits [start, start + L), zero-padded.
            copyBits(from: input.words, bitCount: n, start: start, into: &x)
            // s_c(k) = seed(k − L − start + n − 1) for k ∈ [0, 2L), zero outside the seed.
            copyBits(from: seed.words, bitCount: seed.count, start: n - 1 - chunkBits - start, into: &s)
            x.withUnsafeBufferPointer { xp in
                s.withUnsafeBufferPointer { sp in
                    part.withUnsafeMutableBufferPointer { pp in
                        scratch.withUnsafeMutableBufferPointer { scr in
                            qkd_gf2x_middle_product_at(pp.baseAddress, sp.baseAddress, xp.baseAddress, m, scr.baseAddress, Int32(kernel))
                        }
                    }
                }
            }
            for i in 0..<m { y[i] ^= part[i] }
            start += chunkBits
        }
        return BitKey(words: y, count: l)
    }

    /// Whether the carry-less multiply instruction is in use (otherwise a portable kernel).
    public static var usesHardwareCarrylessMultiply: Bool { qkd_clmul_hardware() != 0 }

    /// The kernel in use: "vpclmulqdq-512", "pclmulqdq" or "portable".
    public static var kernelName: String { ["portable", "pclmulqdq", "vpclmulqdq-512"][Int(qkd_clmul_level())] }

    /// Copies `into.count` words of bits starting at bit `start` (may be negative) of a
    /// `bitCount`-bit string; bits outside [0, bitCount) read as zero.
    static func copyBits(from words: [UInt64], bitCount: Int, start: Int, into out: inout [UInt64]) {
        words.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                func word(at bit: Int) -> UInt64 {
                    // 64 bits starting at `bit` of the source, zero outside it.
                    if bit >= bitCount || bit <= -64 { return 0 }
                    if bit < 0 { return word(at: 0) << UInt64(-bit) }
                    let w = bit >> 6, sh = bit & 63
                    var v = src[w] >> UInt64(sh)
                    if sh != 0, w + 1 < src.count { v |= src[w + 1] << UInt64(64 - sh) }
                    let valid = bitCount - bit
                    if valid < 64 { v &= (1 << UInt64(valid)) - 1 }
                    return v
                }
                for i in 0..<dst.count { dst[i] = word(at: start + 64 * i) }
            }
        }
    }
}
