import Foundation

/// Asymptotic key rates of weak-coherent BB84 over a ``FibreLink``.
///
/// All rates are secret bits per pulse sent, with the sifting factor q = ½ of symmetric BB84
/// (Lo–Ma–Chen 2005 write it as q).
public struct DecoyStateRate: Sendable {
    public var link: FibreLink
    /// The sifting factor q (½ for symmetric BB84).
    public var siftingFactor: Double

    public init(link: FibreLink = .gys, siftingFactor: Double = 0.5) {
        self.link = link
        self.siftingFactor = siftingFactor
    }

    /// What the channel model predicts at one distance and signal intensity.
    public struct ChannelExpectation: Sendable, Equatable {
        /// Transmittance η.
        public var transmittance: Double
        /// Gain Q_μ of the signal state.
        public var gain: Double
        /// QBER E_μ of the signal state.
        public var qber: Double
        /// Single-photon yield Y₁ and its error rate e₁.
        public var singlePhotonYield: Double
        public var singlePhotonError: Double
        /// Single-photon gain Q₁ = Y₁·μ·e^(−μ).
        public var singlePhotonGain: Double
    }

    /// The Lo–Ma–Chen channel model: Q_μ = Y₀ + 1 − e^(−ημ); E_μQ_μ = e₀Y₀ + e_det(1 − e^(−ημ));
    /// Y₁ = Y₀ + η − Y₀η; e₁ = (e₀Y₀ + e_det·η)/Y₁; e₀ = ½.
    public func expectation(distanceKm: Double, mu: Double) throws(QKDMathError) -> ChannelExpectation {
        try requirePositive(mu, "mu")
        let eta = try link.transmittance(distanceKm: distanceKm)
        let y0 = link.backgroundYield, eDet = link.misalignmentError
        let detected = -expm1(-eta * mu)
        let gain = y0 + detected
        let qber = (0.5 * y0 + eDet * detected) / gain
        let y1 = y0 + eta - y0 * eta
        let e1 = (0.5 * y0 + eDet * eta) / y1
        return ChannelExpectation(
            transmittance: eta, gain: gain, qber: qber, singlePhotonYield: y1,
            singlePhotonError: e1, singlePhotonGain: y1 * mu * exp(-mu))
    }

    /// Decoy-state rate (Lo–Ma–Chen 2005, infinitely many decoys):
    /// R = q·{−Q_μ·f·h(E_μ) + Q₁·[1 − h(e₁)]}, clipped at 0.
    public func decoyRate(distanceKm: Double, mu: Double) throws(QKDMathError) -> Double {
        let x = try expectation(distanceKm: distanceKm, mu: mu)
        return try Self.rate(
            siftingFactor: siftingFactor, gain: x.gain, qber: x.qber, f: link.errorCorrectionInefficiency,
            singlePhotonGain: x.singlePhotonGain, singlePhotonError: x.singlePhotonError)
    }

    /// The GLLP rate without decoys (Gottesman–Lo–Lütkenhaus–Preskill 2004): Eve is granted every
    /// multi-photon pulse, so the single-photon fraction is bounded by Q_μ − P_multi(μ):
    /// R = q·{−Q_μ·f·h(E_μ) + Q_μ(1 − Δ)·[1 − h(E_μ/(1 − Δ))]}, Δ = P_multi/Q_μ.
    public func gllpRateWithoutDecoys(distanceKm: Double, mu: Double) throws(QKDMathError) -> Double {
        let x = try expectation(distanceKm: distanceKm, mu: mu)
        let pMulti = 1 - exp(-mu) * (1 + mu)
        let delta = pMulti / x.gain
        guard delta < 1 else { return 0 }
        let e1 = x.qber / (1 - delta)
        guard e1 < 0.5 else { return 0 }
        return try Self.rate(
            siftingFactor: siftingFactor, gain: x.gain, qber: x.qber, f: link.errorCorrectionInefficiency,
            singlePhotonGain: x.gain * (1 - delta), singlePhotonError: e1)
    }

    /// The common rate expression q·{−Q_μ·f·h(E_μ) + Q₁·[1 − h(e₁)]}, never below 0.
    public static func rate(
        siftingFactor: Double, gain: Double, qber: Double, f: Double, singlePhotonGain: Double,
        singlePhotonError: Double
    ) throws(QKDMathError) -> Double {
        let e1 = min(singlePhotonError, 0.5)
        let r = siftingFactor * (-gain * f * (try binaryEntropy(qber)) + singlePhotonGain * (1 - (try binaryEntropy(max(0, e1)))))
        return max(0, r)
    }

    /// The signal intensity that maximises the decoy rate at `distanceKm` (golden-section search
    /// on (0, 1.5]); returns (μ, rate). μ ≈ 0.5 for GYS at most distances.
    public func optimalMu(distanceKm: Double, gllp: Bool = false) throws(QKDMathError) -> (mu: Double, rate: Double) {
        let f: (Double) throws(QKDMathError) -> Double = { mu throws(QKDMathError) in
            gllp ? try self.gllpRateWithoutDecoys(distanceKm: distanceKm, mu: mu)
                : try self.decoyRate(distanceKm: distanceKm, mu: mu)
        }
        // Without decoys the optimum scales with η, so search log μ over a wide range. The rate
        // is flat at zero over much of it, which defeats a bare golden-section search: scan a
        // grid first, then refine around the best grid point.
        let lower = log(1e-6), upper = log(1.5), steps = 120
        let step = (upper - lower) / Double(steps)
        var bestIndex = 0, bestValue = -Double.infinity
        for i in 0...steps {
            let value = try f(exp(lower + Double(i) * step))
            if value > bestValue { bestValue = value; bestIndex = i }
        }
        guard bestValue > 0 else { return (exp(lower + Double(bestIndex) * step), 0) }
        let best = try goldenSectionMaximum(
            lower: lower + Double(max(0, bestIndex - 1)) * step, upper: lower + Double(min(steps, bestIndex + 1)) * step
        ) { (t: Double) throws(QKDMathError) in try f(exp(t)) }
        return best.value >= bestValue ? (exp(best.x), best.value) : (exp(lower + Double(bestIndex) * step), bestValue)
    }

    /// The largest distance with a positive rate: at fixed `mu`, or with μ optimised per distance
    /// when `mu` is nil. Bisection on [0, 500] km to 1 m.
    public func maximumDistanceKm(mu: Double?, gllp: Bool = false) throws(QKDMathError) -> Double {
        func positive(_ d: Double) throws(QKDMathError) -> Bool {
            if let mu {
                return try (gllp ? gllpRateWithoutDecoys(distanceKm: d, mu: mu) : decoyRate(distanceKm: d, mu: mu)) > 0
            }
            return try optimalMu(distanceKm: d, gllp: gllp).rate > 0
        }
        guard try positive(0) else { return 0 }
        var lo = 0.0, hi = 500.0
        guard try !positive(hi) else { return hi }
        while hi - lo > 1e-3 {
            let mid = 0.5 * (lo + hi)
            if try positive(mid) { lo = mid } else { hi = mid }
        }
        return lo
    }
}
