import Foundation

/// Asymptotic vacuum + weak decoy estimates (Ma, Qi, Zhao, Lo, PRA 72, 012326, 2005, eqs. 34–37):
/// from the observed gains and error rates of the signal (μ) and a weak decoy (ν < μ) and the
/// vacuum yield Y₀, a lower bound on the single-photon yield Y₁ and an upper bound on its error e₁.
public struct VacuumWeakDecoyEstimate: Sendable, Equatable {
    public var singlePhotonYieldLower: Double
    public var singlePhotonErrorUpper: Double
    /// Q₁ᴸ = Y₁ᴸ·μ·e^(−μ).
    public var singlePhotonGainLower: Double

    /// - Parameters: intensities μ > ν > 0; gains Q_μ, Q_ν; the decoy's QBER E_ν; vacuum yield Y₀.
    public init(
        signalIntensity mu: Double, decoyIntensity nu: Double, signalGain qMu: Double, decoyGain qNu: Double,
        decoyQBER eNu: Double, vacuumYield y0: Double
    ) throws(QKDMathError) {
        try requirePositive(nu, "nu")
        guard mu > nu else {
            throw .invalidParameter(name: "mu", value: mu, expected: "a signal intensity above the decoy's (\(nu))")
        }
        try requireProbability(qMu, "Q_mu")
        try requireProbability(qNu, "Q_nu")
        try requireProbability(eNu, "E_nu")
        try requireProbability(y0, "Y0")
        let y1 = mu / (mu * nu - nu * nu)
            * (qNu * exp(nu) - qMu * exp(mu) * nu * nu / (mu * mu) - (mu * mu - nu * nu) / (mu * mu) * y0)
        singlePhotonYieldLower = max(0, y1)
        singlePhotonErrorUpper = y1 > 0 ? min(0.5, max(0, (eNu * qNu * exp(nu) - 0.5 * y0) / (y1 * nu))) : 0.5
        singlePhotonGainLower = singlePhotonYieldLower * mu * exp(-mu)
    }
}

/// Finite-key decoy-state BB84 with three intensities (Lim, Curty, Walenta, Xu, Zbinden,
/// PRA 89, 022307, 2014): bounds on the vacuum and single-photon detections and on the
/// single-photon phase error, and the secret key length (their eq. 1 to 5).
///
/// The key is drawn from the X basis and the phase error estimated from the Z basis, as in the
/// paper. Counts are detections (n) and errors (m) per intensity.
public struct FiniteKeyDecoyBounds: Sendable, Equatable {
    /// Intensities μ₁ > μ₂ + μ₃, μ₂ > μ₃ ≥ 0, and their probabilities p_k.
    public var intensities: [Double]
    public var probabilities: [Double]
    /// Detections per intensity in the key (X) and test (Z) bases.
    public var keyDetections: [Double]
    public var testDetections: [Double]
    /// Bit errors per intensity in the test basis.
    public var testErrors: [Double]
    public var epsilonSecrecy: Double
    public var epsilonCorrectness: Double

    public init(
        intensities: [Double], probabilities: [Double], keyDetections: [Double], testDetections: [Double],
        testErrors: [Double], epsilonSecrecy: Double, epsilonCorrectness: Double
    ) {
        self.intensities = intensities
        self.probabilities = probabilities
        self.keyDetections = keyDetections
        self.testDetections = testDetections
        self.testErrors = testErrors
        self.epsilonSecrecy = epsilonSecrecy
        self.epsilonCorrectness = epsilonCorrectness
    }

    /// The bounds that feed the key length.
    public struct Result: Sendable, Equatable {
        /// s_{X,0}ᴸ and s_{X,1}ᴸ: vacuum and single-photon detections in the key basis.
        public var keyVacuumLower: Double
        public var keySinglePhotonLower: Double
        /// s_{Z,1}ᴸ and v_{Z,1}ᴸᵁ: single-photon detections and errors in the test basis.
        public var testSinglePhotonLower: Double
        public var testSinglePhotonErrorsUpper: Double
        /// φ_Xᵁ: the single-photon phase error rate in the key basis.
        public var phaseErrorUpper: Double
    }

    /// τ_n = Σ_k e^(−μ_k)·μ_kⁿ·p_k / n!: the probability that a pulse carries n photons.
    public func photonNumberProbability(_ n: Int) -> Double {
        var factorial = 1.0
        if n > 1 { for i in 2...n { factorial *= Double(i) } }
        return zip(intensities, probabilities).reduce(0) { $0 + exp(-$1.0) * pow($1.0, Double(n)) * $1.1 / factorial }
    }

