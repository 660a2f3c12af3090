import Foundation

/// Binary (Shannon) entropy h(p) = −p·log₂p − (1−p)·log₂(1−p), in bits.
///
/// - Throws: ``QKDMathError/probabilityOutOfRange(name:value:)`` for p outside [0, 1] or NaN.
///   Passing an error *count* instead of a rate is the classic bug this guards against.
public func binaryEntropy(_ p: Double) throws(QKDMathError) -> Double {
    try requireProbability(p, "p")
    return entropyInRange(p)
}

/// The inverse of the binary entropy on [0, ½]: the p ≤ ½ with h(p) = `entropy`.
///
/// - Throws: when `entropy` lies outside [0, 1].
public func inverseBinaryEntropy(_ entropy: Double) throws(QKDMathError) -> Double {
    try requireProbability(entropy, "entropy")
    return inverseEntropyInRange(entropy)
}

/// h(p) for a p already known to lie in [0, 1].
@inline(__always)
func entropyInRange(_ p: Double) -> Double {
    if p <= 0 || p >= 1 { return 0 }
    return -p * log2(p) - (1 - p) * log2(1 - p)
}

/// h⁻¹ on [0, ½] for an entropy already known to lie in [0, 1].
func inverseEntropyInRange(_ entropy: Double) -> Double {
    if entropy <= 0 { return 0 }
    if entropy >= 1 { return 0.5 }
    // h is strictly increasing on [0, ½]: bisection to full double precision.
    var lo = 0.0, hi = 0.5
    for _ in 0..<200 {
        let mid = 0.5 * (lo + hi)
        if mid == lo || mid == hi { break }
        if entropyInRange(mid) < entropy { lo = mid } else { hi = mid }
    }
    return 0.5 * (lo + hi)
}
