import Foundation

/// A Cascade schedule: how many passes, and the block size of each.
///
/// Schedules as catalogued by Martinez-Mateo, Pacher, Peev, Ciurana, Martin, "Demystifying the
/// information reconciliation protocol Cascade", QIC 15 (2015), and reproduced in Rijsman's
/// cascade study:
/// - `original` (Brassard–Salvail 1993): 4 passes, k₁ = ⌈0.73/Q⌉, k_{i+1} = 2·k_i;
/// - `yanetal` (Yan et al. 2008, "Cascade opt. (2)"): 10 passes, k₁ = ⌈0.80/Q⌉, k₂ = 5·k₁,
///   then k = ⌊n/2⌋ for the remaining passes;
/// - `extended` (this project): the `yanetal` schedule with 16 passes. Because the last block of
///   every pass after the first is inferred from the key's parity, a half-frame pass costs one
///   disclosed bit; six more of them cut the frame error rate about 2⁶-fold for a few bits.
public enum CascadeVariant: String, Sendable, CaseIterable, Codable {
    case original
    case yanetal
    case extended

    /// Number of passes.
    public var passes: Int {
        switch self {
        case .original: return 4
        case .yanetal: return 10
        case .extended: return 16
        }
    }

    /// Block size of pass `pass` (0-based) for an estimated QBER and an n-bit frame, in [1, n].
    public func blockSize(pass: Int, qber: Double, frameBits n: Int) -> Int {
        // Below 10⁻⁵ the first block would exceed any practical frame; clamp as the study does.
        let q = max(qber, 1e-5)
        let size: Int
        switch self {
        case .original:
            size = Int(ceil(0.73 / q)) << pass
        case .yanetal, .extended:
            let k1 = Int(ceil(0.80 / q))
            size = pass == 0 ? k1 : pass == 1 ? 5 * k1 : n / 2
        }
        return min(max(1, size), max(1, n))
    }

    /// Whether a pass keeps a permuted copy of the key (fast sub-range parities, one full gather
    /// to build) or gathers the bits of each range on demand. Passes with many small blocks see
    /// most binary searches and get a copy; passes of a few huge blocks see very few.
    static func keepsPermutedCopy(blockSize k: Int, frameBits n: Int) -> Bool { 16 * k <= n }
}

extension BitKey {
    /// XOR of the bits of the key with words `w` at frame indices `order[range]`.
    @inline(__always)
    static func gatheredParity(of w: UnsafeBufferPointer<UInt64>, order: [Int32], range: Range<Int>) -> UInt8 {
        order.withUnsafeBufferPointer { o in
            var acc: UInt64 = 0
            for i in range {
                let j = Int(o[i])
                acc ^= w[j >> 6] >> UInt64(j & 63)
            }
            return UInt8(truncatingIfNeeded: acc & 1)
        }
    }
}
