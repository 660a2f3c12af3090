import Foundation

/// The probabilities of Bob's click patterns for one pulse, relative to a reference bit s:
/// only the detector for s fires, only the other one fires, or both do.
///
/// "Aligned" means the arriving state was prepared in Bob's measurement basis with bit s, so a
/// detected photon reaches detector s except for misalignment; "unaligned" means the photon
/// falls on either detector with probability ½.
public struct ClickProbabilities: Sendable, Equatable {
    public var referenceOnly: Double
    public var otherOnly: Double
    public var both: Double
    public var click: Double { referenceOnly + otherOnly + both }
}

/// How signal photons reach Bob's detectors.
enum PhotonArrival: Sendable {
    /// Poisson light of mean μ through transmittance η (each photon independently).
    case poisson(mu: Double, transmittance: Double)
    /// Photon-number splitting: n ≥ 2 photon pulses lose one photon to Eve and the other n − 1
    /// reach Bob's detectors losslessly; pulses with n ≤ 1 are blocked.
    case photonNumberSplitting(mu: Double, detectorEfficiency: Double)

    /// E[x^F] for F the number of photons reaching Bob's detectors, x ∈ [0, 1]; this is
    /// the probability that none of them is detected when each is missed with probability x.
    func generatingFunction(_ x: Double) -> Double {
        switch self {
        case let .poisson(mu, eta):
            return exp(-mu * eta * (1 - x))
        case let .photonNumberSplitting(mu, etaB):
            // Σ_{n≥2} e^{−μ}μⁿ/n! · y^{n−1} with y = 1 − η_B(1 − x), plus P(n ≤ 1).
            let y = 1 - etaB * (1 - x)
            let blocked = exp(-mu) * (1 + mu)
            guard y > 0 else { return blocked }
            // e^{μy} − 1 − μy, computed without cancellation for small μy.
            let tail = expm1(mu * y) - mu * y
            return blocked + exp(-mu) * tail / y
        }
    }
}

/// Computes ``ClickProbabilities`` from the photon arrival statistics, the split of photons
/// between the two detectors and the dark counts.
///
/// Photons that reach the detectors are split independently (Poisson thinning), and dark counts
/// are independent of light, so each detector "stays silent" with a probability that is a
/// generating-function value times (1 − d); the joint silence is one more such value.
func clickProbabilities(arrival: PhotonArrival, aligned: Bool, misalignment: Double, darkCount d: Double) -> ClickProbabilities {
    // Probability that a photon reaching Bob's detectors hits the reference detector.
    let toReference = aligned ? 1 - misalignment : 0.5
    let toOther = 1 - toReference
    // For Poisson arrival the per-photon detection efficiency is already in η; for PNS the
    // generating function applies η_B itself. Either way, x is the per-photon miss probability
    // for the event "no photon detected at this detector".
    let silentReference = (1 - d) * arrival.generatingFunction(1 - toReference)
    let silentOther = (1 - d) * arrival.generatingFunction(1 - toOther)
    let silentBoth = (1 - d) * (1 - d) * arrival.generatingFunction(0)
    let referenceOnly = max(0, silentOther - silentBoth)
    let otherOnly = max(0, silentReference - silentBoth)
    let both = max(0, 1 - silentReference - silentOther + silentBoth)
    return ClickProbabilities(referenceOnly: referenceOnly, otherOnly: otherOnly, both: both)
}
