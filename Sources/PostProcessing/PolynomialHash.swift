import CCarryless
import Foundation

/// The polynomial hash over GF(2^64) = GF(2)[x]/(x⁶⁴ + x⁴ + x³ + x + 1) (Carter–Wegman;
/// Bierbrauer et al.): a message of L 64-bit blocks m₁ … m_L and bit length b hashes to
///
///     H_k(m) = m₁·k^(L+1) ⊕ m₂·k^L ⊕ … ⊕ m_L·k² ⊕ b·k,
///
/// computed by Horner's rule. Two different messages of at most L blocks collide for at most
/// L + 1 of the 2⁶⁴ keys, so for a uniformly random key the collision probability is at most
/// (L + 1)/2⁶⁴. The length block makes messages that differ only in trailing zeros distinct.
public enum PolynomialHash {
    /// H_k over the words of a key (bit i of the key is bit i mod 64 of word i / 64).
    public static func hash(_ key: BitKey, hashKey k: UInt64) -> UInt64 {
        let h = key.words.withUnsafeBufferPointer { qkd_gf64_horner($0.baseAddress, $0.count, k, 0) }
        return qkd_gf64_mul(h ^ UInt64(key.count), k)
    }

    /// H_k over bytes, packed little-endian into 64-bit blocks (the last zero-padded).
    public static func hash<Bytes: ContiguousBytes & Collection>(bytes: Bytes, hashKey k: UInt64) -> UInt64 where Bytes.Element == UInt8 {
        let count = bytes.count
        let full = count / 8
        return bytes.withUnsafeBytes { raw -> UInt64 in
            // Whole 8-byte blocks straight from the message's memory, read little-endian.
            var h = full == 0 ? 0 : qkd_gf64_horner_le_bytes(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), full, k, 0)
            if count % 8 != 0 {
                var last: UInt64 = 0
                for j in 0..<(count % 8) { last |= UInt64(raw[8 * full + j]) << UInt64(8 * j) }
                h = qkd_gf64_mul(h ^ last, k)
            }
            return qkd_gf64_mul(h ^ UInt64(count * 8), k)
        }
    }

    /// Multiplication in GF(2^64).
    public static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 { qkd_gf64_mul(a, b) }

    /// The collision bound (L + 1)/2⁶⁴ for messages of `messageBits` bits.
    public static func collisionProbability(messageBits: Int) -> Double {
        Double((messageBits + 63) / 64 + 1) * 0x1p-64
    }
}