    /// Evaluates the bounds.
    public func bounds() throws(QKDMathError) -> Result {
        try validate()
        let (mu1, mu2, mu3) = (intensities[0], intensities[1], intensities[2])
        let tau0 = photonNumberProbability(0), tau1 = photonNumberProbability(1)
        // Each Hoeffding bound may fail with ε₁ = ε_sec/21 (the paper's split of ε_sec).
        let eps1 = epsilonSecrecy / 21

        func hoeffdingBounded(_ counts: [Double]) -> (lower: [Double], upper: [Double]) {
            let delta = SamplingBound.hoeffdingCountDeviation(total: counts.reduce(0, +), epsilon: eps1)
            var lower = [Double](), upper = [Double]()
            for k in 0..<3 {
                let scale = exp(intensities[k]) / probabilities[k]
                lower.append(scale * (counts[k] - delta))
                upper.append(scale * (counts[k] + delta))
            }
            return (lower, upper)
        }
        func vacuum(_ n: (lower: [Double], upper: [Double])) -> Double {
            max(0, tau0 * (mu2 * n.lower[2] - mu3 * n.upper[1]) / (mu2 - mu3))
        }
        func singlePhoton(_ n: (lower: [Double], upper: [Double]), vacuum s0: Double) -> Double {
            let numerator = n.lower[1] - n.upper[2] - (mu2 * mu2 - mu3 * mu3) / (mu1 * mu1) * (n.upper[0] - s0 / tau0)
            let denominator = mu1 * (mu2 - mu3) - mu2 * mu2 + mu3 * mu3
            return max(0, tau1 * mu1 * numerator / denominator)
        }

        let nX = hoeffdingBounded(keyDetections)
        let sX0 = vacuum(nX)
        let sX1 = singlePhoton(nX, vacuum: sX0)
        let nZ = hoeffdingBounded(testDetections)
        let sZ0 = vacuum(nZ)
        let sZ1 = singlePhoton(nZ, vacuum: sZ0)
        let mZ = hoeffdingBounded(testErrors)
        let vZ1 = max(0, tau1 * (mZ.upper[1] - mZ.lower[2]) / (mu2 - mu3))

        var phase = 0.5
        if sZ1 > 0, sX1 > 0 {
            let ratio = min(0.5, vZ1 / sZ1)
            phase = min(0.5, ratio + Self.gamma(a: epsilonSecrecy, b: ratio, c: sZ1, d: sX1))
        }
        return Result(
            keyVacuumLower: sX0, keySinglePhotonLower: sX1, testSinglePhotonLower: sZ1,
            testSinglePhotonErrorsUpper: vZ1, phaseErrorUpper: phase)
    }

    /// ℓ = ⌊s_{X,0} + s_{X,1}·(1 − h(φ_X)) − λ_EC − 6·log₂(21/ε_sec) − log₂(2/ε_cor)⌋, at least 0.
    public func secretKeyBits(leakedBits: Double) throws(QKDMathError) -> Int {
        let b = try bounds()
        let l = b.keyVacuumLower + b.keySinglePhotonLower * (1 - entropyInRange(b.phaseErrorUpper)) - leakedBits
            - 6 * log2(21 / epsilonSecrecy) - log2(2 / epsilonCorrectness)
        return l > 0 ? Int(l.rounded(.down)) : 0
    }

    /// γ(a, b, c, d) = √[(c + d)(1 − b)b / (c·d·ln 2) · log₂((c + d)/(c·d·(1 − b)·b) · 21²/a²)]:
    /// the sampling correction between the phase errors of the two bases.
    static func gamma(a: Double, b: Double, c: Double, d: Double) -> Double {
        guard b > 0, b < 1 else { return 0 }
        let inner = (c + d) / (c * d * (1 - b) * b) * (21 * 21) / (a * a)
        guard inner > 1 else { return 0 }
        return ((c + d) * (1 - b) * b / (c * d * log(2)) * log2(inner)).squareRoot()
    }

    private func validate() throws(QKDMathError) {
        for (name, array) in [("intensities", intensities), ("probabilities", probabilities),
                              ("key detections", keyDetections), ("test detections", testDetections),
                              ("test errors", testErrors)] where array.count != 3 {
            throw .invalidParameter(name: name, value: Double(array.count), expected: "three values, one per intensity")
        }
        let (mu1, mu2, mu3) = (intensities[0], intensities[1], intensities[2])
        guard mu3 >= 0, mu2 > mu3, mu1 > mu2 + mu3 else {
            throw .invalidParameter(name: "mu1", value: mu1, expected: "μ₁ > μ₂ + μ₃ and μ₂ > μ₃ ≥ 0")
        }
        for p in probabilities { try requireProbability(p, "p_k"); try requirePositive(p, "p_k") }
        for c in keyDetections + testDetections + testErrors where !(c >= 0 && c.isFinite) {
            throw .invalidParameter(name: "count", value: c, expected: "a finite count ≥ 0")
        }
        guard epsilonSecrecy > 0, epsilonSecrecy < 1, epsilonCorrectness > 0, epsilonCorrectness < 1 else {
            throw .invalidParameter(name: "epsilon", value: epsilonSecrecy, expected: "0 < ε < 1")
        }
    }
}
