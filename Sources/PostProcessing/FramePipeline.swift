import Foundation
import QKDMath

/// What a stack declares about its post-processing, and the security parameters it targets.
public struct PostProcessingParameters: Sendable, Equatable, Codable {
    public var cascade: CascadeVariant
    /// Abort when the sampled QBER exceeds this.
    public var qberThreshold: Double
    /// Fraction of the sifted bits disclosed for parameter estimation.
    public var sampleFraction: Double
    /// Level of the reported confidence bound on the QBER.
    public var alpha: Double
    public var epsilonSecrecy: Double
    public var epsilonCorrectness: Double

    public init(
        cascade: CascadeVariant = .extended, qberThreshold: Double = ReferenceDefaults.qberThreshold,
        sampleFraction: Double = ReferenceDefaults.sampleFraction, alpha: Double = 1e-10,
        epsilonSecrecy: Double = ReferenceDefaults.epsilonSecrecy, epsilonCorrectness: Double = ReferenceDefaults.epsilonCorrectness
    ) {
        self.cascade = cascade
        self.qberThreshold = qberThreshold
        self.sampleFraction = sampleFraction
        self.alpha = alpha
        self.epsilonSecrecy = epsilonSecrecy
        self.epsilonCorrectness = epsilonCorrectness
    }

    enum CodingKeys: String, CodingKey {
        case cascade, alpha
        case qberThreshold = "qber_threshold", sampleFraction = "sample_fraction"
        case epsilonSecrecy = "epsilon_sec", epsilonCorrectness = "epsilon_cor"
    }
}

/// Why a frame was aborted (the session is in doubt) or discarded (this frame yields nothing).
public enum FrameOutcome: Sendable, Equatable {
    case delivered(keyID: UUID, bits: Int)
    /// The sampled QBER exceeded the declared threshold.
    case abortedQBERAboveThreshold(estimate: Double, threshold: Double)
    /// A classical message failed authentication.
    case abortedAuthenticationFailure
    /// The verification tags differ: reconciliation left errors.
    case discardedVerificationMismatch
    /// The finite-key bound leaves no secret bits (ℓ ≤ 0).
    case discardedNoSecretKey

    public var name: String {
        switch self {
        case .delivered: return "delivered"
        case .abortedQBERAboveThreshold: return "aborted-qber"
        case .abortedAuthenticationFailure: return "aborted-authentication"
        case .discardedVerificationMismatch: return "discarded-verification"
        case .discardedNoSecretKey: return "discarded-no-key"
        }
    }
}

/// Everything measured on one frame, for reports and checks. Carries no key material.
public struct FrameReport: Sendable, Equatable {
    public var outcome: FrameOutcome
    public var siftedBits: Int
    public var sampleBits: Int
    public var sampleErrors: Int
    public var qberEstimate: Double
    public var qberUpperBound: Double
    public var keyBits: Int
    public var disclosedParityBits: Int
    public var verificationBits: Int
    public var cascadeRounds: Int
    /// The finite-key bound with the leakage above (⌊ℓ⌋, 0 if negative).
    public var finiteKeyBound: Int
    public var finalKeyBits: Int
    /// Errors left in Bob's key after Cascade (ground truth, known in process only).
    public var residualErrors: Int

    /// Every bit disclosed about the key: parity bits and verification tags.
    public var leakedBits: Int { disclosedParityBits + verificationBits }
}

/// The reference post-processing of one frame, both parties in one process, with the abort and
/// discard rules of docs/postprocessing.md:
///
///     sampled QBER > threshold  → abort      (nothing stored)
///     verification mismatch     → discard    (nothing stored)
///     ℓ ≤ 0                     → discard    (nothing stored)
///     otherwise                 → privacy amplification to ℓ bits, one key ID, both stores
///
/// Every random choice (sample, hash keys, Toeplitz seed) comes from the frame seed through
/// named Philox streams, so a frame can be replayed exactly.
public enum FramePipeline {
    /// How Bob's key is reconciled: Cascade in process by default; a node plugs in the networked
    /// exchange, and tests plug in a faulty one.
    public typealias Reconciler = (_ alice: BitKey, _ bob: BitKey, _ variant: CascadeVariant, _ qber: Double,
                                   _ permutations: CascadePermutations) throws(PostProcessingError) -> CascadeOutcome

