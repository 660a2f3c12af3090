import CCarryless
import QKDMath
import Testing
@testable import PostProcessing

/// A seeded random key for tests.
func randomKey(_ bits: Int, seed: UInt64, stream: UInt32 = 0) -> BitKey {
    var s = PhiloxStream(seed: seed, index: UInt64(bits), stream: stream)
    var words = [UInt64]()
    for _ in 0..<(bits + 63) / 64 { words.append(UInt64(s.nextWord()) << 32 | UInt64(s.nextWord())) }
    return BitKey(words: words, count: bits)
}

/// The definition, bit by bit: y_i = XOR_j T(i, j)·x_j with T(i, j) = seed(i − j + n − 1).
func naiveToeplitz(_ x: BitKey, seed: BitKey, outputBits l: Int) -> BitKey {
    let n = x.count
    var y = BitKey(count: l)
    for i in 0..<l {
        var bit: UInt8 = 0
        for j in 0..<n where x[j] == 1 { bit ^= seed[i - j + n - 1] }
        y[i] = bit
    }
    return y
}

@Suite("Toeplitz hashing")
struct ToeplitzHashTests {
    @Test("agrees with the bit-by-bit definition", arguments: [
        (1, 1), (7, 3), (64, 64), (65, 1), (100, 37), (640, 320), (1000, 999), (3000, 1024), (5000, 700), (2049, 2049),
    ])
    func matchesDefinition(n: Int, l: Int) throws {
        let x = randomKey(n, seed: 1), seed = randomKey(n + l - 1, seed: 2)
        #expect(try ToeplitzHash.hash(x, seed: seed, outputBits: l) == naiveToeplitz(x, seed: seed, outputBits: l))
    }

    /// Sizes around word boundaries (63/64/65, 511/512/513 …), odd sizes, and output lengths
    /// whose block size reaches the 512-bit base case (multiples of 8 words up to 32) and the
    /// Karatsuba levels above it; each kernel is asked explicitly (lowered to what the CPU has).
    @Test("every kernel (512-bit, 128-bit, portable) agrees with the bit-by-bit definition", arguments: [
        (63, 63), (64, 63), (65, 64), (129, 65), (513, 511), (512, 512), (1025, 513), (2047, 1023), (2048, 2048),
        (4097, 2049), (6001, 3001), (8191, 4099), (9000, 4096), (7_777, 4_444),
    ], [0, 1, 2])
    func kernelsMatchDefinition(sizes: (n: Int, l: Int), kernel: Int) throws {
        let (n, l) = sizes
        let x = randomKey(n, seed: UInt64(n), stream: 1), seed = randomKey(n + l - 1, seed: UInt64(l), stream: 2)
        #expect(try ToeplitzHash.hash(x, seed: seed, outputBits: l, kernel: kernel) == naiveToeplitz(x, seed: seed, outputBits: l))
    }

    @Test("a hand-worked 3 × 4 example")
    func handWorked() throws {
        // n = 4, ℓ = 3, seed s0..s5 = 1 0 1 1 0 0. T(i, j) = s(i − j + 3):
        //   row 0: s3 s2 s1 s0 = 1 1 0 1
        //   row 1: s4 s3 s2 s1 = 0 1 1 0
        //   row 2: s5 s4 s3 s2 = 0 0 1 1
        // x = 1 1 0 1 → y0 = 1⊕1⊕0⊕1 = 1, y1 = 0⊕1⊕0⊕0 = 1, y2 = 0⊕0⊕0⊕1 = 1.
        let seed = BitKey(bits: [1, 0, 1, 1, 0, 0]), x = BitKey(bits: [1, 1, 0, 1])
        #expect(try ToeplitzHash.hash(x, seed: seed, outputBits: 3) == BitKey(bits: [1, 1, 1]))
    }

    @Test("large sizes: hardware and portable kernels agree, and the hash is linear")
    func kernelsAgree() throws {
        let n = 200_000, l = 120_000
        let x = randomKey(n, seed: 3), x2 = randomKey(n, seed: 4), seed = randomKey(n + l - 1, seed: 5)
        let fast = try ToeplitzHash.hash(x, seed: seed, outputBits: l)
        qkd_clmul_force_portable(1)
        let portable = try ToeplitzHash.hash(x, seed: seed, outputBits: l)
        qkd_clmul_force_portable(0)
        #expect(fast == portable)
        // Linearity over GF(2): T(x ⊕ x2) = Tx ⊕ Tx2.
        let sum = try ToeplitzHash.hash(x ^ x2, seed: seed, outputBits: l)
        #expect(sum == fast ^ (try ToeplitzHash.hash(x2, seed: seed, outputBits: l)))
        // Spot-check some output bits against the definition.
        for i in [0, 1, 63, 64, 4097, l - 1] {
            var bit: UInt8 = 0
            for j in 0..<n where x[j] == 1 { bit ^= seed[i - j + n - 1] }
            #expect(fast[i] == bit, "bit \(i)")
        }
    }

    @Test("wrong lengths are typed errors")
    func wrongLengths() {
        let x = randomKey(100, seed: 1)
        #expect(throws: PostProcessingError.self) { try ToeplitzHash.hash(x, seed: randomKey(100, seed: 2), outputBits: 10) }
        #expect(throws: PostProcessingError.self) { try ToeplitzHash.hash(x, seed: randomKey(300, seed: 2), outputBits: 201) }
        #expect(throws: PostProcessingError.self) { try ToeplitzHash.hash(x, seed: randomKey(99, seed: 2), outputBits: 0) }
    }

    @Test("the middle-product kernel equals the middle words of the schoolbook product", arguments: [1, 3, 16, 17, 32, 48, 96, 256])
    func middleProduct(words n: Int) {
        let size = qkd_gf2x_mp_size(n)
        let s = randomKey(128 * size, seed: 7).words, x = randomKey(64 * size, seed: 8).words
        var full = [UInt64](repeating: 0, count: 3 * size)
        qkd_gf2x_mul_basecase(&full, s, 2 * size, x, size)
        var y = [UInt64](repeating: 0, count: size)
        var scratch = [UInt64](repeating: 0, count: qkd_gf2x_middle_product_scratch(size))
        qkd_gf2x_middle_product(&y, s, x, size, &scratch)
        #expect(y == Array(full[size..<2 * size]))
    }

    @Test("each middle-product kernel equals the middle words of the schoolbook product",
          arguments: [1, 2, 7, 8, 9, 16, 24, 31, 32, 33, 40, 64, 65, 96, 200, 256, 1000], [0, 1, 2])
    func middleProductKernels(words n: Int, kernel: Int32) {
        let size = qkd_gf2x_mp_size(n)
        let s = randomKey(128 * size, seed: 9, stream: UInt32(n)).words, x = randomKey(64 * size, seed: 10, stream: UInt32(n)).words
        var full = [UInt64](repeating: 0, count: 3 * size)
        qkd_gf2x_mul_basecase(&full, s, 2 * size, x, size)
        var y = [UInt64](repeating: 0, count: size)
        var scratch = [UInt64](repeating: 0, count: qkd_gf2x_middle_product_scratch(size))
        qkd_gf2x_middle_product_at(&y, s, x, size, &scratch, kernel)
        #expect(y == Array(full[size..<2 * size]))
    }
}
