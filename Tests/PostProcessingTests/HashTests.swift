import CCarryless
import Testing
@testable import PostProcessing

/// GF(2^64) multiplication written from the definition: shift-and-add, reducing by
/// x⁶⁴ = x⁴ + x³ + x + 1 whenever the top bit falls off.
func referenceMultiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var result: UInt64 = 0, x = a
    for i in 0..<64 {
        if (b >> UInt64(i)) & 1 == 1 { result ^= x }
        let carry = x >> 63
        x <<= 1
        if carry == 1 { x ^= 0x1B }
    }
    return result
}

@Suite("GF(2^64) hashing, verification and Wegman–Carter")
struct HashTests {
    @Test("x⁶³·x = x⁴ + x³ + x + 1, and products match the shift-and-add definition")
    func multiply() {
        #expect(PolynomialHash.multiply(1 << 63, 2) == 0x1B)
        #expect(PolynomialHash.multiply(1, 0xDEAD_BEEF) == 0xDEAD_BEEF)
        var s = UInt64(0x1234_5678_9ABC_DEF0)
        for _ in 0..<200 {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let a = s, b = s.byteSwapped ^ 0x5555
            #expect(PolynomialHash.multiply(a, b) == referenceMultiply(a, b))
        }
    }

    @Test("the hash is m₁k³ ⊕ m₂k² ⊕ b·k for a two-block message, on both kernels")
    func hashDefinition() {
        let key = BitKey(words: [0x0123_4567_89AB_CDEF, 0x0F0F], count: 76)
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        let k2 = referenceMultiply(k, k), k3 = referenceMultiply(k2, k)
        let expected = referenceMultiply(0x0123_4567_89AB_CDEF, k3) ^ referenceMultiply(0x0F0F, k2) ^ referenceMultiply(76, k)
        #expect(PolynomialHash.hash(key, hashKey: k) == expected)
        qkd_clmul_force_portable(1)
        #expect(PolynomialHash.hash(key, hashKey: k) == expected)
        qkd_clmul_force_portable(0)
        // Bytes pack little-endian: the same 76-bit message as 10 bytes hashes the same way, but
        // its length block says 80 bits.
        let bytes = key.bytes
        #expect(bytes.count == 10)
        let expectedBytes = referenceMultiply(0x0123_4567_89AB_CDEF, k3) ^ referenceMultiply(0x0F0F, k2) ^ referenceMultiply(80, k)
        #expect(PolynomialHash.hash(bytes: bytes, hashKey: k) == expectedBytes)
    }

    @Test("the four-words-per-step kernel equals Horner's rule word by word, for every length 0 … 70 and a long message")
    func wideHorner() {
        var s: UInt64 = 0xC0FFEE
        func next() -> UInt64 { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return s }
        for n in Array(0...70) + [4099] {
            let words = (0..<n).map { _ in next() }
            let k = next() | 1
            // The rule itself, written out with the reference multiplication.
            var expected: UInt64 = 0
            for w in words { expected = referenceMultiply(expected ^ w, k) }
            let hw = words.withUnsafeBufferPointer { qkd_gf64_horner($0.baseAddress, $0.count, k, 0) }
            qkd_clmul_force_portable(1)
            let portable = words.withUnsafeBufferPointer { qkd_gf64_horner($0.baseAddress, $0.count, k, 0) }
            qkd_clmul_force_portable(0)
            #expect(hw == expected && portable == expected, "n = \(n)")
        }
    }

    @Test("hashing bytes in place: any length, any alignment (a frame's slice), and across the kernel's 2 KiB chunks")
    func hashBytesInPlace() {
        var s: UInt64 = 0xBEEF
        func next() -> UInt64 { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return s }
        let buffer = (0..<(8 * 600 + 11)).map { _ in UInt8(truncatingIfNeeded: next() >> 33) }
        let k = next() | 1
        for (offset, length) in [(0, 0), (1, 7), (3, 8), (5, 17), (7, 2_048), (1, 2_049), (2, 8 * 600)] {
            let slice = buffer[offset..<offset + length]
            // The definition: little-endian 64-bit blocks, the last zero-padded, then the bit length.
            var expected: UInt64 = 0
            for block in stride(from: 0, to: length, by: 8) {
                var w: UInt64 = 0
                for j in 0..<min(8, length - block) { w |= UInt64(slice[offset + block + j]) << UInt64(8 * j) }
                expected = referenceMultiply(expected ^ w, k)
            }
            expected = referenceMultiply(expected ^ UInt64(8 * length), k)
            #expect(PolynomialHash.hash(bytes: slice, hashKey: k) == expected, "offset \(offset), \(length) bytes")
            #expect(PolynomialHash.hash(bytes: Array(slice), hashKey: k) == expected)
        }
    }

