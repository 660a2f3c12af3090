import Foundation

/// Finite-key secret length of BB84 with single photons (Tomamichel, Lim, Gisin, Renner,
/// Nat. Commun. 3, 634, 2012):
///
///     ℓ ≤ n·(1 − h(Q + μ)) − leak_EC − log₂(2 / (ε_sec²·ε_cor))
///     μ = √[(n + k)/(n·k) · (k + 1)/k · ln(2/ε_sec)]
///
/// with n key bits, k parameter-estimation bits and Q the tolerated QBER (abort above it).
public struct FiniteKeyLength: Sendable, Equatable {
    /// Key bits n (the sifted bits that are not sacrificed).
    public var keyBits: Int
    /// Parameter-estimation bits k.
    public var sampleBits: Int
    /// The tolerated QBER Q: the protocol aborts when the estimate exceeds it.
    public var toleratedQBER: Double
    /// Bits leaked by error correction (and verification, if counted there).
    public var leakedBits: Double
    /// Secrecy ε_sec and correctness ε_cor.
    public var epsilonSecrecy: Double
    public var epsilonCorrectness: Double

    public init(
        keyBits: Int, sampleBits: Int, toleratedQBER: Double, leakedBits: Double,
        epsilonSecrecy: Double, epsilonCorrectness: Double
    ) {
        self.keyBits = keyBits
        self.sampleBits = sampleBits
        self.toleratedQBER = toleratedQBER
        self.leakedBits = leakedBits
        self.epsilonSecrecy = epsilonSecrecy
        self.epsilonCorrectness = epsilonCorrectness
    }

    /// The statistical deviation μ between the sample's error rate and the key's.
    public func statisticalDeviation() throws(QKDMathError) -> Double {
        try validate()
        return SamplingBound.serflingDeviation(
            populationBits: keyBits, sampleBits: sampleBits, failureProbability: epsilonSecrecy / 2)
    }

    /// ℓ as a real number (may be negative: then no key can be extracted).
    public func exactLength() throws(QKDMathError) -> Double {
        let mu = try statisticalDeviation()
        let n = Double(keyBits)
        let phase = min(0.5, toleratedQBER + mu)
        let correction = log2(2 / (epsilonSecrecy * epsilonSecrecy * epsilonCorrectness))
        return n * (1 - entropyInRange(phase)) - leakedBits - correction
    }

    /// ⌊ℓ⌋ clipped at 0: the longest key the bound allows.
    public func secretKeyBits() throws(QKDMathError) -> Int {
        let l = try exactLength()
        return l > 0 ? Int(l.rounded(.down)) : 0
    }

    func validate() throws(QKDMathError) {
        guard keyBits > 0 else {
            throw .invalidParameter(name: "n", value: Double(keyBits), expected: "at least one key bit")
        }
        guard sampleBits > 0 else {
            throw .invalidParameter(name: "k", value: Double(sampleBits), expected: "at least one sample bit")
        }
        // A tolerated QBER above ½ is meaningless (h is symmetric about ½): refuse it.
        guard toleratedQBER >= 0, toleratedQBER <= 0.5 else {
            throw .invalidParameter(name: "Q", value: toleratedQBER, expected: "a tolerated QBER in [0, 0.5]")
        }
        guard leakedBits >= 0, leakedBits.isFinite else {
            throw .invalidParameter(name: "leak_EC", value: leakedBits, expected: "a finite count ≥ 0")
        }
        guard epsilonSecrecy > 0, epsilonSecrecy < 1 else {
            throw .invalidParameter(name: "epsilon_sec", value: epsilonSecrecy, expected: "0 < ε_sec < 1")
        }
        guard epsilonCorrectness > 0, epsilonCorrectness < 1 else {
            throw .invalidParameter(name: "epsilon_cor", value: epsilonCorrectness, expected: "0 < ε_cor < 1")
        }
    }
}