    public static func run(
        alice sifted: BitKey, bob siftedBob: BitKey, frameSeed: UInt64, parameters p: PostProcessingParameters,
        permutations: (Int) -> CascadePermutations, aliceStore: inout KeyStore, bobStore: inout KeyStore,
        reconciler: Reconciler = { a, b, v, q, perms throws(PostProcessingError) in
            try Cascade.reconcile(alice: a, bob: b, variant: v, estimatedQBER: q, permutations: perms)
        }
    ) throws(PostProcessingError) -> FrameReport {
        let n = sifted.count
        guard siftedBob.count == n else { throw .lengthMismatch(what: "Bob's sifted key", expected: n, actual: siftedBob.count) }
        let k = max(1, Int((Double(n) * p.sampleFraction).rounded()))
        guard n >= k + 64 else {
            throw .invalidParameter(name: "frame", reason: "\(n) sifted bits are too few for a \(k)-bit sample and a key")
        }
        let estimate = try ParameterEstimation.estimate(
            alice: sifted, bob: siftedBob, sampleSize: k, seed: frameSeed, alpha: p.alpha, declaredThreshold: p.qberThreshold)
        var report = FrameReport(
            outcome: .discardedNoSecretKey, siftedBits: n, sampleBits: k, sampleErrors: estimate.sampleErrors,
            qberEstimate: estimate.qber, qberUpperBound: estimate.qberUpperBound, keyBits: n - k, disclosedParityBits: 0,
            verificationBits: 0, cascadeRounds: 0, finiteKeyBound: 0, finalKeyBits: 0, residualErrors: 0)
        if estimate.abort {
            report.outcome = .abortedQBERAboveThreshold(estimate: estimate.qber, threshold: p.qberThreshold)
            return report
        }

        // Reconciliation. Cascade needs an error rate in (0, ½); a clean sample still has errors.
        let keyA = estimate.remainingAlice, keyB = estimate.remainingBob
        let cascadeQBER = Cascade.estimatedQBER(sampleErrors: estimate.sampleErrors, sampleSize: k)
        let outcome = try reconciler(keyA, keyB, p.cascade, cascadeQBER, permutations(keyA.count))
        report.disclosedParityBits = outcome.disclosedParityBits
        report.cascadeRounds = outcome.rounds
        report.residualErrors = keyA.hammingDistance(to: outcome.reconciledKey)

        // Verification.
        let instances = try KeyVerification.instances(frameBits: keyA.count, epsilonCorrectness: p.epsilonCorrectness)
        var stream = PhiloxStream(seed: frameSeed, index: UInt64(keyA.count), stream: 0x5652_4659)  // "VRFY"
        let verification = KeyVerification(hashKeys: (0..<instances).map { _ in UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord()) })
        report.verificationBits = verification.disclosedBits
        guard verification.matches(outcome.reconciledKey, aliceTags: verification.tags(keyA)) else {
            report.outcome = .discardedVerificationMismatch
            return report
        }

        // The final length: the finite-key bound with the leakage counted above, never more.
        let bound: Int
        do {
            bound = try FiniteKeyLength(
                keyBits: keyA.count, sampleBits: k, toleratedQBER: p.qberThreshold, leakedBits: Double(report.leakedBits),
                epsilonSecrecy: p.epsilonSecrecy, epsilonCorrectness: p.epsilonCorrectness
            ).secretKeyBits()
        } catch { throw .invalidParameter(name: "finite-key parameters", reason: error.description) }
        report.finiteKeyBound = bound
        guard bound > 0 else {
            report.outcome = .discardedNoSecretKey
            return report
        }

        // Privacy amplification.
        let seedBits = ToeplitzHash.seedBits(inputBits: keyA.count, outputBits: bound)
        let seed = toeplitzSeed(bits: seedBits, frameSeed: frameSeed)
        let finalA = try ToeplitzHash.hash(keyA, seed: seed, outputBits: bound)
        let finalB = try ToeplitzHash.hash(outcome.reconciledKey, seed: seed, outputBits: bound)
        let id = try aliceStore.deposit(finalA)
        try bobStore.deposit(finalB, keyID: id)
        report.finalKeyBits = bound
        report.outcome = .delivered(keyID: id, bits: bound)
        return report
    }

    /// The frame's Toeplitz seed: stream "TOEP", 64-bit words (high word first) from Philox.
    public static func toeplitzSeed(bits: Int, frameSeed: UInt64) -> BitKey {
        var stream = PhiloxStream(seed: frameSeed, index: UInt64(bits), stream: 0x544F_4550)  // "TOEP"
        var words = [UInt64]()
        words.reserveCapacity((bits + 63) / 64)
        for _ in 0..<(bits + 63) / 64 { words.append(UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord())) }
        return BitKey(words: words, count: bits)
    }
}