    @Test("verification: one hash for 10⁶ bits at ε_cor = 10⁻¹², two at 10⁻²⁰; one flipped bit is caught")
    func verification() throws {
        // (15 625 + 1)/2⁶⁴ ≈ 2^−50.06 per hash: 2^−39.9 (10⁻¹²) needs one, 2^−66.4 (10⁻²⁰) two.
        #expect(try KeyVerification.instances(frameBits: 1_000_000, epsilonCorrectness: 1e-12) == 1)
        #expect(try KeyVerification.instances(frameBits: 1_000_000, epsilonCorrectness: 1e-20) == 2)
        let v = KeyVerification(hashKeys: [7, 99])
        let key = randomKey(5000, seed: 4)
        var other = key
        other.flip(4321)
        #expect(v.matches(key, aliceTags: v.tags(key)))
        #expect(!v.matches(other, aliceTags: v.tags(key)))
        #expect(v.disclosedBits == 128)
    }

    @Test("Wegman–Carter: a good tag verifies, a flipped tag or payload bit aborts, pads are never reused")
    func wegmanCarter() throws {
        let material = randomKey(64 + 64 * 10, seed: 12)
        var alice = WegmanCarter(pool: try AuthenticationKeyPool(material: material))
        var bob = WegmanCarter(pool: try AuthenticationKeyPool(material: material))
        let message: [UInt8] = Array("parity request round 3".utf8)
        let tag = try alice.tag(message, direction: .aliceToBob)
        try bob.verify(message, tag: tag, direction: .aliceToBob)
        // The same message again gets a different tag: a fresh pad.
        let tag2 = try alice.tag(message, direction: .aliceToBob)
        #expect(tag2 != tag)
        #expect(throws: PostProcessingError.self) { try bob.verify(message, tag: tag2 ^ 1, direction: .aliceToBob) }
        let tag3 = try alice.tag(message, direction: .aliceToBob)
        var tampered = message
        tampered[0] ^= 0x01
        #expect(throws: PostProcessingError.self) { try bob.verify(tampered, tag: tag3, direction: .aliceToBob) }
        #expect(alice.pool.consumedBits == 64 + 3 * 64)
        // Five pads per direction: the sixth tag finds the pool empty.
        for _ in 0..<2 { _ = try alice.tag(message, direction: .aliceToBob) }
        #expect(throws: PostProcessingError.self) { _ = try alice.tag(message, direction: .aliceToBob) }
        #expect(throws: PostProcessingError.self) { _ = try AuthenticationKeyPool(material: randomKey(63, seed: 1)) }
    }

    @Test("fingerprints: SHA-256 of the tag, the length and the bytes (known answers from Python's hashlib); they differ for different keys and never contain the key")
    func fingerprints() throws {
        // hashlib.sha256(b"qkdspec key fingerprint v1" + n.to_bytes(8, "big") + key_bytes).hexdigest()[:16]
        #expect(try #require(BitKey(bytes: Array(0..<32), count: 256)).fingerprint == "ef53c8302adf63a4")
        #expect(try #require(BitKey(bytes: [0xff, 0x1f], count: 13)).fingerprint == "d90551baffe6057d")
        #expect(BitKey(count: 0).fingerprint == "7be9be7d4050f258")
        let a = randomKey(256, seed: 1), b = randomKey(256, seed: 2)
        #expect(a.fingerprint.count == 16 && a.fingerprint != b.fingerprint)
        #expect(!a.hex.contains(a.fingerprint))
    }
}
